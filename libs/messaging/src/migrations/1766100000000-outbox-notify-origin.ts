import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox's NOTIFY names the row and its writer: one notification per row, payload
 * `<tpo.origin>:<id>` (tpo.origin is set per connection pool, see serviceDataSourceOptions; empty
 * for other connections). The relay publishes the rows its own process hands it after commit
 * without reading them back, in the order their notifications arrive (commit order), and reads the
 * table only for other writers' rows (a notification with another origin), at start and on its
 * safety-net poll. Was: one notification per statement, empty payload, followed by a fetch.
 */
export class OutboxNotifyOrigin1766100000000 implements MigrationInterface {
  name = 'OutboxNotifyOrigin1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_notify ON outbox`);
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', coalesce(current_setting('tpo.origin', true), '') || ':' || NEW.id);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_notify ON outbox`);
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
    );
  }
}
