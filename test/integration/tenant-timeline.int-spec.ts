import { randomUUID } from 'node:crypto';
import {
  AgentsInstalled,
  AgentsInstalledV1,
  EventDefinition,
  EventEnvelope,
  SvmConfigured,
  SvmConfiguredV1,
  TenantActivated,
  TenantActivatedV1,
  VmsRegistered,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { InboxClaim, InboxRepository, OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's env type
import { TenantServiceEnv } from '../../apps/tenant-service/src/config/tenant-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's repositories and use case, run in-process against the real database
import { OnboardOperation } from '../../apps/tenant-service/src/operations/onboard-operation';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { OperationRepository } from '../../apps/tenant-service/src/operations/operation.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantVmRepository } from '../../apps/tenant-service/src/operations/tenant-vm.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { OperationProgressUseCase } from '../../apps/tenant-service/src/operations/use-cases/operation-progress.use-case';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantSecretRepository } from '../../apps/tenant-service/src/tenants/tenant-secret.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantTimelineRepository } from '../../apps/tenant-service/src/tenants/tenant-timeline.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantRepository } from '../../apps/tenant-service/src/tenants/tenant.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { RecordProgressUseCase } from '../../apps/tenant-service/src/tenants/use-cases/record-progress.use-case';
import { sql } from '../support/harness';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'tenant-service';
const SITE = 'timeline-site';

/**
 * tenant-service's timeline from the step services' events, written in one statement per event
 * (TenantTimelineRepository), against the real database: the same rows as before (the statement
 * sequence it replaced), out-of-order events, redeliveries, and a concurrent writer of the tenant.
 */
