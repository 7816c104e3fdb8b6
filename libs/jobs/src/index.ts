export * from './1764300000000-job-table';
export * from './1764711000000-job-notify-on-pending';
export * from './1764900000000-job-fencing';
export * from './1764950000001-job-trace-context';
export * from './job.repository';
export * from './job-runner';
export * from './exclusive-round';
export * from './job-enqueuer';
