export * from './protection-report-ready.event';
export * from './license-expiring.event';
export * from './license-limit-reached-v2.event';
