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
    expect(await tables()).toEqual(['backbone_ping_hop', 'dead_letter', 'inbox', 'migrations', 'outbox']);
    migrate('down');
    expect(await tables()).toEqual(['dead_letter', 'inbox', 'migrations', 'outbox']);
    migrate('down');
    expect(await tables()).toEqual(['migrations']);
    expect(migrate('up')).toMatch(/2 migration\(s\) applied/);
    expect(await tables()).toEqual(['backbone_ping_hop', 'dead_letter', 'inbox', 'migrations', 'outbox']);
    expect(migrate('up')).toMatch(/0 migration\(s\) applied/);
  });
});
