import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IntegrationServerClient, IsTask, IsTenant, TERMINAL_STATES } from '@tpo/integration-server-client';
import {
  AsyncActions,
  encodePolicySection,
  HostGroupApi,
  KscClient,
  KscSession,
  PackagesApi,
  PolicyApi,
  TasksApi,
  VServersApi,
} from '@tpo/ksc-client';
import { simulatorSiteDeployment } from '@tpo/kaspersky-simulator';
import { waitForVendor } from '@tpo/platform';
import { randomBytes } from 'node:crypto';
import { devSecrets } from '../bootstrap/local-layout';
import { LocalPlatform } from '../platform/local-platform';
import { Order } from './bench-platform';

/** Tight polling: the direct script checks tasks as often as it can (issue 11's baseline). */
const TIGHT_MS = 5;

export interface DirectClients {
  is: IntegrationServerClient;
  ksc: KscClient;
  close(): Promise<void>;
}

/** The project's own clients for the platform's simulated site, as the step services build them. */
export function directClients(p: LocalPlatform): DirectClients {
  const secrets = devSecrets();
  const ca = { caPem: readFileSync(join(p.stateDir, 'certificate.pem'), 'utf8') };
  const e = p.simulator.endpoints[0];
  const is = new IntegrationServerClient({
    baseUrl: e.integrationServerUrl,
    username: 'multitenancy',
    password: secrets.simulatorIsPassword,
    tls: ca,
    connections: 16,
  });
  const ksc = new KscClient({
    baseUrl: e.kscUrl,
    credentials: { user: 'svc-onboard', password: secrets.simulatorKscPassword },
    tls: ca,
    connections: 8,
  });
  return { is, ksc, close: async () => void (await Promise.allSettled([is.close(), ksc.close()])) };
}

/**
 * A plain in-memory script making the same Integration Server and KSC calls as the five steps for
 * one tenant on the happy path (lookups before the KSC creates, the same tasks; the Integration
 * Server tenant created at once, as by the platform's first try), with no NATS, no Postgres, no
 * durable state and tight polling. The platform's cost is measured against it. The two differ in a
 * few reads of constant cost (sessions, task results; the bench prints the difference per method
 * as `callsPerTenantPlatformMinusDirect`), never in one that grows with the site.
 */
export async function onboardDirect(c: DirectClients, o: Order): Promise<void> {
  // Step 1: CreateTenant (Complete) and its task. No ListTenants first: the platform's first try
  // creates at once too (11.k; a name already taken fails the task), and that list is every tenant
  // of the site as XML, so the lookup the script made until 11.ac cost it O(site) per tenant.
  const handle = await c.is.createTenant({
    name: o.tenantName,
    userData: `[tpo-order:${o.orderId}]`,
    type: 'Complete',
    vKsc: { name: o.adminAccountName, password: `Aa1!${randomBytes(12).toString('base64url')}` },
  });
  const task = await isTask(c, handle.taskId);
  const tenant = task.result?.tenant as IsTenant;
  const vsId = Number(tenant.vKsc!.id);

  // Steps 2-3: the tenant's Light Agent policy and the profile's Protection Server policy (main server).
  const main = await c.ksc.startSession();
  let vsName: string;
  try {
    vsName = String((await new VServersApi(main).getVServerInfo(vsId, ['KLVSRV_ID', 'KLVSRV_DN'])).KLVSRV_DN);
    const groups = new HostGroupApi(main);
    const root = await groups.groupIdGroups();
    const multitenancy = (await groups.getGroupId(root, 'Multitenancy KSV LA'))!;
    const folder = (await groups.getGroupId(multitenancy, o.tenantName))!;
    const policies = new PolicyApi(main);
    const deployment = simulatorSiteDeployment();
    // Like the step: one Light Agent policy per OS family the site configures.
    for (const d of deployment.osFamilies) {
      const family = d.osFamily;
      const s = d.lightAgentSettings;
      await ensureClone(
        policies,
        folder,
        `TPO Light Agent ${family === 'windows' ? 'Windows' : 'Linux'} - ${o.tenantName}`,
        d.lightAgentPolicy,
        s.discoveryMethod.section,
        {
          [s.discoveryMethod.variable]: s.discoveryMethodIntegrationServer,
          [s.integrationServerAddress.variable]: '127.0.0.1',
          [s.integrationServerPort.variable]: 7271,
        },
      );
    }
    let svmGroup = root;
    for (const name of ['TPO SVMs', 'standard'])
      svmGroup = (await groups.getGroupId(svmGroup, name)) ?? (await groups.addGroup(name, svmGroup));
    await ensureClone(
      policies,
      svmGroup,
      'TPO Protection Server - standard',
      deployment.protectionProfiles![0].referencePolicy,
    );
  } finally {
    await main.endSession();
  }

  // Step 4: packages into the vAS, VMs moved into it, Light Agent installed.
  await installAgents(c, o, vsName, vsId);

  // Step 5: one RegisterVm per VM.
  await Promise.all(o.vms.map((vm) => c.is.registerVm(tenant.id, { biosId: vm.biosUuid, name: vm.name })));

  // Step 6: activation, then read back.
  const activation = await c.is.activateTenant(tenant.id);
  await isTask(c, activation.taskId);
  if ((await c.is.getTenant(tenant.id)).status !== 'Active') throw new Error('tenant not active');
}

async function isTask(c: DirectClients, taskId: string): Promise<IsTask> {
  for (;;) {
    const task = await c.is.getTask(taskId);
    if (task.state === 'Completed') return task;
    if (TERMINAL_STATES.has(task.state)) throw new Error(`task ${taskId} ${task.state}`);
    await sleep(TIGHT_MS);
  }
}

