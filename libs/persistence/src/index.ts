export * from './data-source-options';
export * from './unit-of-work';
export * from './unique-violation';
export * from './guarded-statement';
