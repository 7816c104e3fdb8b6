import { randomUUID } from 'node:crypto';

interface TimelineEntry {
  step: string;
  status: string;
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

/**
 * Onboards a demo tenant with a few VMs end to end: seeds the VMs as devices of the simulated KSC
 * (as if cloned from a template with a Network Agent), orders the tenant over REST, prints every
 * step as it completes, then reveals the handover data once.
 */
export async function runDemoOnboarding(opts: {
  tenantUrl: string;
  simulatorAdminUrl: string;
  siteId: string;
  /** An admin bearer token (`npm run token`). */
  token: string;
  vmCount?: number;
  timeoutMs?: number;
}): Promise<TenantView> {
  const auth = { Authorization: `Bearer ${opts.token}` };
  const stamp = Date.now().toString(36);
  const vms = Array.from({ length: opts.vmCount ?? 3 }, (_, i) => ({
    biosUuid: randomUUID(),
    name: `demo-${stamp}-vm${i + 1}`,
    osFamily: i % 2 === 0 ? 'linux' : 'windows',
    address: `10.42.0.${10 + i}`,
  }));
  const seeded = await fetch(`${opts.simulatorAdminUrl}/sites/${opts.siteId}/ksc/hosts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hosts: vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address })) }),
  });
  if (!seeded.ok) throw new Error(`seeding demo VMs failed: ${seeded.status}`);
  const order = {
    orderId: `demo-${stamp}`,
    tenantName: `Demo Tenant ${stamp}`,
    description: 'Demo tenant onboarded by npm start',
    userData: `contract=DEMO-${stamp}`,
    adminAccountName: `demo-admin-${stamp}`,
    vms,
    protection: { connectionTags: ['demo'], svmPathScope: 'same-cluster', protectionProfile: 'standard' },
  };
  const res = await fetch(`${opts.tenantUrl}/v1/tenants`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(order) });
  if (res.status !== 202) throw new Error(`ordering the demo tenant failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  console.log(`\n[demo] tenant "${order.tenantName}" ordered (${vms.length} VMs): ${id}`);
  const seen = new Set<string>();
  const started = Date.now();
  for (;;) {
    const view = (await (await fetch(`${opts.tenantUrl}/v1/tenants/${id}`, { headers: auth })).json()) as TenantView;
    for (const s of view.timeline) {
      const key = `${s.step}:${s.status}`;
      if (seen.has(key) || s.status === 'pending') continue;
      seen.add(key);
      const mark = s.status === 'succeeded' ? 'done' : s.status === 'failed' ? `FAILED ${s.errorCode}: ${s.errorMessage}` : s.status;
      console.log(`[demo]   ${s.step.padEnd(15)} ${mark}  (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    if (view.status === 'ready') return handover(opts.tenantUrl, view, auth);
    if (view.status === 'failed') throw new Error(`demo tenant failed at ${view.failure?.step}: ${view.failure?.code} ${view.failure?.message}`);
    if (Date.now() - started > (opts.timeoutMs ?? 120_000)) throw new Error(`demo tenant not ready after ${opts.timeoutMs ?? 120_000} ms (at ${view.currentStep})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function handover(tenantUrl: string, view: TenantView, auth: Record<string, string>): Promise<TenantView> {
  const res = await fetch(`${tenantUrl}/v1/tenants/${view.id}/credentials/reveal`, { method: 'POST', headers: auth });
  if (!res.ok) throw new Error(`reveal failed: ${res.status}`);
  const creds = (await res.json()) as { adminAccountName: string; password: string; administrationServer: { connectionString: string }; advice: string };
  console.log(`\n[demo] tenant ready. Handover (shown once; a second reveal answers 410 Gone):`);
  console.log(`[demo]   virtual Administration Server: ${creds.administrationServer.connectionString}`);
  console.log(`[demo]   admin account:                 ${creds.adminAccountName}`);
  console.log(`[demo]   initial password:              ${creds.password}`);
  console.log(`[demo]   ${creds.advice}`);
  console.log(`[demo]   VMs: ${JSON.stringify(view.vms)}\n`);
  return view;
}
