import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT_DIR, serviceEnv } from '@tpo/tools';
import { sql } from '../support/harness';
import { testLayout } from '../support/test-env';

const SERVICE = 'activation-service';

function migrate(direction: 'up' | 'down'): string {
  const layout = testLayout();
  const s = layout.services.find((x) => x.name === SERVICE)!;
  const run = spawnSync(process.execPath, ['-r', resolve(ROOT_DIR, 'tools/register-paths.js'), resolve(ROOT_DIR, `dist/apps/${SERVICE}/src/migrate.js`)], {
    env: { PATH: process.env.PATH ?? '', ...serviceEnv(layout, s), MIGRATE_DIRECTION: direction },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`migrate ${direction} failed: ${run.stderr}`);
  return run.stdout;
}

async function tables(): Promise<string[]> {
  const rows = await sql<{ t: string }>(SERVICE, `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'activation' ORDER BY 1`);
  return rows.map((r) => r.t);
}

describe('migrations', () => {
  it('every migration reverts with down and re-applies with up, in the service’s own schema', async () => {
    const before = await tables();
    expect(before).toEqual(expect.arrayContaining(['dead_letter', 'inbox', 'job', 'migrations', 'outbox']));
    const [{ n }] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM migrations`);
    let previous = before.length;
    for (let i = 0; i < n; i++) {
      migrate('down');
      const now = await tables();
      expect(now.length).toBeLessThan(previous); // each down removes what its up created
      previous = now.length;
    }
    expect(await tables()).toEqual(['migrations']);
    expect(migrate('up')).toMatch(new RegExp(`${n} migration\\(s\\) applied`));
    expect(await tables()).toEqual(before);
    expect(migrate('up')).toMatch(/0 migration\(s\) applied/);
  });
});
