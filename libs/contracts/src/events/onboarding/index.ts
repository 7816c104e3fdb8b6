export * from './onboarding-common';
export * from './tenant-requested.event';
export * from './intake-outcome.events';
export * from './step.events';
