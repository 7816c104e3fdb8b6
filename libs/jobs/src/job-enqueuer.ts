import { ChainLink, UnitOfWork } from '@tpo/persistence';
import { Job, JobRepository, newClaimedJob } from './job.repository';
import { JobReservation, JobRunner } from './job-runner';

/**
 * A job to insert as the `job` link of a chained statement (JobRepository.enqueueLink): `link`
 * builds it, claimed by this replica's runner when it had a slot. Once the statement ran, `settle`
 * with the link's row count (0 when it failed or wrote nothing); the job is handed to the runner
 * after the commit.
 */
export interface PreparedJob {
  link(gate: string): ChainLink;
  settle(inserted: number): void;
  /**
   * The job as this replica's runner will get it when inserted claimed (undefined when it is
   * enqueued pending): the caller may set its `handedState` before `settle`.
   */
  claimed?: Job;
}

/**
 * Enqueues the job of an event this replica has just consumed, straight to its own runner when it
 * can: if the local runner has a slot free for the job's kind and site, the row is inserted already
 * claimed by it (running, leased, fencing token 1) with the event's intake (its inbox row, in the
 * same statement or transaction), and handed to the runner once that commits: no NOTIFY wake-up,
 * no claim round trip. The row stays the durable record: if the process dies after the commit, the
 * lease expires and any runner claims it; on a rollback the slot is given back and nothing runs.
 * Without a free slot the job is enqueued pending, as JobRepository.enqueue does, and claimed as usual.
 */
export class JobEnqueuer {
  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
    private readonly uow: UnitOfWork,
  ) {}

  /** Enqueues (kind, key) once; false (nothing written, nothing run) when it already exists. */
  async enqueue(kind: string, key: string, payload: Record<string, unknown>, siteId?: string): Promise<boolean> {
    const slot = this.runner.reserve(kind, siteId ?? null);
    if (!slot) return this.jobs.enqueue(kind, key, payload, siteId);
    const job = newClaimedJob(kind, key, payload, siteId);
    let inserted = false;
    try {
      inserted = await this.jobs.enqueueClaimed(job, slot.leaseMs);
    } finally {
      this.handOver(slot, inserted, job);
    }
    return inserted;
  }

  /** The job as a link of the caller's chained statement (see PreparedJob). */
  prepare(kind: string, key: string, payload: Record<string, unknown>, siteId?: string): PreparedJob {
    const slot = this.runner.reserve(kind, siteId ?? null);
    if (!slot)
      return { link: (gate) => this.jobs.enqueueLink(kind, key, payload, siteId, gate), settle: () => undefined };
    const job = newClaimedJob(kind, key, payload, siteId);
    let settled = false;
    return {
      claimed: job,
      link: (gate) => this.jobs.enqueueClaimedLink(job, slot.leaseMs, gate),
      settle: (inserted) => {
        if (settled) return;
        settled = true;
        this.handOver(slot, inserted === 1, job);
      },
    };
  }

  /** After the commit (at once outside a transaction), or the slot back on a rollback or without a row. */
  private handOver(slot: JobReservation, inserted: boolean, job: Job): void {
    if (!inserted) return slot.cancel();
    this.uow.onSettled((committed) => (committed ? slot.start(job) : slot.cancel()));
  }
}
