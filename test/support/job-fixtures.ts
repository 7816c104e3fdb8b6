import { ClaimResult, Job, JobLease, JobRepository, JobRunnerOptions } from '@tpo/jobs';
import { UnitOfWork } from '@tpo/persistence';
import { testDatabaseUrl } from './test-env';

/** Runner settings of the job specs: short leases and retries, so takeovers happen within seconds. */
export function testRunnerOptions(service: string, schema: string): JobRunnerOptions {
  return {
    databaseUrl: testDatabaseUrl(service),
    schema,
    concurrency: 2,
    perSiteConcurrency: 2,
    leaseMs: 3000,
    maxTries: 3,
    retryBaseMs: 100,
    retryMaxMs: 500,
    pollIntervalMs: 100,
  };
}

/** A worker whose process is paused (SIGSTOP-like) after its first claim: it renews and claims nothing until it wakes up. */
export class StalledRepository extends JobRepository {
  private claimed = false;

  override async claimDue(
    limit: number,
    leaseMs: number,
    kinds: string[],
    perSite?: { limit: number; running: Record<string, number> },
  ): Promise<ClaimResult> {
    if (this.claimed) return { jobs: [], nextDueMs: undefined };
    const r = await super.claimDue(limit, leaseMs, kinds, perSite);
    this.claimed = r.jobs.length > 0;
    return r;
  }

  override renewLease(_lease: JobLease, _leaseMs: number): Promise<boolean> {
    return new Promise(() => undefined);
  }
}

/** A job enqueued and claimed twice: `stale` lost it to `current` when its 1 ms lease ran out. */
export async function claimedTwice(
  uow: UnitOfWork,
  kind: string,
  key: string,
  payload: Record<string, unknown>,
): Promise<{ stale: Job; current: Job; jobs: JobRepository }> {
  const jobs = new JobRepository(uow);
  await uow.run(() => jobs.enqueue(kind, key, payload));
  const {
    jobs: [stale],
  } = await jobs.claimDue(1, 1, [kind]);
  await new Promise((r) => setTimeout(r, 20));
  const {
    jobs: [current],
  } = await jobs.claimDue(1, 60_000, [kind]);
  expect(current.fence).toBe(stale.fence + 1);
  return { stale, current, jobs };
}
