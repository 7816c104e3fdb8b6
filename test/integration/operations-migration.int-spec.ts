import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ROOT_DIR, serviceEnv } from '@tpo/tools';
import { sql } from '../support/harness';
import { testLayout } from '../support/test-env';

function migrate(service: string, direction: 'up' | 'down'): string {
  const layout = testLayout();
  const s = layout.services.find((x) => x.name === service)!;
  const run = spawnSync(
    process.execPath,
    ['-r', resolve(ROOT_DIR, 'tools/register-paths.js'), resolve(ROOT_DIR, `dist/apps/${service}/src/migrate.js`)],
    {
      env: { PATH: process.env.PATH ?? '', ...serviceEnv(layout, s), MIGRATE_DIRECTION: direction },
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`migrate ${direction} failed: ${run.stderr}`);
  return run.stdout;
}

async function downTo(service: string, name: string): Promise<void> {
  for (;;) {
    const [last] = await sql<{ name: string }>(service, `SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
    migrate(service, 'down');
    if (last.name === name) return;
  }
}

/** Issue 10's migrations keep existing data: onboardings become `onboard` operations, step records the onboarding's run. */
describe('issue 10 migrations keep existing data', () => {
  it('tenant-service: every existing tenant gets its onboarding as an onboard operation, a lifecycle and its VM inventory', async () => {
    const svc = 'tenant-service';
    await downTo(svc, 'Operations1765100000000');
    const site = `mig-${randomUUID().slice(0, 8)}`;
    await sql(
      svc,
      `INSERT INTO site (id, name, max_virtual_servers, connection, credentials, source) VALUES ($1, $1, 10, '{}'::jsonb, '{}'::jsonb, 'api')`,
      [site],
    );
    const tenants = { ready: randomUUID(), failed: randomUUID(), onboarding: randomUUID() };
    const vm = (n: number) => ({ biosUuid: randomUUID(), name: `vm${n}`, osFamily: 'linux', address: `10.0.0.${n}` });
    for (const [status, id] of Object.entries(tenants)) {
      const failure =
        status === 'failed' ? { step: 'activate', code: 'KSC_ConnectionLost', message: 'lost', retryable: true } : null;
      await sql(
        svc,
        `INSERT INTO tenant (id, order_id, name, admin_account_name, site_id, status, current_step, request, failure, ready_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'activate', $7::jsonb, $8::jsonb, CASE WHEN $6 = 'ready' THEN now() END)`,
        [
          id,
          `order-${id}`,
          `T ${id.slice(0, 8)}`,
          `adm-${id.slice(0, 8)}`,
          site,
          status,
          JSON.stringify({ vms: [vm(1), vm(2)] }),
          failure ? JSON.stringify(failure) : null,
        ],
      );
      await sql(svc, `INSERT INTO tenant_step (tenant_id, step, status) VALUES ($1, 'create-tenant', 'succeeded')`, [
        id,
      ]);
    }
    try {
      migrate(svc, 'up');
      const ids = Object.values(tenants);
      const ops = await sql<{
        tenant_id: string;
        kind: string;
        state: string;
        request_id: string;
        error_code: string | null;
      }>(
        svc,
        `SELECT tenant_id, kind, state, request_id, error_code FROM operation WHERE tenant_id = ANY($1::uuid[])`,
        [ids],
      );
      expect(ops).toHaveLength(3);
      expect(ops.find((o) => o.tenant_id === tenants.ready)).toMatchObject({
        kind: 'onboard',
        state: 'succeeded',
        request_id: `order-${tenants.ready}`,
      });
      expect(ops.find((o) => o.tenant_id === tenants.failed)).toMatchObject({
        kind: 'onboard',
        state: 'failed',
        error_code: 'KSC_ConnectionLost',
      });
      expect(ops.find((o) => o.tenant_id === tenants.onboarding)).toMatchObject({ kind: 'onboard', state: 'running' });
      const lifecycles = await sql<{ id: string; lifecycle: string }>(
        svc,
        `SELECT id, lifecycle FROM tenant WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      expect(Object.fromEntries(lifecycles.map((r) => [r.id, r.lifecycle]))).toEqual({
        [tenants.ready]: 'active',
        [tenants.failed]: 'failed',
        [tenants.onboarding]: 'onboarding',
      });
      const steps = await sql<{ operation_id: string | null }>(
        svc,
        `SELECT operation_id FROM tenant_step WHERE tenant_id = ANY($1::uuid[])`,
        [ids],
      );
      expect(steps.every((s) => s.operation_id !== null)).toBe(true);
      const [{ n }] = await sql<{ n: number }>(
        svc,
        `SELECT count(*)::int AS n FROM tenant_vm WHERE tenant_id = ANY($1::uuid[]) AND state = 'active'`,
        [ids],
      );
      expect(n).toBe(6);
    } finally {
      await sql(svc, `DELETE FROM tenant WHERE site_id = $1`, [site]);
      await sql(svc, `DELETE FROM site WHERE id = $1`, [site]);
    }
  });

  it("step services: existing step records become the onboarding's run (run id '') and a second run of the same step can be recorded", async () => {
    const svc = 'activation-service';
    await downTo(svc, 'StepRuns1765100000001');
    const tenant = randomUUID();
    await sql(
      svc,
      `INSERT INTO step_work (tenant_id, step, site_id, status, input, output) VALUES ($1, 'activate', 's', 'succeeded', '{}'::jsonb, '{"activeVms": 2}'::jsonb)`,
      [tenant],
    );
    await sql(
      svc,
      `INSERT INTO step_vm (tenant_id, step, bios_uuid, name, status) VALUES ($1, 'activate', $2, 'vm1', 'succeeded')`,
      [tenant, randomUUID()],
    );
    try {
      migrate(svc, 'up');
      expect(await sql(svc, `SELECT run_id FROM step_work WHERE tenant_id = $1`, [tenant])).toEqual([{ run_id: '' }]);
      expect(await sql(svc, `SELECT run_id FROM step_vm WHERE tenant_id = $1`, [tenant])).toEqual([{ run_id: '' }]);
      const op = randomUUID();
      await sql(
        svc,
        `INSERT INTO step_work (tenant_id, step, site_id, status, input, run_id) VALUES ($1, 'activate', 's', 'pending', '{}'::jsonb, $2)`,
        [tenant, op],
      );
      expect(await sql(svc, `SELECT run_id FROM step_work WHERE tenant_id = $1 ORDER BY run_id`, [tenant])).toEqual([
        { run_id: '' },
        { run_id: op },
      ]);
    } finally {
      await sql(svc, `DELETE FROM step_work WHERE tenant_id = $1`, [tenant]);
    }
  });
});
