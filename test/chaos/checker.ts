import { sql } from '../support/harness';

export interface ChaosReport {
  scenario: string;
  ordered: number;
  ready: number;
  failed: { orderId: string; code: string }[];
  stuck: string[];
  /** Orders that left no trace: no tenant and no rejection (a lost TenantRequested). */
  lostOrders: string[];
  /** Events written but never published after the quiet period, per service. */
  unpublishedEvents: number;
  /** Duplicate external effects by kind (none allowed). */
  duplicateEffects: Record<string, number>;
  /** Repeats of idempotent calls (answered "already done" by the vendor): reported, allowed. */
  repeatedIdempotentCalls: Record<string, number>;
  /** CreateTenant calls per ordered tenant (1 each when exactly once). */
  createTenantCalls: number;
}

type Call = { op: string; key: string };
type SimState = { integrationServer: { tenants: { name: string }[] }; ksc: { virtualServers: { dn: string }[] } };

const SERVICES = [
  'tenant-service',
  'svm-config-service',
  'agent-install-service',
  'registration-service',
  'activation-service',
];
/** Effects that must happen once per resource; a second call is a duplicate effect. */
const ONCE = ['CreateTenant', 'Policy.CopyOrMovePolicy'];
/** Calls the vendor answers idempotently (a second one changes nothing). */
const IDEMPOTENT = ['ActivateTenant', 'RegisterVm'];

function repeats(calls: Call[], op: string): number {
  const byKey = new Map<string, number>();
  for (const c of calls.filter((x) => x.op === op)) byKey.set(c.key, (byKey.get(c.key) ?? 0) + 1);
  return [...byKey.values()].reduce((n, v) => n + (v - 1), 0);
}

function dupesOf(names: string[]): number {
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  return [...seen.values()].reduce((n, v) => n + (v - 1), 0);
}

/**
 * Jepsen-style checker: reads the platform's state (tenant rows, outbox backlogs) and the
 * simulator's per-call logs and state after the run, and classifies every ordered tenant.
 */
export async function checkChaos(
  scenario: string,
  orderIds: string[],
  adminUrl: string,
  sites: string[],
): Promise<ChaosReport> {
  const rows = await sql<{ order_id: string; status: string; failure: { code: string } | null }>(
    'tenant-service',
    `SELECT order_id, status, failure FROM tenant WHERE order_id = ANY($1)`,
    [orderIds],
  );
  const byOrder = new Map(rows.map((r) => [r.order_id, r]));
  const calls: Call[] = [];
  const names: string[] = [];
  const vservers: string[] = [];
  for (const site of sites) {
    // Keys are per site: the same policy name on two sites' KSC is two objects, not a duplicate.
    calls.push(
      ...((await (await fetch(`${adminUrl}/sites/${site}/calls`)).json()) as Call[]).map((c) => ({
        ...c,
        key: `${site}:${c.key}`,
      })),
    );
    const state = (await (await fetch(`${adminUrl}/sites/${site}/state`)).json()) as SimState;
    names.push(...state.integrationServer.tenants.map((t) => `${site}:${t.name}`));
    vservers.push(...state.ksc.virtualServers.map((v) => `${site}:${v.dn}`));
  }
  let unpublished = 0;
  for (const s of SERVICES)
    unpublished += (await sql<{ n: number }>(s, `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`))[0]
      .n;
  const duplicateEffects: Record<string, number> = {
    'Integration Server tenant': dupesOf(names),
    'virtual Administration Server': dupesOf(vservers),
  };
  for (const op of ONCE) duplicateEffects[op] = repeats(calls, op);
  const repeatedIdempotentCalls: Record<string, number> = {};
  for (const op of IDEMPOTENT) repeatedIdempotentCalls[op] = repeats(calls, op);
  return {
    scenario,
    ordered: orderIds.length,
    ready: rows.filter((r) => r.status === 'ready').length,
    failed: rows
      .filter((r) => r.status === 'failed')
      .map((r) => ({ orderId: r.order_id, code: r.failure?.code ?? 'UNKNOWN' })),
    stuck: rows.filter((r) => r.status === 'onboarding').map((r) => r.order_id),
    lostOrders: orderIds.filter((o) => !byOrder.has(o)),
    unpublishedEvents: unpublished,
    duplicateEffects,
    repeatedIdempotentCalls,
    createTenantCalls: calls.filter((c) => c.op === 'CreateTenant').length,
  };
}

/** Human lines, then one JSON line (the machine-readable result). */
export function printChaos(report: ChaosReport): void {
  const dupes = Object.entries(report.duplicateEffects)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `[chaos ${report.scenario}] tenants ordered ${report.ordered}, ready ${report.ready}, failed with a reason ${report.failed.length}${report.failed.length ? ` (${report.failed.map((f) => f.code).join(', ')})` : ''}`,
    `[chaos ${report.scenario}] stuck ${report.stuck.length} (none allowed), lost orders ${report.lostOrders.length}, unpublished events ${report.unpublishedEvents} (none allowed)`,
    `[chaos ${report.scenario}] duplicate external effects: ${dupes} (none allowed); repeated idempotent calls: ${Object.entries(
      report.repeatedIdempotentCalls,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}; CreateTenant calls so far ${report.createTenantCalls}`,
    JSON.stringify({ chaos: report }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
