import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tpo/persistence';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's read query and repositories, run in-process against the real database
import {
  TenantPageFilter,
  TenantReadQuery,
  TenantSummaryRead,
} from '../../apps/tenant-service/src/tenants/tenant-read.query';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantRepository } from '../../apps/tenant-service/src/tenants/tenant.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { tenantDetail, tenantSummary } from '../../apps/tenant-service/src/tenants/tenant.view';
import { sql } from '../support/harness';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'tenant-service';
const SITE = 'read-site';
const OTHER_SITE = 'read-site-2';
/** A site registered without a KSC public address. */
const BARE_SITE = 'read-site-bare';

/** What JSON makes of a value holding Dates (the answer REST gave when reads returned Dates). */
const asJson = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/**
 * The REST reads of tenants (TenantReadQuery) against the real database: the detail and the page's
 * summaries are, byte for byte, the JSON that the repositories' records (with Dates) gave through the
 * same view, whatever the tenant's state, in any session time zone; and the page's filters, order and
 * totals.
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
    for (const [site, connection] of [
      [SITE, { ksc: { url: `https://${SITE}.example:13291`, publicAddress: `${SITE}.example` } }],
      [OTHER_SITE, { ksc: { url: `https://${OTHER_SITE}.example:13291`, publicAddress: `${OTHER_SITE}.example` } }],
      [BARE_SITE, { ksc: { url: `https://${BARE_SITE}.example:13291` } }],
    ] as const)
      await sql(
        SERVICE,
        `INSERT INTO site (id, name, enabled, max_virtual_servers, connection, credentials, source)
         VALUES ($1, $1, false, 100, $2::jsonb, '{}'::jsonb, 'api') ON CONFLICT (id) DO NOTHING`,
        [site, JSON.stringify(connection)],
      );
  });

  afterAll(async () => {
    const sites = [SITE, OTHER_SITE, BARE_SITE];
    await sql(SERVICE, `DELETE FROM tenant WHERE site_id = ANY($1)`, [sites]);
    await sql(SERVICE, `DELETE FROM site WHERE id = ANY($1)`, [sites]);
    await ds?.destroy();
  });

  async function tenant(siteId = SITE, withDescription = true): Promise<string> {
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
        description: withDescription ? 'Read test' : undefined,
        vms: [{}, {}, {}],
      } as never,
    });
    return id;
  }

  /** The detail as REST built it from the repositories' records (Dates), before TenantReadQuery. */
  async function referenceDetail(id: string): Promise<string> {
    const t = (await tenants.findById(id))!;
    const steps = await tenants.steps(id);
    const [site] = await sql<{ address: string | null }>(
      SERVICE,
      `SELECT connection #>> '{ksc,publicAddress}' AS address FROM site WHERE id = $1`,
      [t.siteId],
    );
    const [secret] = await sql<Record<string, Date | string | null>>(
      SERVICE,
      `SELECT tenant_id AS "tenantId", created_at AS "createdAt", reveal_expires_at AS "revealExpiresAt",
         revealed_at AS "revealedAt", revealed_by AS "revealedBy", destroyed_at AS "destroyedAt", destroy_reason AS "destroyReason"
       FROM tenant_secret WHERE tenant_id = $1`,
      [id],
    );
    const request = t.request as unknown as { description?: string; vms?: unknown[] };
    return JSON.stringify(
      tenantDetail(
        {
          ...(asJson(tenantSummary(t)) as TenantSummaryRead),
          isTenantId: t.isTenantId,
          virtualServerId: t.virtualServerId,
          virtualServerName: t.virtualServerName,
          vmSummary: t.vmSummary,
          description: request.description ?? undefined,
          requestedVms: request.vms?.length ?? 0,
        },
        asJson(steps) as never,
        site?.address ?? undefined,
        secret ? (asJson(secret) as never) : undefined,
      ),
    );
  }

  async function readDetail(id: string): Promise<string> {
    const d = (await reads.find(id))!;
    return JSON.stringify(tenantDetail(d.tenant, d.steps, d.kscPublicAddress, d.secret));
  }

  it('the detail is the JSON the repositories give, for timestamps with sub-millisecond digits, in any session time zone', async () => {
    const id = await tenant();
    await tenants.stepSucceeded(id, 'create-tenant', { integrationServerTenantId: 'is-1' });
    await tenants.stepStarted(id, 'configure-svm');
    // Digits past the millisecond (truncated by pg's Date and by the format alike), a leap day, a year boundary.
    await sql(
      SERVICE,
      `UPDATE tenant SET created_at = '2024-02-29 23:59:59.999999+00', updated_at = '1999-12-31 23:59:59.9995+00',
         ready_at = '2026-03-04 05:06:07.000001+00', virtual_server_id = '17', virtual_server_name = 'VAS Read',
         vm_summary = '{"active": 3, "failed": 0}'::jsonb WHERE id = $1`,
      [id],
    );
    await sql(SERVICE, `UPDATE tenant_step SET started_at = '2026-07-01 00:00:00.0005+02' WHERE tenant_id = $1`, [id]);
    await sql(
      SERVICE,
      `INSERT INTO tenant_secret (tenant_id, sealed, reveal_expires_at) VALUES ($1, '{}'::jsonb, '2030-01-02 03:04:05.678901+00')`,
      [id],
    );

    const reference = await referenceDetail(id);
    expect(JSON.parse(reference)).toMatchObject({
      createdAt: '2024-02-29T23:59:59.999Z',
      updatedAt: '1999-12-31T23:59:59.999Z',
      description: 'Read test',
      vms: { requested: 3, active: 3 },
      virtualAdministrationServer: {
        id: '17',
        address: `${SITE}.example`,
        connectionString: `${SITE}.example/VAS Read`,
      },
      initialAdminPassword: { state: 'available', revealExpiresAt: '2030-01-02T03:04:05.678Z' },
    });
    for (const zone of ['UTC', 'Pacific/Chatham', 'America/St_Johns']) {
      const answer = await uow.run(async () => {
        await uow.manager().query(`SET LOCAL TIME ZONE '${zone}'`);
        return readDetail(id);
      });
      expect(answer).toBe(reference);
    }
    expect(await readDetail(id)).toBe(reference);
    const plain = (await reads.find(id))!;
    expect(plain.tenant.readyAt).toBe('2026-03-04T05:06:07.000Z');
    expect(plain.steps.find((s) => s.step === 'configure-svm')?.startedAt).toBe('2026-06-30T22:00:00.000Z');
    expect(await reads.find(randomUUID())).toBeUndefined();
  });

  it('the same JSON in every other state: no secret, no steps, no site address, no description, a failure, a revealed or destroyed password', async () => {
    // Just taken in: step 1 running, no secret, no vAS, a description.
    const fresh = await tenant();
    expect(await readDetail(fresh)).toBe(await referenceDetail(fresh));
    expect(JSON.parse(await readDetail(fresh))).toMatchObject({ initialAdminPassword: { state: 'not-created' } });

    // No step row at all, no description, a site without a public address, a vAS id.
    const bare = await tenant(BARE_SITE, false);
    await sql(SERVICE, `DELETE FROM tenant_step WHERE tenant_id = $1`, [bare]);
    await sql(SERVICE, `UPDATE tenant SET virtual_server_id = '9' WHERE id = $1`, [bare]);
    const bareJson = await readDetail(bare);
    expect(bareJson).toBe(await referenceDetail(bare));
    expect(JSON.parse(bareJson)).not.toHaveProperty('description');
    expect(JSON.parse(bareJson)).not.toHaveProperty('virtualAdministrationServer');

    // Failed at a step, with its failure and the step's error; the password revealed.
    const failed = await tenant();
    const failure = {
      step: 'install-agents',
      code: 'KSC_TASK_FAILED',
      message: 'no "agent" ]]> here',
      retryable: true,
    };
    await tenants.stepFailed(failed, failure as never, 2);
    await tenants.update(failed, { status: 'failed', failure: failure as never });
    await sql(
      SERVICE,
      `INSERT INTO tenant_secret (tenant_id, sealed, revealed_at, revealed_by) VALUES ($1, NULL, now(), 'admin:alice')`,
      [failed],
    );
    const failedJson = await readDetail(failed);
    expect(failedJson).toBe(await referenceDetail(failed));
    expect(JSON.parse(failedJson)).toMatchObject({
      status: 'failed',
      failure,
      initialAdminPassword: { state: 'revealed', revealedBy: 'admin:alice' },
    });

    // The password destroyed unrevealed.
    const destroyed = await tenant();
    await sql(
      SERVICE,
      `INSERT INTO tenant_secret (tenant_id, sealed, destroyed_at, destroy_reason) VALUES ($1, NULL, now(), 'reveal-window-expired')`,
      [destroyed],
    );
    expect(await readDetail(destroyed)).toBe(await referenceDetail(destroyed));
    expect(JSON.parse(await readDetail(destroyed))).toMatchObject({
      initialAdminPassword: { state: 'reset-required', reason: 'reveal-window-expired' },
    });
  });

  /** A page as REST answers it (the JSON text `pageJson` builds), parsed; its limit and offset echo the filter's. */
  async function page(filter: TenantPageFilter): Promise<{ items: TenantSummaryRead[]; total: number }> {
    const { items, total, limit, offset, ...rest } = JSON.parse(await reads.pageJson(filter)) as {
      items: TenantSummaryRead[];
      total: number;
      limit: number;
      offset: number;
    };
    expect({ limit, offset, rest }).toEqual({ limit: filter.limit, offset: filter.offset, rest: {} });
    return { items, total };
  }

  it('a page is newest first with the total the filter matches, the same summaries the repository gives', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await tenant());
    const other = await tenant(OTHER_SITE);
    await sql(SERVICE, `UPDATE tenant SET status = 'ready', ready_at = now() WHERE id = ANY($1)`, [[ids[1], ids[3]]]);
    await sql(SERVICE, `UPDATE tenant SET status = 'ready', ready_at = now() WHERE id = $1`, [other]);
    // A name that JSON must escape: quotes, a backslash, control characters, non-ASCII.
    await sql(SERVICE, `UPDATE tenant SET name = $2 WHERE id = $1`, [ids[2], 'Zürich "A\\B"\n\t\u0001 ]]> ✓']);

    const first = await page({ siteId: SITE, limit: 2, offset: 0 });
    const all = await page({ siteId: SITE, limit: 100, offset: 0 });
    expect(first.total).toBe(all.total);
    expect(all.total).toBe(all.items.length);
    expect(all.items.map((t) => t.createdAt)).toEqual([...all.items.map((t) => t.createdAt)].sort().reverse());
    expect(first.items.map((t) => t.id)).toEqual(all.items.slice(0, 2).map((t) => t.id));
    expect(all.items.map((t) => t.id)).toEqual(expect.arrayContaining(ids));
    expect(all.items.map((t) => t.id)).not.toContain(other);
    expect(all.items.find((t) => t.id === ids[2])?.name).toBe('Zürich "A\\B"\n\t\u0001 ]]> ✓');
    // Each item is the summary REST showed from the repository's record: the same fields, in the same order.
    for (const item of all.items)
      expect(JSON.stringify(item)).toBe(JSON.stringify(tenantSummary((await tenants.findById(item.id))!)));

    const ready = await page({ siteId: SITE, status: 'ready', limit: 100, offset: 0 });
    expect(ready.items.map((t) => t.id).sort()).toEqual(
      all.items
        .filter((t) => t.status === 'ready')
        .map((t) => t.id)
        .sort(),
    );
    expect(ready.items.map((t) => t.id)).toEqual(expect.arrayContaining([ids[1], ids[3]]));
    expect(ready.total).toBe(ready.items.length);

    // The caller's sites limit the rows and the total, alone and with each other filter.
    const scoped = await page({ sites: [OTHER_SITE], limit: 100, offset: 0 });
    expect(new Set(scoped.items.map((t) => t.siteId))).toEqual(new Set([OTHER_SITE]));
    expect(scoped.items.map((t) => t.id)).toContain(other);
    expect(scoped.total).toBe(scoped.items.length);
    expect(await page({ siteId: SITE, sites: [OTHER_SITE], limit: 100, offset: 0 })).toEqual({
      items: [],
      total: 0,
    });
    const readyScoped = await page({ status: 'ready', sites: [OTHER_SITE, SITE], limit: 100, offset: 0 });
    expect(readyScoped.items.map((t) => t.id)).toEqual(expect.arrayContaining([ids[1], ids[3], other]));
    expect(readyScoped.items.every((t) => t.status === 'ready')).toBe(true);
    const bySiteScoped = await page({ siteId: SITE, sites: [SITE], status: 'ready', limit: 1, offset: 1 });
    expect(bySiteScoped.total).toBe(ready.total);
    expect(bySiteScoped.items.map((t) => t.id)).toEqual([ready.items[1].id]);

    // Past the end, the total still comes; an unknown site matches nothing.
    expect(await page({ siteId: SITE, limit: 10, offset: all.total + 5 })).toEqual({
      items: [],
      total: all.total,
    });
    expect(await page({ siteId: 'no-such-site', limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
  });
});