describe('tenant timeline from step events (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let tenants: TenantRepository;
  let timeline: TenantTimelineRepository;
  let progress: RecordProgressUseCase;
  let inbox: InboxRepository;
  let onboard: OnboardOperation;
  /** Statements sent through TypeORM so far. */
  let queries = 0;

  beforeAll(async () => {
    ds = await new DataSource({
      type: 'postgres',
      url: testDatabaseUrl(SERVICE),
      logging: ['query'],
      logger: {
        logQuery: () => void queries++,
        logQueryError: () => undefined,
        logQuerySlow: () => undefined,
        logSchemaBuild: () => undefined,
        logMigration: () => undefined,
        log: () => undefined,
      },
    }).initialize();
    uow = new UnitOfWork(ds);
    tenants = new TenantRepository(uow);
    timeline = new TenantTimelineRepository(uow);
    inbox = new InboxRepository(uow);
    const operations = new OperationRepository(uow);
    onboard = new OnboardOperation(operations, tenants);
    progress = new RecordProgressUseCase(
      tenants,
      new TenantSecretRepository(uow),
      new OutboxWriter(SERVICE, uow, new OutboxRepository(uow)),
      timeline,
      onboard,
      {} as OperationProgressUseCase, // onboarding events carry no operation id
      { PASSWORD_REVEAL_TTL_HOURS: 72 } as TenantServiceEnv,
      createLogger('timeline-test', 'silent'),
      inbox,
      uow,
    );
    await sql(
      SERVICE,
      `INSERT INTO site (id, name, enabled, max_virtual_servers, connection, credentials, source)
       VALUES ($1, $1, false, 100, $2::jsonb, '{}'::jsonb, 'api') ON CONFLICT (id) DO NOTHING`,
      [
        SITE,
        JSON.stringify({ ksc: { url: 'https://ksc.timeline.example:13291', publicAddress: 'ksc.timeline.example' } }),
      ],
    );
  });

  afterAll(async () => {
    // Nothing of this file stays for the next (disabled site: never a placement candidate meanwhile).
    await sql(SERVICE, `DELETE FROM outbox WHERE tenant_id IN (SELECT id FROM tenant WHERE site_id = $1)`, [SITE]);
    await sql(SERVICE, `DELETE FROM inbox WHERE consumer LIKE 'timeline-test-%'`);
    await sql(SERVICE, `DELETE FROM tenant WHERE site_id = $1`, [SITE]);
    await sql(SERVICE, `DELETE FROM site WHERE id = $1`, [SITE]);
    await ds?.destroy();
  });

  const vms = () =>
    [1, 2].map((n) => ({ biosUuid: randomUUID(), name: `vm${n}`, osFamily: 'linux' as const, address: `10.9.0.${n}` }));

  /** A tenant as intake and a successful step 1 leave it: onboarding at configure-svm, its secret stored. */
  async function tenantAtStep2(): Promise<string> {
    const id = randomUUID();
    const order = `timeline-${id}`;
    await uow.run(async () => {
      await tenants.insert({
        id,
        orderId: order,
        name: `Timeline ${id.slice(0, 8)}`,
        adminAccountName: `tl-${id.slice(0, 8)}`,
        siteId: SITE,
        request: { orderId: order, tenantName: 'x', adminAccountName: 'x', vms: vms() } as never,
      });
      await onboard.started(id, order, 'order:test');
      await timeline.createTenantSucceeded(id, { integrationServerTenantId: 'is-1', virtualServerId: '17' });
    });
    await sql(SERVICE, `INSERT INTO tenant_secret (tenant_id, sealed) VALUES ($1, '{}'::jsonb)`, [id]);
    return id;
  }

  const envelope = <T>(definition: EventDefinition<T & object>, data: T): EventEnvelope<T> =>
    ({
      specversion: '1.0',
      id: randomUUID(),
      type: definition.type,
      source: 'test',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      correlationid: 'timeline-test',
      data,
    }) as EventEnvelope<T>;

  const outcome = (n: number) => ({
    succeeded: Array.from({ length: n }, (_, i) => ({ biosUuid: randomUUID(), name: `vm${i}` })),
    failed: [],
  });
  const events = (tenantId: string) => ({
    svm: envelope(SvmConfigured, {
      tenantId,
      siteId: SITE,
      virtualServerName: 'VAS Timeline',
      applied: ['a'],
    } as unknown as SvmConfiguredV1),
    agents: envelope(AgentsInstalled, {
      tenantId,
      siteId: SITE,
      virtualServerName: 'VAS Timeline',
      ...outcome(2),
    } as unknown as AgentsInstalledV1),
    vms: envelope(VmsRegistered, { tenantId, siteId: SITE, ...outcome(2) } as unknown as VmsRegisteredV1),
    activated: envelope(TenantActivated, {
      tenantId,
      siteId: SITE,
      integrationServerTenantId: 'is-1',
      activeVms: 2,
    } as TenantActivatedV1),
  });
  type Events = ReturnType<typeof events>;
  const handlers: Record<keyof Events, (e: never, claim?: InboxClaim) => Promise<void>> = {
    svm: (e, claim) => progress.svmConfigured(e, claim),
    agents: (e, claim) => progress.agentsInstalled(e, claim),
    vms: (e, claim) => progress.vmsRegistered(e, claim),
    activated: (e, claim) => progress.tenantActivated(e, claim),
  };
  /** The handlers declared `claimsInbox` in TenantEventsMessageController. */
  const claiming = new Set<keyof Events>(['svm', 'agents', 'vms', 'activated']);
  /** Statements the last delivery sent (the driver's own count, see beforeAll). */
  let sent = 0;

  /**
   * As the event processor does: a `claimsInbox` handler gets the event's InboxClaim and writes the
   * inbox row in its own statement (the processor claims it only if the handler did not); any other
   * handler runs in one transaction with the inbox row. A known event id is skipped either way.
   */
  async function deliver(all: Events, which: keyof Events): Promise<boolean> {
    const e = all[which];
    const consumer = `timeline-test-${which}`;
    const before = queries;
    try {
      if (claiming.has(which)) {
        const claim = new InboxClaim(consumer, e.id, e.type);
        await handlers[which](e as never, claim);
        return claim.settled ?? (await inbox.claim(consumer, e.id, e.type));
      }
      return await uow.run(async () => {
        if (!(await inbox.claim(consumer, e.id, e.type))) return false;
        await handlers[which](e as never);
        return true;
      });
    } finally {
      sent = queries - before;
    }
  }

  async function snapshot(tenantId: string) {
    const [tenant] = await sql(
      SERVICE,
      `SELECT status, current_step, failure, vm_summary, virtual_server_name, lifecycle, lifecycle_reason, ready_at, updated_at
       FROM tenant WHERE id = $1`,
      [tenantId],
    );
    const steps = await sql(
      SERVICE,
      `SELECT step, status, attempt, started_at, ended_at, details, error_code, external_task_ids FROM tenant_step WHERE tenant_id = $1 ORDER BY step`,
      [tenantId],
    );
    const ready = await sql(
      SERVICE,
      `SELECT envelope FROM outbox WHERE tenant_id = $1 AND event_key = 'tenant-ready.v1'`,
      [tenantId],
    );
    const [operation] = await sql(
      SERVICE,
      `SELECT state, result FROM operation WHERE tenant_id = $1 AND kind = 'onboard'`,
      [tenantId],
    );
    const [secret] = await sql(SERVICE, `SELECT reveal_expires_at FROM tenant_secret WHERE tenant_id = $1`, [tenantId]);
    return { tenant, steps, ready, operation, secret };
  }

  it('in order: every step succeeded, the VM summary, the handover (ready, lifecycle active, operation, reveal window, one TenantReady)', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    for (const which of ['svm', 'agents', 'vms', 'activated'] as const) await deliver(e, which);

    const s = await snapshot(id);
    expect(s.tenant).toMatchObject({
      status: 'ready',
      current_step: 'handover',
      failure: null,
      lifecycle: 'active',
      lifecycle_reason: null,
      virtual_server_name: 'VAS Timeline',
      vm_summary: { requested: 2, installed: 2, installFailed: [], registered: 2, registrationFailed: [], active: 2 },
    });
    expect(s.tenant.ready_at).not.toBeNull();
    expect(s.steps.map((r) => [r.step, r.status, r.attempt, r.ended_at !== null])).toEqual([
      ['activate', 'succeeded', 1, true],
      ['configure-svm', 'succeeded', 1, true],
      ['create-tenant', 'succeeded', 1, true],
      ['handover', 'succeeded', 1, true],
      ['install-agents', 'succeeded', 1, true],
      ['register-vms', 'succeeded', 1, true],
    ]);
    const details = Object.fromEntries(s.steps.map((r) => [r.step, r.details]));
    expect(details).toEqual({
      'create-tenant': { integrationServerTenantId: 'is-1', virtualServerId: '17' },
      'configure-svm': { applied: ['a'] },
      'install-agents': { installed: 2, failed: [] },
      'register-vms': { registered: 2, failed: [] },
      activate: { activeVms: 2 },
      handover: null,
    });
    const handover = s.steps.find((r) => r.step === 'handover')!;
    expect(handover.started_at).toEqual(handover.ended_at);
    expect(s.operation).toEqual({ state: 'succeeded', result: { activeVms: 2 } });
    expect(s.secret.reveal_expires_at).not.toBeNull();
    expect(s.ready).toHaveLength(1);
    expect((s.ready[0].envelope as EventEnvelope<Record<string, unknown>>).data).toMatchObject({
      tenantId: id,
      siteId: SITE,
      administrationServer: {
        address: 'ksc.timeline.example',
        port: 13291,
        virtualServerName: 'VAS Timeline',
        connectionString: 'ksc.timeline.example/VAS Timeline',
      },
    });
  });

  it('a redelivered event changes nothing (inbox), and one applied again without its inbox row never moves the tenant nor hands over twice', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    for (const which of ['svm', 'agents', 'vms', 'activated'] as const) await deliver(e, which);
    const before = await snapshot(id);

    for (const which of ['activated', 'vms', 'agents', 'svm'] as const) expect(await deliver(e, which)).toBe(false);
    expect(await snapshot(id)).toEqual(before);

    // E.g. after the inbox row was pruned: handled again, the tenant stays where it is.
    await uow.run(() => progress.vmsRegistered(e.vms));
    await uow.run(() => progress.tenantActivated(e.activated));
    const again = await snapshot(id);
    expect(again.tenant).toMatchObject({ status: 'ready', current_step: 'handover', lifecycle: 'active' });
    expect(again.tenant.vm_summary).toEqual(before.tenant.vm_summary);
    expect(again.tenant.ready_at).toEqual(before.tenant.ready_at);
    expect(again.ready).toHaveLength(1);
    expect(again.steps.map((r) => [r.step, r.status])).toEqual(before.steps.map((r) => [r.step, r.status]));
  });

  it('out of order: TenantActivated before VmsRegistered hands over, and the late VmsRegistered is recorded without moving the tenant back', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    await deliver(e, 'svm');
    await deliver(e, 'agents');
    await deliver(e, 'activated');
    expect((await snapshot(id)).tenant).toMatchObject({ status: 'ready', current_step: 'handover' });

    await deliver(e, 'vms');
    const s = await snapshot(id);
    expect(s.tenant).toMatchObject({ status: 'ready', current_step: 'handover', lifecycle: 'active' });
    expect(s.tenant.vm_summary).toMatchObject({ registered: 2, active: 2 });
    expect(s.steps.find((r) => r.step === 'register-vms')).toMatchObject({ status: 'succeeded' });
    expect(s.steps.find((r) => r.step === 'activate')).toMatchObject({ status: 'succeeded' });
    expect(s.ready).toHaveLength(1);
  });

  it('intake writes: the tenant with its running step-1 row in one statement, and every VM in one upsert (a repeated BIOS id keeps its last entry)', async () => {
    const id = await tenantAtStep2();
    const [tenant] = await sql(SERVICE, `SELECT status, current_step, lifecycle FROM tenant WHERE id = $1`, [id]);
    expect(tenant).toEqual({ status: 'onboarding', current_step: 'configure-svm', lifecycle: 'onboarding' });

    const repo = new TenantVmRepository(uow);
    const [a, b] = vms();
    await uow.run(() => repo.insert(id, [a, b], 'active'));
    const operationId = randomUUID();
    await uow.run(() =>
      repo.insert(
        id,
        [
          { ...a, name: 'first' },
          { ...a, biosUuid: a.biosUuid.toUpperCase(), name: 'renamed' },
        ],
        'adding',
        operationId,
      ),
    );
    const rows = await repo.ofTenant(id);
    expect(rows.map((r) => [r.biosUuid, r.name, r.state, r.operationId])).toEqual([
      [a.biosUuid, 'renamed', 'adding', operationId],
      [b.biosUuid, 'vm2', 'active', null],
    ]);
  });

  it('an event for an unknown tenant writes nothing', async () => {
    const id = randomUUID();
    await uow.run(() => progress.svmConfigured(events(id).svm));
    expect(await sql(SERVICE, `SELECT 1 FROM tenant_step WHERE tenant_id = $1`, [id])).toEqual([]);
    // Through its inbox claim: the event is consumed (its inbox row written, so it is not redone), nothing else.
    const e = events(id);
    expect(await deliver(e, 'svm')).toBe(true);
    expect(await deliver(e, 'svm')).toBe(false);
    expect(await sql(SERVICE, `SELECT 1 FROM tenant_step WHERE tenant_id = $1`, [id])).toEqual([]);
  });

  it('a step event is one statement with its inbox row (no transaction of its own); the handover is two in one transaction', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    for (const which of ['svm', 'agents', 'vms'] as const) {
      expect(await deliver(e, which)).toBe(true);
      expect(sent).toBe(1);
    }
    expect(await deliver(e, 'vms')).toBe(false);
    expect(sent).toBe(1);
    expect(await deliver(e, 'activated')).toBe(true);
    // BEGIN, the step's end with its inbox row, the reveal window + onboarding + TenantReady, COMMIT.
    expect(sent).toBe(4);
    expect((await snapshot(id)).tenant).toMatchObject({ status: 'ready', current_step: 'handover' });
    expect(await deliver(e, 'activated')).toBe(false);
    expect(sent).toBe(3); // a redelivery: BEGIN, the step's end (its inbox row exists: nothing written), COMMIT
  });

  /** Holds the tenant's row in another transaction that writes `set`, and commits it after the step event started waiting. */
  async function concurrently(tenantId: string, set: string, work: () => Promise<unknown>): Promise<void> {
    const other = new Client({ connectionString: testDatabaseUrl(SERVICE) });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE tenant SET ${set} WHERE id = $1`, [tenantId]);
      const waiting = work();
      await new Promise((r) => setTimeout(r, 300));
      const [waits] = (
        await other.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE tenant SET%FOR UPDATE%'`,
        )
      ).rows;
      expect(waits.n).toBe(1); // the step event waits for the row
      await other.query('COMMIT');
      await waiting;
    } finally {
      await other.end();
    }
  }

  it('decides on the row as a concurrent writer committed it: a tenant made ready meanwhile does not move back', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    await deliver(e, 'svm');
    await deliver(e, 'agents');
    await concurrently(id, `status = 'ready', current_step = 'handover'`, () => deliver(e, 'vms'));
    const s = await snapshot(id);
    expect(s.tenant).toMatchObject({ status: 'ready', current_step: 'handover' });
    expect(s.steps.find((r) => r.step === 'register-vms')).toMatchObject({ status: 'succeeded' });
    expect(s.steps.find((r) => r.step === 'activate')).toBeUndefined();
  });

  it('decides on the row as a concurrent writer committed it: a tenant put back at the step meanwhile moves on', async () => {
    const id = await tenantAtStep2();
    const e = events(id);
    await deliver(e, 'svm');
    await sql(SERVICE, `UPDATE tenant SET current_step = 'activate' WHERE id = $1`, [id]);
    await concurrently(id, `current_step = 'install-agents', status = 'failed'`, () => deliver(e, 'agents'));
    const s = await snapshot(id);
    expect(s.tenant).toMatchObject({ status: 'onboarding', current_step: 'register-vms', failure: null });
    expect(s.steps.find((r) => r.step === 'register-vms')).toMatchObject({ status: 'running' });
  });
});
