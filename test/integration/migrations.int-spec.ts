import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT_DIR, serviceEnv } from '@tpo/tools';
import { sql } from '../support/harness';
import { testLayout } from '../support/test-env';

const SERVICE = 'activation-service';

function migrate(direction: 'up' | 'down'): string {
  const layout = testLayout();
  const s = layout.services.find((x) => x.name === SERVICE)!;
  const run = spawnSync(
    process.execPath,
    ['-r', resolve(ROOT_DIR, 'tools/register-paths.js'), resolve(ROOT_DIR, `dist/apps/${SERVICE}/src/migrate.js`)],
    {
      env: { PATH: process.env.PATH ?? '', ...serviceEnv(layout, s), MIGRATE_DIRECTION: direction },
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`migrate ${direction} failed: ${run.stderr}`);
  return run.stdout;
}

async function tables(): Promise<string[]> {
  const rows = await sql<{ t: string }>(
    SERVICE,
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'activation' ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}

/** Tables, columns, indexes and triggers of the schema: what a migration may change. */
async function schemaObjects(): Promise<string[]> {
  const rows = await sql<{ o: string }>(
    SERVICE,
    `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type AS o FROM information_schema.columns WHERE table_schema = 'activation'
     UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'activation'
     UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'activation' AND NOT t.tgisinternal
     ORDER BY 1`,
  );
  return rows.map((r) => r.o);
}

describe('migrations', () => {
  it('every migration reverts with down and re-applies with up, in the service’s own schema', async () => {
    const before = await tables();
    const objectsBefore = await schemaObjects();
    expect(before).toEqual(expect.arrayContaining(['dead_letter', 'inbox', 'job', 'migrations', 'outbox']));
    const [{ n }] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM migrations`);
    let previous = objectsBefore;
    for (let i = 0; i < n; i++) {
      migrate('down');
      const now = await schemaObjects();
      expect(now).not.toEqual(previous); // each down undoes something its up did (a table, a column, a trigger...)
      previous = now;
    }
    expect(await tables()).toEqual(['migrations']);
    expect(migrate('up')).toMatch(new RegExp(`${n} migration\\(s\\) applied`));
    expect(await tables()).toEqual(before);
    expect(await schemaObjects()).toEqual(objectsBefore);
    expect(migrate('up')).toMatch(/0 migration\(s\) applied/);
  });
});
