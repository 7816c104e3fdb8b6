export * from './1764500000000-step-tables';
export * from './1765100000001-step-runs';
export * from './step-work.repository';
export * from './onboarding-step.job';
export * from './step-intake.service';
export * from './step-list.query';
export * from './coalescing-writer';
