import { Client } from 'pg';
import { databaseUrlOf, LocalLayout } from '../bootstrap/local-layout';
import { LocalNatsCluster } from './nats-cluster';

export interface OrderedTenant {
  orderId: string;
  tenantName: string;
  vms: { biosUuid: string }[];
}

interface SimState {
  integrationServer: {
    tenants: { id: string; name: string; status: string }[];
    vms: { biosId: string; tenantId: string }[];
  };
  ksc: { virtualServers: { dn: string }[] };
  counters: Record<string, number>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ClusterFigures {
  tenantsReady: number;
  createTenantCalls: number;
  registerVmCalls: number;
  vmsRegistered: number;
  deadLetters: number;
  openJobs: number;
  unpublishedOutbox: number;
  unfinishedSteps: number;
  consumerBacklog: number;
  /** Messages delivered more than once (a killed replica's unacked events); the inbox makes them no-ops. */
  redeliveries: number;
  streamReplicas: number;
  streamMessages: number;
  streamBytes: number;
}

/**
 * The verdict of a run, from the simulator's own state and counters (what the vendor saw), the
 * services' tables and the NATS cluster: every tenant ready, created once, each VM registered once
 * to its tenant, nothing stuck, no dead letter, every consumer drained.
 */
export async function checkCluster(o: {
  orders: OrderedTenant[];
  statuses: Map<string, string>;
  simulatorAdminUrl: string;
  layout: LocalLayout;
  nats: LocalNatsCluster;
  stream: string;
}): Promise<{ checks: CheckResult[]; figures: ClusterFigures }> {
  const sim = (await (await fetch(`${o.simulatorAdminUrl}/sites/site-1/state`)).json()) as SimState;
  const checks: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const notReady = o.orders.filter((t) => o.statuses.get(t.orderId) !== 'ready');
  add(
    'every tenant ready',
    notReady.length === 0,
    notReady.length
      ? `${notReady.length} not ready, e.g. ${notReady
          .slice(0, 3)
          .map((t) => `${t.orderId}=${o.statuses.get(t.orderId) ?? 'missing'}`)
          .join(', ')}`
      : `${o.orders.length} ready`,
  );

  const isByName = new Map<string, { id: string; status: string }[]>();
  for (const t of sim.integrationServer.tenants) isByName.set(t.name, [...(isByName.get(t.name) ?? []), t]);
  const notOnce = o.orders.filter((t) => (isByName.get(t.tenantName)?.length ?? 0) !== 1);
  const createCalls = sim.counters.CreateTenant ?? 0;
  add(
    'each tenant created once',
    notOnce.length === 0 && createCalls === o.orders.length,
    `${createCalls} CreateTenant calls for ${o.orders.length} tenants; ${notOnce.length} tenants not exactly once in the Integration Server`,
  );

  const vasCount = new Map<string, number>();
  for (const v of sim.ksc.virtualServers) vasCount.set(v.dn, (vasCount.get(v.dn) ?? 0) + 1);
  const vasNotOnce = o.orders.filter((t) => vasCount.get(t.tenantName) !== 1);
  add(
    'one virtual Administration Server per tenant',
    vasNotOnce.length === 0,
    `${vasNotOnce.length} tenants without exactly one vAS`,
  );

  const vmTenants = new Map<string, string[]>();
  for (const v of sim.integrationServer.vms) vmTenants.set(v.biosId, [...(vmTenants.get(v.biosId) ?? []), v.tenantId]);
  let vmsWrong = 0;
  let vmsExpected = 0;
  for (const t of o.orders) {
    const isId = isByName.get(t.tenantName)?.[0]?.id;
    for (const vm of t.vms) {
      vmsExpected++;
      const owners = vmTenants.get(vm.biosUuid.toLowerCase()) ?? [];
      if (owners.length !== 1 || owners[0] !== isId) vmsWrong++;
    }
  }
  add(
    'each VM registered once, to its tenant',
    vmsWrong === 0 && sim.integrationServer.vms.length === vmsExpected,
    `${sim.integrationServer.vms.length} VMs registered for ${vmsExpected} ordered; ${vmsWrong} not exactly once to their tenant`,
  );

  const db = await tableCounts(o.layout);
  add(
    'no stuck operation (jobs, steps, outbox)',
    db.openJobs === 0 && db.unfinishedSteps === 0 && db.unpublishedOutbox === 0,
    `open jobs ${db.openJobs}, unfinished steps ${db.unfinishedSteps}, unpublished outbox rows ${db.unpublishedOutbox}`,
  );
  add(
    'no dead letter',
    db.deadLetters === 0,
    `${db.deadLetters} dead letters${db.deadLetterReasons.length ? `: ${db.deadLetterReasons.join('; ')}` : ''}`,
  );

  const js = await o.nats.withConnection(async (nc) => {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(o.stream);
    let backlog = 0;
    let redelivered = 0;
    for await (const c of jsm.consumers.list(o.stream)) {
      backlog += c.num_pending + c.num_ack_pending;
      redelivered += c.num_redelivered;
    }
    return {
      replicas: info.config.num_replicas,
      current: (info.cluster?.replicas ?? []).every((r) => r.current),
      backlog,
      redelivered,
      messages: info.state.messages,
      bytes: info.state.bytes,
    };
  });
  add(
    'stream R3 with every replica current, every consumer drained',
    js.replicas === 3 && js.current && js.backlog === 0,
    `R${js.replicas}, replicas current: ${js.current}, pending + unacked: ${js.backlog}`,
  );

  return {
    checks,
    figures: {
      tenantsReady: o.orders.length - notReady.length,
      createTenantCalls: createCalls,
      registerVmCalls: sim.counters.RegisterVm ?? 0,
      vmsRegistered: sim.integrationServer.vms.length,
      deadLetters: db.deadLetters,
      openJobs: db.openJobs,
      unpublishedOutbox: db.unpublishedOutbox,
      unfinishedSteps: db.unfinishedSteps,
      consumerBacklog: js.backlog,
      redeliveries: js.redelivered,
      streamReplicas: js.replicas,
      streamMessages: js.messages,
      streamBytes: js.bytes,
    },
  };
}

async function tableCounts(layout: LocalLayout): Promise<{
  openJobs: number;
  unfinishedSteps: number;
  unpublishedOutbox: number;
  deadLetters: number;
  deadLetterReasons: string[];
}> {
  const out = {
    openJobs: 0,
    unfinishedSteps: 0,
    unpublishedOutbox: 0,
    deadLetters: 0,
    deadLetterReasons: [] as string[],
  };
  for (const s of layout.services) {
    const pg = new Client({ connectionString: databaseUrlOf(layout, s) });
    await pg.connect();
    try {
      const one = async (sql: string) => Number((await pg.query(sql)).rows[0].n);
      out.openJobs += await one(`SELECT count(*) AS n FROM job WHERE status IN ('pending', 'running')`);
      out.unpublishedOutbox += await one(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`);
      const hasSteps = (await pg.query(`SELECT to_regclass('step_work') AS t`)).rows[0].t !== null;
      if (hasSteps)
        out.unfinishedSteps += await one(`SELECT count(*) AS n FROM step_work WHERE status IN ('pending', 'running')`);
      const dead = (await pg.query(`SELECT consumer, reason FROM dead_letter WHERE status = 'pending' LIMIT 5`))
        .rows as { consumer: string; reason: string }[];
      out.deadLetters += await one(`SELECT count(*) AS n FROM dead_letter WHERE status = 'pending'`);
      out.deadLetterReasons.push(...dead.map((d) => `${d.consumer}: ${d.reason.slice(0, 120)}`));
    } finally {
      await pg.end();
    }
  }
  return out;
}
