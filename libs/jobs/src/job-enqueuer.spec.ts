import { ChainLink, SettledCallback, UnitOfWork } from '@tpo/persistence';
import { Job, JobRepository } from './job.repository';
import { JobEnqueuer } from './job-enqueuer';
import { JobReservation, JobRunner } from './job-runner';

function setup(options: { slot: boolean; exists?: boolean; insertFails?: boolean }) {
  const calls: string[] = [];
  const settled: SettledCallback[] = [];
  const slot: JobReservation = {
    leaseMs: 30_000,
    start: jest.fn((job: Job) => void calls.push(`start:${job.kind}/${job.key}:${job.fence}`)),
    cancel: jest.fn(() => void calls.push('cancel')),
  };
  const jobs = {
    enqueue: jest.fn(async () => (calls.push('enqueue pending'), true)),
    enqueueClaimed: jest.fn(async () => {
      calls.push('enqueue claimed');
      if (options.insertFails) throw new Error('db down');
      return !options.exists;
    }),
    enqueueLink: jest.fn((): ChainLink => ({ name: 'job', text: () => 'pending link' })),
    enqueueClaimedLink: jest.fn((): ChainLink => ({ name: 'job', text: () => 'claimed link' })),
  } as unknown as JobRepository;
  const runner = { reserve: jest.fn(() => (options.slot ? slot : undefined)) } as unknown as JobRunner;
  const uow = { onSettled: (c: SettledCallback) => settled.push(c) } as unknown as UnitOfWork;
  return { enqueuer: new JobEnqueuer(jobs, runner, uow), jobs, runner, slot, calls, settled };
}

describe('JobEnqueuer.enqueue', () => {
  it('with a free local slot: inserts the job claimed (fence 1) with the runner lease and hands it over only after commit', async () => {
    const { enqueuer, jobs, runner, calls, settled } = setup({ slot: true });
    expect(await enqueuer.enqueue('k', 't1', { tenantId: 't1' }, 'site-a')).toBe(true);
    expect(runner.reserve).toHaveBeenCalledWith('k', 'site-a');
    expect(jobs.enqueueClaimed).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'k', key: 't1', siteId: 'site-a', status: 'running', fence: 1, tries: 1 }),
      30_000,
    );
    expect(calls).toEqual(['enqueue claimed']); // nothing runs before the commit
    settled.forEach((c) => c(true));
    expect(calls).toEqual(['enqueue claimed', 'start:k/t1:1']);
  });

  it('on a rollback the slot is given back and nothing runs', async () => {
    const { enqueuer, calls, settled } = setup({ slot: true });
    await enqueuer.enqueue('k', 't1', {}, 'site-a');
    settled.forEach((c) => c(false));
    expect(calls).toEqual(['enqueue claimed', 'cancel']);
  });

  it('an existing (kind, key), e.g. a second event for the same job, writes and runs nothing and frees the slot', async () => {
    const { enqueuer, calls, settled } = setup({ slot: true, exists: true });
    expect(await enqueuer.enqueue('k', 't1', {}, 'site-a')).toBe(false);
    expect(calls).toEqual(['enqueue claimed', 'cancel']);
    expect(settled).toEqual([]);
  });

  it('a failed insert frees the slot and fails the caller (its transaction rolls back)', async () => {
    const { enqueuer, calls } = setup({ slot: true, insertFails: true });
    await expect(enqueuer.enqueue('k', 't1', {}, 'site-a')).rejects.toThrow('db down');
    expect(calls).toEqual(['enqueue claimed', 'cancel']);
  });

  it('without a free slot: enqueues the job pending, as before (claimed by whichever runner)', async () => {
    const { enqueuer, jobs, calls, settled } = setup({ slot: false });
    expect(await enqueuer.enqueue('k', 't1', { tenantId: 't1' }, 'site-a')).toBe(true);
    expect(jobs.enqueue).toHaveBeenCalledWith('k', 't1', { tenantId: 't1' }, 'site-a');
    expect(calls).toEqual(['enqueue pending']);
    expect(settled).toEqual([]);
  });
});

describe('JobEnqueuer.prepare (the job link of a chained intake statement)', () => {
  it('with a free slot: the claimed link; a row written hands the job over after the commit', () => {
    const { enqueuer, jobs, calls, settled } = setup({ slot: true });
    const prepared = enqueuer.prepare('k', 't1', { tenantId: 't1' }, 'site-a');
    expect(prepared.link('work').text(() => '', 'work')).toBe('claimed link');
    expect(jobs.enqueueClaimedLink).toHaveBeenCalledWith(expect.objectContaining({ fence: 1 }), 30_000, 'work');
    prepared.settle(1);
    prepared.settle(1); // once
    expect(calls).toEqual([]);
    settled.forEach((c) => c(true));
    expect(calls).toEqual(['start:k/t1:1']);
  });

  it('no row written (a redelivery, a step already recorded) or a failed statement: the slot is given back', () => {
    for (const inserted of [0, 0]) {
      const { enqueuer, calls, settled } = setup({ slot: true });
      enqueuer.prepare('k', 't1', {}, 'site-a').settle(inserted);
      expect(calls).toEqual(['cancel']);
      expect(settled).toEqual([]);
    }
  });

  it('without a free slot: the pending link, nothing to hand over', () => {
    const { enqueuer, jobs, calls, settled } = setup({ slot: false });
    const prepared = enqueuer.prepare('k', 't1', { tenantId: 't1' }, 'site-a');
    expect(prepared.link('work').text(() => '', 'work')).toBe('pending link');
    expect(jobs.enqueueLink).toHaveBeenCalledWith('k', 't1', { tenantId: 't1' }, 'site-a', 'work');
    prepared.settle(1);
    expect(calls).toEqual([]);
    expect(settled).toEqual([]);
  });
});
