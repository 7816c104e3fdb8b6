import { UnitOfWork } from '@tpo/persistence';
import { Job, JobRepository } from './job.repository';
import { JobRunner } from './job-runner';

/**
 * Enqueues the job of an event this replica has just consumed, straight to its own runner when it
 * can: if the local runner has a slot free for the job's kind and site, the row is inserted already
 * claimed by it (running, leased, fencing token 1) in the caller's transaction (the inbox's), and
 * handed to the runner once that transaction commits: no NOTIFY wake-up, no claim round trip. The
 * row stays the durable record: if the process dies after the commit, the lease expires and any
 * runner claims it; on a rollback the slot is given back and nothing runs. Without a free slot the
 * job is enqueued pending, as JobRepository.enqueue does, and claimed as usual.
 */
export class JobEnqueuer {
  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
    private readonly uow: UnitOfWork,
  ) {}

  /** Enqueues (kind, key) once; false (nothing written, nothing run) when it already exists. */
  async enqueue(kind: string, key: string, payload: object, siteId?: string): Promise<boolean> {
    const slot = this.runner.reserve(kind, siteId ?? null);
    if (!slot) return this.jobs.enqueue(kind, key, payload, siteId);
    let job: Job | undefined;
    try {
      job = await this.jobs.enqueueClaimed(kind, key, payload, siteId, slot.leaseMs);
    } catch (e) {
      slot.cancel();
      throw e;
    }
    if (!job) {
      slot.cancel();
      return false;
    }
    const claimed = job;
    this.uow.onSettled((committed) => (committed ? slot.start(claimed) : slot.cancel()));
    return true;
  }
}
