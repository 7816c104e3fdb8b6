import { randomUUID } from 'node:crypto';

interface TimelineEntry {
  step: string;
  status: string;
  startedAt?: string | null;
  endedAt?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

interface TenantView {
  id: string;
  status: string;
  currentStep: string;
  failure?: { step: string; code: string; message: string } | null;
  timeline: TimelineEntry[];
  virtualAdministrationServer?: { name?: string; connectionString?: string };
  vms: Record<string, unknown>;
}

export interface DemoOptions {
  tenantUrl: string;
  simulatorAdminUrl: string;
  siteId: string;
  /** An admin bearer token (`npm run token`). */
  token: string;
  vmCount?: number;
  timeoutMs?: number;
  /** Where the lines go (console by default). */
  print?: (line: string) => void;
}

/**
 * Puts the VMs on the simulated sites' networks as machines no server manages yet: the onboarding
 * pushes the Network Agent to their addresses (with the site's push-install account), moves them
 * into the tenant's virtual server and installs the Light Agent of their OS family.
 */
export async function seedSimulatedVms(
  simulatorAdminUrl: string,
  siteIds: string[],
  vms: { biosUuid: string; name: string; address: string; osFamily: string }[],
): Promise<void> {
  for (const siteId of siteIds) {
    const seeded = await fetch(`${simulatorAdminUrl}/sites/${siteId}/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: vms.map((v) => ({
          biosId: v.biosUuid,
          name: v.name,
          ip: v.address,
          osFamily: v.osFamily,
          withNetworkAgent: false,
        })),
      }),
    });
    if (!seeded.ok)
      throw new Error(`seeding simulated VMs on ${siteId} failed: ${seeded.status} ${await seeded.text()}`);
  }
}

const seconds = (from?: string | null, to?: string | null) =>
  from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '';

/** One line for a step that has finished (or failed): mark, name, its own duration. */
export function stepLine(index: number, total: number, s: TimelineEntry): string {
  const mark = s.status === 'succeeded' ? 'done' : s.status === 'failed' ? 'FAILED' : s.status;
  const failure = s.status === 'failed' ? `  ${s.errorCode}: ${s.errorMessage}` : '';
  return `  [${index + 1}/${total}] ${s.step.padEnd(15)} ${mark.padEnd(7)} ${seconds(s.startedAt, s.endedAt).padStart(7)}${failure}`;
}

/**
 * Onboards a demo tenant with a few VMs end to end: puts the VMs on the simulated site's network
 * (no agent yet), orders the tenant over REST, prints one line
 * per step as it completes, then reveals the handover data once.
 */
export async function runDemoOnboarding(opts: DemoOptions): Promise<TenantView> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const auth = { Authorization: `Bearer ${opts.token}` };
  const stamp = Date.now().toString(36);
  const vms = Array.from({ length: opts.vmCount ?? 3 }, (_, i) => ({
    biosUuid: randomUUID(),
    name: `demo-${stamp}-vm${i + 1}`,
    osFamily: i % 2 === 0 ? 'linux' : 'windows',
    address: `10.42.0.${10 + i}`,
  }));
  await seedSimulatedVms(opts.simulatorAdminUrl, [opts.siteId], vms);
  const order = {
    orderId: `demo-${stamp}`,
    tenantName: `Demo Tenant ${stamp}`,
    description: 'Demo tenant onboarded by npm start',
    userData: `contract=DEMO-${stamp}`,
    adminAccountName: `demo-admin-${stamp}`,
    vms,
    protection: { connectionTags: ['demo'], svmPathScope: 'same-cluster', protectionProfile: 'standard' },
  };
  const res = await fetch(`${opts.tenantUrl}/v1/tenants`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(order),
  });
  if (res.status !== 202) throw new Error(`ordering the demo tenant failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  print(`Demo tenant "${order.tenantName}" ordered with ${vms.length} VMs (id ${id})`);
  const printed = new Set<string>();
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  for (;;) {
    const view = (await (await fetch(`${opts.tenantUrl}/v1/tenants/${id}`, { headers: auth })).json()) as TenantView;
    view.timeline.forEach((s, i) => {
      if ((s.status !== 'succeeded' && s.status !== 'failed') || printed.has(`${s.step}:${s.status}`)) return;
      printed.add(`${s.step}:${s.status}`);
      print(stepLine(i, view.timeline.length, s));
    });
    if (view.status === 'ready') {
      print(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return handover(opts.tenantUrl, view, auth, print);
    }
    if (view.status === 'failed')
      throw new Error(`demo tenant failed at ${view.failure?.step}: ${view.failure?.code} ${view.failure?.message}`);
    if (Date.now() - started > timeoutMs)
      throw new Error(`demo tenant not ready after ${timeoutMs} ms (at ${view.currentStep})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `3 requested, 3 installed, ...`; lists of failed VMs only when there are some. */
function vmLine(vms: Record<string, unknown>): string {
  return Object.entries(vms)
    .filter(([, v]) => !Array.isArray(v) || v.length > 0)
    .map(([k, v]) => `${Array.isArray(v) ? v.length : String(v)} ${k}`)
    .join(', ');
}

async function handover(
  tenantUrl: string,
  view: TenantView,
  auth: Record<string, string>,
  print: (line: string) => void,
): Promise<TenantView> {
  const res = await fetch(`${tenantUrl}/v1/tenants/${view.id}/credentials/reveal`, { method: 'POST', headers: auth });
  if (!res.ok) throw new Error(`reveal failed: ${res.status}`);
  const creds = (await res.json()) as {
    adminAccountName: string;
    password: string;
    administrationServer: { connectionString: string };
    advice: string;
  };
  print('');
  print('Handover (shown once; a second reveal answers 410 Gone):');
  print(`  virtual Administration Server  ${creds.administrationServer.connectionString}`);
  print(`  admin account                  ${creds.adminAccountName}`);
  print(`  initial password               ${creds.password}`);
  print(`  VMs                            ${vmLine(view.vms)}`);
  print(`  ${creds.advice}`);
  return view;
}
