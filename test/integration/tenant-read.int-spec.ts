import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tpo/persistence';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's read query and repositories, run in-process against the real database
import { TenantReadQuery } from '../../apps/tenant-service/src/tenants/tenant-read.query';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantRepository } from '../../apps/tenant-service/src/tenants/tenant.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { tenantDetail, tenantSummary } from '../../apps/tenant-service/src/tenants/tenant.view';
import { sql } from '../support/harness';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'tenant-service';
const SITE = 'read-site';
const OTHER_SITE = 'read-site-2';

/** What JSON makes of a value holding Dates (the answer REST gave when reads returned Dates). */
const asJson = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/**
 * The REST reads of tenants (TenantReadQuery) against the real database: timestamps formatted by
 * Postgres give exactly the JSON that the repository's Dates gave (sub-millisecond digits, any
 * session time zone), and the page's filters, order and totals.
 */
describe('tenant REST reads (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let tenants: TenantRepository;
  let reads: TenantReadQuery;

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    uow = new UnitOfWork(ds);
    tenants = new TenantRepository(uow);
    reads = new TenantReadQuery(uow);
    for (const site of [SITE, OTHER_SITE])
      await sql(
        SERVICE,
        `INSERT INTO site (id, name, enabled, max_virtual_servers, connection, credentials, source)
         VALUES ($1, $1, false, 100, $2::jsonb, '{}'::jsonb, 'api') ON CONFLICT (id) DO NOTHING`,
        [site, JSON.stringify({ ksc: { url: `https://${site}.example:13291`, publicAddress: `${site}.example` } })],
      );
  });

  afterAll(async () => {
    await sql(SERVICE, `DELETE FROM tenant WHERE site_id = ANY($1)`, [[SITE, OTHER_SITE]]);
    await sql(SERVICE, `DELETE FROM site WHERE id = ANY($1)`, [[SITE, OTHER_SITE]]);
    await ds?.destroy();
  });

  async function tenant(siteId = SITE): Promise<string> {
    const id = randomUUID();
    const order = `read-${id}`;
    await tenants.insert({
      id,
      orderId: order,
      name: `Read ${id.slice(0, 8)}`,
      adminAccountName: `rd-${id.slice(0, 8)}`,
      siteId,
      request: {
        orderId: order,
        tenantName: 'x',
        adminAccountName: 'x',
        description: 'Read test',
        vms: [{}, {}],
      } as never,
    });
    return id;
  }

  it('the detail is the JSON the repositories give, for timestamps with sub-millisecond digits, in any session time zone', async () => {
    const id = await tenant();
    await tenants.stepSucceeded(id, 'create-tenant', { integrationServerTenantId: 'is-1' });
    await tenants.stepStarted(id, 'configure-svm');
    // Digits past the millisecond (truncated by pg's Date and by the format alike), a leap day, a year boundary.
    await sql(
      SERVICE,
      `UPDATE tenant SET created_at = '2024-02-29 23:59:59.999999+00', updated_at = '1999-12-31 23:59:59.9995+00',
         ready_at = '2026-03-04 05:06:07.000001+00', virtual_server_id = '17', virtual_server_name = 'VAS Read' WHERE id = $1`,
      [id],
    );
    await sql(SERVICE, `UPDATE tenant_step SET started_at = '2026-07-01 00:00:00.0005+02' WHERE tenant_id = $1`, [id]);
    await sql(
      SERVICE,
      `INSERT INTO tenant_secret (tenant_id, sealed, reveal_expires_at) VALUES ($1, '{}'::jsonb, '2030-01-02 03:04:05.678901+00')`,
      [id],
    );

    const t = (await tenants.findById(id))!;
    const steps = await tenants.steps(id);
    const [secret] = await sql<Record<string, Date | string | null>>(
      SERVICE,
      `SELECT tenant_id AS "tenantId", created_at AS "createdAt", reveal_expires_at AS "revealExpiresAt",
         revealed_at AS "revealedAt", revealed_by AS "revealedBy", destroyed_at AS "destroyedAt", destroy_reason AS "destroyReason"
       FROM tenant_secret WHERE tenant_id = $1`,
      [id],
    );
    const reference = asJson(
      tenantDetail(
        {
          ...(asJson(tenantSummary(t)) as ReturnType<typeof tenantSummary> & {
            createdAt: string;
            updatedAt: string;
            readyAt: string;
          }),
          isTenantId: t.isTenantId,
          virtualServerId: t.virtualServerId,
          virtualServerName: t.virtualServerName,
          vmSummary: t.vmSummary,
          description: 'Read test',
          requestedVms: 2,
        },
        asJson(steps) as never,
        `${SITE}.example`,
        asJson(secret) as never,
      ),
    );
    expect(reference).toMatchObject({ createdAt: '2024-02-29T23:59:59.999Z', updatedAt: '1999-12-31T23:59:59.999Z' });

    for (const zone of ['UTC', 'Pacific/Chatham', 'America/St_Johns']) {
      const d = await uow.run(async () => {
        await uow.manager().query(`SET LOCAL TIME ZONE '${zone}'`);
        return reads.find(id);
      });
      const answer = asJson(tenantDetail(d!.tenant, d!.steps, d!.kscPublicAddress, d!.secret));
      expect(answer).toEqual(reference);
    }
    const plain = (await reads.find(id))!;
    expect(asJson(tenantDetail(plain.tenant, plain.steps, plain.kscPublicAddress, plain.secret))).toEqual(reference);
    expect(plain.tenant.readyAt).toBe('2026-03-04T05:06:07.000Z');
    expect(plain.steps.find((s) => s.step === 'configure-svm')?.startedAt).toBe('2026-06-30T22:00:00.000Z');
    expect(plain.secret?.revealExpiresAt).toBe('2030-01-02T03:04:05.678Z');
    expect(await reads.find(randomUUID())).toBeUndefined();
  });

  it('a page is newest first with the total the filter matches, the same summaries the repository gives', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await tenant());
    const other = await tenant(OTHER_SITE);
    await sql(SERVICE, `UPDATE tenant SET status = 'ready', ready_at = now() WHERE id = ANY($1)`, [[ids[1], ids[3]]]);

    const first = await reads.page({ siteId: SITE, limit: 2, offset: 0 });
    const all = await reads.page({ siteId: SITE, limit: 100, offset: 0 });
    expect(first.total).toBe(all.total);
    expect(all.items.map((t) => t.createdAt)).toEqual([...all.items.map((t) => t.createdAt)].sort().reverse());
    expect(first.items.map((t) => t.id)).toEqual(all.items.slice(0, 2).map((t) => t.id));
    expect(all.items.map((t) => t.id)).toEqual(expect.arrayContaining(ids));
    expect(all.items.map((t) => t.id)).not.toContain(other);
    for (const item of all.items)
      expect(asJson(tenantSummary(item))).toEqual(asJson(tenantSummary((await tenants.findById(item.id))!)));

    const ready = await reads.page({ siteId: SITE, status: 'ready', limit: 100, offset: 0 });
    expect(ready.items.map((t) => t.id).sort()).toEqual(
      all.items
        .filter((t) => t.status === 'ready')
        .map((t) => t.id)
        .sort(),
    );
    expect(ready.items.map((t) => t.id)).toEqual(expect.arrayContaining([ids[1], ids[3]]));
    expect(ready.total).toBe(ready.items.length);

    // The caller's sites limit both the rows and the total; past the end, the total still comes.
    const scoped = await reads.page({ sites: [OTHER_SITE], limit: 100, offset: 0 });
    expect(scoped.items.map((t) => t.siteId)).toEqual(scoped.items.map(() => OTHER_SITE));
    expect(scoped.items.map((t) => t.id)).toContain(other);
    expect(await reads.page({ siteId: SITE, limit: 10, offset: all.total + 5 })).toEqual({
      items: [],
      total: all.total,
    });
    expect(await reads.page({ siteId: 'no-such-site', limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
  });
});
