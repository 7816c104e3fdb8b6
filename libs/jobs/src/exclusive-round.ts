import { UnitOfWork } from '@tpo/persistence';

/**
 * One round of a periodic task (a sweep, a report, a check) that every replica schedules but only
 * one may run at a time: `work` runs in a transaction holding a transaction-level advisory lock on
 * `name`; a replica that finds the lock taken skips its round. The lock dies with the transaction,
 * so a killed replica never leaves it held. Name it per schema, e.g. `tenant:secret-sweep`.
 * Returns whether this replica ran the round.
 */
export function runExclusiveRound(uow: UnitOfWork, name: string, work: () => Promise<void>): Promise<boolean> {
  return uow.run(async () => {
    const [{ locked }] = (await uow
      .manager()
      .query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [name])) as { locked: boolean }[];
    if (!locked) return false;
    await work();
    return true;
  });
}
