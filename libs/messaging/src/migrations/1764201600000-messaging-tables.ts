import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox, inbox and dead-letter tables, created in every service's own schema (the connection's
 * search_path). Shared by all services so that the backbone behaves the same everywhere.
 */
export class MessagingTables1764201600000 implements MigrationInterface {
  name = 'MessagingTables1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        event_key text NOT NULL,
        tenant_id uuid NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text NULL
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL`);
    // Wakes the relay as soon as a transaction that wrote outbox rows commits (NOTIFY is transactional).
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
    );
    await q.query(`
      CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE INDEX inbox_processed_idx ON inbox (processed_at)`);
    await q.query(`
      CREATE TABLE dead_letter (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consumer text NOT NULL,
        subject text NOT NULL,
        stream_seq bigint NULL,
        event_id text NULL,
        event_type text NULL,
        tenant_id text NULL,
        reason text NOT NULL,
        deliveries integer NOT NULL,
        payload text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'replayed', 'discarded')),
        created_at timestamptz NOT NULL DEFAULT now(),
        replayed_at timestamptz NULL,
        replay_attempts integer NOT NULL DEFAULT 0,
        last_replay_error text NULL
      )`);
    // A redelivery between writing the row and terminating the message must not add a second row.
    await q.query(
      `CREATE UNIQUE INDEX dead_letter_delivery_uq ON dead_letter (consumer, stream_seq) WHERE stream_seq IS NOT NULL`,
    );
    await q.query(`CREATE INDEX dead_letter_status_idx ON dead_letter (status, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letter`);
    await q.query(`DROP TABLE inbox`);
    await q.query(`DROP TRIGGER outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION outbox_notify()`);
    await q.query(`DROP TABLE outbox`);
  }
}
