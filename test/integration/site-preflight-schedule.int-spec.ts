import { serviceDataSourceOptions, UnitOfWork } from '@tpo/persistence';
import { runExclusiveRound } from '@tpo/jobs';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the repository whose claims are under test, run on two pools like two replicas
import { SitePreflightRepository } from '../../apps/tenant-service/src/sites/site-preflight.repository';
import { sql } from '../support/harness';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

/**
 * Issue 8: every tenant-service replica ticks the preflight schedule; an exclusive round claims the
 * due sites (moving their next due time), so each due site is checked by one replica per interval.
 */
describe('site preflight schedule: one owner per site and round across replicas (real Postgres)', () => {
  const replicas: { ds: DataSource; uow: UnitOfWork; repo: SitePreflightRepository }[] = [];
  const ids = ['pf-a', 'pf-b', 'pf-c', 'pf-off'];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const ds = new DataSource(
        serviceDataSourceOptions({
          url: testDatabaseUrl('tenant-service'),
          schema: serviceLayout('tenant-service').schema,
          applicationName: `pf-replica-${i}`,
          entities: [],
          migrations: [],
          poolSize: 2,
        }),
      );
      await ds.initialize();
      const uow = new UnitOfWork(ds);
      replicas.push({ ds, uow, repo: new SitePreflightRepository(uow) });
    }
    await sql('tenant-service', `DELETE FROM site_preflight WHERE site_id = ANY($1)`, [ids]);
    await sql('tenant-service', `DELETE FROM site WHERE id = ANY($1)`, [ids]);
    for (const id of ids) {
      await sql(
        'tenant-service',
        `INSERT INTO site (id, name, enabled, ksc_configured, max_virtual_servers, connection, credentials, source) VALUES ($1, $1, $2, true, 10, '{}'::jsonb, '{}'::jsonb, 'api')`,
        [id, id !== 'pf-off'],
      );
    }
  });

  afterAll(async () => {
    await sql('tenant-service', `DELETE FROM site_preflight WHERE site_id = ANY($1)`, [ids]);
    await sql('tenant-service', `DELETE FROM site WHERE id = ANY($1)`, [ids]);
    for (const r of replicas) await r.ds.destroy();
  });

  /** One tick of a replica: the exclusive round claims, as SitePreflightService.runDue does. */
  const tick = async (r: (typeof replicas)[number], intervalMs: number, hold?: Promise<void>) => {
    let claimed: string[] = [];
    const ran = await runExclusiveRound(r.uow, 'tenant:site-preflight-test', async () => {
      claimed = (await r.repo.claimDue(intervalMs, 20)).map((c) => c.siteId).filter((id) => ids.includes(id));
      await hold;
    });
    return { ran, claimed: claimed.sort() };
  };

  it('two replicas ticking together: one claims every due enabled site, the other none; nothing is due again before the interval', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const first = tick(replicas[0], 60_000, hold);
    await new Promise((r) => setTimeout(r, 100));
    const second = await tick(replicas[1], 60_000);
    release();
    const a = await first;
    expect(a).toEqual({ ran: true, claimed: ['pf-a', 'pf-b', 'pf-c'] });
    expect(second).toEqual({ ran: false, claimed: [] });
    // The claim moved the next due time: the next round finds nothing due.
    expect(await tick(replicas[1], 60_000)).toEqual({ ran: true, claimed: [] });
  });

  it('a recorded result sets the next due time; a site due again is claimed by whichever replica ticks', async () => {
    await replicas[0].uow.run(() =>
      replicas[0].repo.record('pf-a', {
        status: 'failed',
        checks: [],
        trigger: 'schedule',
        foreignVirtualServers: 3,
        intervalMs: 1,
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(await tick(replicas[1], 60_000)).toEqual({ ran: true, claimed: ['pf-a'] });
    const stored = await replicas[0].uow.run(() => replicas[0].repo.find('pf-a'));
    expect(stored).toMatchObject({ status: 'failed', foreignVirtualServers: 3, trigger: 'schedule' });
  });
});
