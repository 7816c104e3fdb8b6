export * from './data-source-options';
export * from './unit-of-work';
export * from './unique-violation';
export * from './chained-statement';
export * from './guarded-statement';
export * from './preparing-client';
export * from './iso-timestamp';
export * from './where-clause';