/** The step's reference-policy clone on the happy path: lookup, CopyOrMovePolicy, locked overrides through SsContents. */
async function ensureClone(
  api: PolicyApi,
  groupId: number,
  name: string,
  ref: { policyId: number; product: string; version: string },
  section?: string,
  values: Record<string, unknown> = {},
): Promise<void> {
  const ours = async () =>
    (await api.getPoliciesForGroup(groupId)).filter((p) => p.KLPOL_DN === name && p.KLPOL_PRODUCT === ref.product);
  let [existing] = await ours();
  if (!existing) {
    await api.copyOrMovePolicy(ref.policyId, groupId, false, { name, active: true });
    [existing] = await ours();
  }
  await api.withPolicyContents(existing.KLPOL_ID as number, async (c) => {
    if (!section) return;
    await c.read(ref.product, ref.version, section);
    await c.replace(
      ref.product,
      ref.version,
      section,
      encodePolicySection(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, locked: true }]))),
    );
    await c.apply();
  });
  await api.getPolicyData(existing.KLPOL_ID as number);
}

async function installAgents(c: DirectClients, o: Order, vsName: string, vsId: number): Promise<void> {
  const main = await c.ksc.startSession();
  const vas = await c.ksc.startSession({ vserver: vsName });
  try {
    const vServer = await new VServersApi(main).findByDisplayName(vsName, vsId);
    const onMain = await new PackagesApi(main).getPackages2();
    let inVas = await new PackagesApi(vas).getPackages2();
    const names = (p: { KLPKG_NPI_NAME?: unknown; KLPKG_DN?: unknown }) => String(p.KLPKG_NPI_NAME ?? p.KLPKG_DN ?? '');
    for (const part of ['Network Agent', 'Light Agent']) {
      // The bench's VMs are Linux: that family's packages (the site holds one per OS family).
      const pkg = onMain.find((p) => names(p).includes(part) && names(p).includes('Linux'))!;
      if (inVas.some((x) => names(x) === names(pkg))) continue;
      const guid = await new PackagesApi(main).retranslateToVServer(
        PackagesApi.packageId(pkg)!,
        vServer!.KLVSRV_ID as number,
      );
      await waitAction(main, guid);
      inVas = await new PackagesApi(vas).getPackages2();
    }
    const lightAgent = PackagesApi.packageId(
      inVas.find((p) => names(p).includes('Light Agent') && names(p).includes('Linux'))!,
    )!;
    const vmNames = o.vms.map((v) => v.name);
    await findHosts(vas, vmNames); // none there yet
    const mainHosts = await findHosts(main, vmNames);
    const mainTasks = new TasksApi(main);
    const reconnect = await mainTasks.addReconnectionTask(
      vsName,
      { hostNames: [] },
      { displayName: `Move tenant VMs to ${vsName}` },
    );
    await runDeviceTask(mainTasks, reconnect, mainHosts);
    let placed: string[] = [];
    while (placed.length < vmNames.length) {
      placed = await findHosts(vas, vmNames);
      if (placed.length < vmNames.length) await sleep(TIGHT_MS);
    }
    const groups = new HostGroupApi(vas);
    const root = await groups.groupIdGroups();
    await groups.groupIdUnassigned();
    await groups.moveHostsToGroup(root, placed);
    const vasTasks = new TasksApi(vas);
    const install = await vasTasks.addRemoteInstallTask({
      packageIds: [lightAgent],
      target: { hostNames: [] },
      displayName: `Install Light Agent on tenant VMs (${vsName})`,
    });
    await runDeviceTask(vasTasks, install, placed);
  } finally {
    await Promise.allSettled([main.endSession(), vas.endSession()]);
  }
}

async function waitAction(session: KscSession, guid: string): Promise<void> {
  const actions = new AsyncActions();
  for (;;) {
    const s = await actions.checkActionState(session, guid);
    if (s.finalized) {
      if (!s.succeeded) throw new Error(`action ${guid} failed`);
      return;
    }
    // The server refuses a check before lNextCheckDelay (§3.5); waitForVendor ends by the clock, where a
    // plain timer may fire a millisecond early (it did: KLSTD 1117 in a 200-tenant run).
    await waitForVendor(Math.max(TIGHT_MS, s.nextCheckDelayMs));
  }
}

async function findHosts(session: KscSession, names: string[]): Promise<string[]> {
  const filter =
    names.length === 1 ? `(KLHST_WKS_DN="${names[0]}")` : `(|${names.map((n) => `(KLHST_WKS_DN="${n}")`).join('')})`;
  const out: string[] = [];
  for await (const h of new HostGroupApi(session).iterateHosts(
    filter,
    ['KLHST_WKS_HOSTNAME', 'KLHST_WKS_DN', 'KLHST_WKS_GROUPID', 'KLHST_WKS_LAST_VISIBLE'],
    200,
  )) {
    if (typeof h.KLHST_WKS_HOSTNAME === 'string') out.push(h.KLHST_WKS_HOSTNAME);
  }
  return out;
}

async function runDeviceTask(tasks: TasksApi, taskId: string, hosts: string[]): Promise<void> {
  for (const h of hosts) await tasks.addHostToTask(taskId, h);
  await tasks.runTask(taskId);
  for (;;) {
    const s = await tasks.statistics(taskId);
    if (s.pending + s.running === 0 && s.completed + s.completedWithWarning + s.failed > 0) break;
    await sleep(TIGHT_MS);
  }
  await tasks.historyList(taskId);
  await tasks.deleteTask(taskId);
}
