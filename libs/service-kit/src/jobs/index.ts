export * from './1764300000000-job-table';
export * from './job.repository';
export * from './job-runner';
