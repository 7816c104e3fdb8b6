import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When step 1 is about to call CreateTenant it records the intent first: a resume that finds an
 * intent but no task id knows a call may have reached the Integration Server and looks before it
 * creates again (issue 9, R3).
 */
export class CreateIntent1764900100000 implements MigrationInterface {
  name = 'CreateIntent1764900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant ADD COLUMN create_intent_at timestamptz NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant DROP COLUMN create_intent_at`);
  }
}
