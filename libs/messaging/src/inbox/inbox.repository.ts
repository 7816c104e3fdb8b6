import { ChainLink, UnitOfWork } from '@tpo/persistence';
import { InboxClaim } from './inbox-claim';

/** The only code that touches the `inbox` table. */
export class InboxRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Claims (consumer, event id) inside the caller's transaction. False means the event was
   * already applied; a concurrent claimer waits on the primary key until the first commits.
   */
  async claim(consumer: string, eventId: string, eventType: string): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(
        `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, eventId, eventType],
      );
    return rows.length === 1;
  }

  /**
   * The same claim as a link of a chained statement (`chainStatement`), named `inbox`: it returns a
   * row only when the row is new, so the links it gates write nothing for a redelivered event. A
   * concurrent claimer's statement waits on the primary key until the first commits, as above.
   */
  static claimLink(claim: InboxClaim): ChainLink {
    return {
      name: 'inbox',
      text: (bind) =>
        `INSERT INTO inbox (consumer, event_id, event_type) VALUES (${bind(claim.consumer)}, ${bind(claim.eventId)}, ${bind(claim.eventType)}) ON CONFLICT DO NOTHING RETURNING event_id`,
    };
  }

  /**
   * For a `claimsInbox` handler whose work needs a transaction (several statements): claims the row
   * and runs `work` in one transaction, as the event processor does for other handlers, and settles
   * the claim with the outcome (false: a duplicate, nothing run). Without a claim the processor's
   * transaction is already open, and `work` just runs in it.
   */
  async applyClaimed(inbox: InboxClaim | undefined, work: () => Promise<void>): Promise<void> {
    if (!inbox) return work();
    const applied = await this.uow.run(async () => {
      if (!(await this.claim(inbox.consumer, inbox.eventId, inbox.eventType))) return false;
      await work();
      return true;
    });
    inbox.settle(applied);
  }

  async count(consumer: string, eventId: string): Promise<number> {
    const [row] = await this.uow
      .manager()
      .query(`SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return row.n;
  }

  async deleteProcessedBefore(cutoff: Date): Promise<void> {
    await this.uow.manager().query(`DELETE FROM inbox WHERE processed_at < $1`, [cutoff]);
  }
}
