import {
  KscClient,
  KscSession,
  KscTyped,
  KscValue,
  PackagesApi,
  PolicyApi,
  PolicyContents,
  TasksApi,
  REMOTE_INSTALLATION_TASK,
} from '@tpo/ksc-client';
import {
  DEPLOYMENT_OS_FAMILIES,
  DeploymentOsFamily,
  SettingPath,
  SiteConnection,
  SiteDeployment,
} from '@tpo/site-directory';

/** Settings as stored: product → version → section → variable → `{KLPRSS_Val, KLPRSS_Mnd}` (raw, wire types kept). */
export type CapturedSettings = Record<string, Record<string, Record<string, Record<string, KscValue>>>>;

export interface CapturedPolicy {
  role: 'lightAgent' | 'protectionServer';
  /** OS family (Light Agent) or protection profile id (Protection Server). */
  key: string;
  policyId: number;
  /** GetPolicyData as returned (KLPOL_*). */
  attributes: Record<string, KscValue | undefined>;
  settings: CapturedSettings;
}

export interface CaptureTemplate {
  kind: 'tpo-ksc-capture';
  version: 1;
  capturedAt: string;
  site: { id: string; name: string; kscUrl: string };
  /** Never applied automatically: an admin reviews it and registers the site's deployment with it. */
  review: string;
  /** The SiteDeployment this capture suggests (the site's current one, corrected from what the KSC holds). */
  deployment: Partial<SiteDeployment> & { osFamilies: unknown[] };
  referencePolicies: CapturedPolicy[];
  /** Installation packages of the main server (PackagesApi.GetPackages2, KLPKG_NPI_*). */
  packages: Record<string, KscValue | undefined>[];
  /** A console-made Remote Installation task (Tasks.GetTaskData) with secrets redacted, usable as RemoteInstallTemplate.baseTaskData. */
  remoteInstallTask: {
    taskId: string;
    vserver?: string;
    isRemoteInstallation: boolean;
    additionalParamKeys: string[];
    data: unknown;
  } | null;
  /** What the reviewer must look at: missing policies, settings not found, candidates for unnamed settings. */
  findings: string[];
}

export interface CaptureOptions {
  /** Reference policies to read in addition to (or instead of) the site's configured ones: `windows=901`, `standard=911`. */
  lightAgentPolicies?: Partial<Record<DeploymentOsFamily, number>>;
  protectionPolicies?: Record<string, number>;
  /** A console-made Remote Installation task id, and the vAS (KLVSRV_DN) it lives in when not on the main server. */
  taskId?: string;
  taskVserver?: string;
  /** Values the admin typed into the reference Light Agent policy, to locate the variables holding them. */
  hints?: { integrationServerAddress?: string; integrationServerPort?: number; discoveryMethod?: string };
}

const REVIEW =
  'Captured from the site KSC by `npm run ksc:capture`. Never applied automatically: review every name and value, ' +
  "then register the `deployment` part as the site's deployment (POST /v1/sites or the sites file). Secrets in task data are redacted.";

const SECRET_KEY = /pass|pswd|pwd|secret|cred/i;

/** Task data without secrets: binaries (protected passwords) and password-like keys replaced. */
export function redact(v: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key)) return '<redacted>';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return '<binary redacted>';
  if (v instanceof KscTyped)
    return v.type === 'binary' ? '<binary redacted>' : { type: v.type, value: redact(v.value) };
  if (Array.isArray(v)) return v.map((x) => redact(x));
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, k)]));
  return v;
}

async function readAllSettings(c: PolicyContents): Promise<CapturedSettings> {
  const out: CapturedSettings = {};
  for (const product of await c.products()) {
    out[product] = {};
    for (const version of await c.versions(product)) {
      out[product][version] = {};
      for (const section of await c.sections(product, version)) {
        out[product][version][section] = await c.api.read(c.id, product, version, section, { keepTypes: true });
      }
    }
  }
  return out;
}

function valueOf(raw: KscValue | undefined): unknown {
  const v =
    raw && typeof raw === 'object' && !Array.isArray(raw) && 'KLPRSS_Val' in (raw as object)
      ? (raw as Record<string, KscValue>).KLPRSS_Val
      : undefined;
  return v instanceof KscTyped ? v.value : v;
}

/** Every `section/variable` (of the policy's own product/version) whose value equals `value`. */
export function variablesHolding(
  settings: CapturedSettings,
  product: string,
  version: string,
  value: unknown,
): SettingPath[] {
  const sections = settings[product]?.[version] ?? {};
  const found: SettingPath[] = [];
  for (const [section, vars] of Object.entries(sections)) {
    for (const [variable, raw] of Object.entries(vars))
      if (JSON.stringify(valueOf(raw)) === JSON.stringify(value)) found.push({ section, variable });
  }
  return found;
}

function hasPath(settings: CapturedSettings, product: string, version: string, p: SettingPath | undefined): boolean {
  return !!p && settings[product]?.[version]?.[p.section]?.[p.variable] !== undefined;
}

async function capturePolicy(
  session: KscSession,
  role: CapturedPolicy['role'],
  key: string,
  policyId: number,
  findings: string[],
): Promise<CapturedPolicy | undefined> {
  const api = new PolicyApi(session);
  let attributes: CapturedPolicy['attributes'];
  try {
    attributes = await api.getPolicyData(policyId);
  } catch (e) {
    findings.push(
      `${role} ${key}: policy ${policyId} could not be read (${(e as Error).message}); make the reference policy in the console and name its id`,
    );
    return undefined;
  }
  const settings = await api.withPolicyContents(policyId, readAllSettings);
  return { role, key, policyId, attributes, settings };
}

/**
 * Reads, with the site's provider account on the main server, the reference policies (the site's
 * configured ones plus those named in `options`), their whole settings storages, the packages, and
 * one Remote Installation task, and proposes a SiteDeployment. Read-only: no state-changing call.
 */
export async function captureSite(
  site: SiteConnection,
  client: KscClient,
  options: CaptureOptions = {},
  now = new Date(),
): Promise<CaptureTemplate> {
  const findings: string[] = [];
  const current = site.deployment;
  const laIds = new Map<DeploymentOsFamily, number>();
  for (const f of current?.osFamilies ?? []) laIds.set(f.osFamily, f.lightAgentPolicy.policyId);
  for (const [f, id] of Object.entries(options.lightAgentPolicies ?? {}))
    if (id !== undefined) laIds.set(f as DeploymentOsFamily, id);
  const psIds = new Map<string, number>();
  for (const p of current?.protectionProfiles ?? []) psIds.set(p.id, p.referencePolicy.policyId);
  for (const [id, policyId] of Object.entries(options.protectionPolicies ?? {})) psIds.set(id, policyId);
  if (laIds.size === 0)
    findings.push(
      'no Light Agent reference policy named: pass --la-policy <windows|linux>=<policy id> (the policies are listed under referencePolicyCandidates)',
    );

  const session = await client.startSession();
  const referencePolicies: CapturedPolicy[] = [];
  let packages: CaptureTemplate['packages'] = [];
  let candidates: Record<string, KscValue | undefined>[] = [];
  try {
    for (const [family, id] of laIds) {
      const p = await capturePolicy(session, 'lightAgent', family, id, findings);
      if (p) referencePolicies.push(p);
    }
    for (const [profile, id] of psIds) {
      const p = await capturePolicy(session, 'protectionServer', profile, id, findings);
      if (p) referencePolicies.push(p);
    }
    packages = (await new PackagesApi(session).getPackages2()) as CaptureTemplate['packages'];
    if (laIds.size === 0) candidates = await new PolicyApi(session).getPoliciesForGroup(-1);
  } finally {
    await session.endSession().catch(() => undefined);
  }

  // The deployment proposal: the current one, with product/version as the KSC reports them and the captured setting names checked.
  const osFamilies = [...laIds.keys()].map((family) => {
    const p = referencePolicies.find((r) => r.role === 'lightAgent' && r.key === family);
    const base = current?.osFamilies.find((o) => o.osFamily === family);
    const product = String(p?.attributes.KLPOL_PRODUCT ?? base?.lightAgentPolicy.product ?? '');
    const version = String(p?.attributes.KLPOL_VERSION ?? base?.lightAgentPolicy.version ?? '');
    if (p && base && (base.lightAgentPolicy.product !== product || base.lightAgentPolicy.version !== version)) {
      findings.push(
        `${family}: the site configures ${base.lightAgentPolicy.product}/${base.lightAgentPolicy.version} but policy ${p.policyId} is ${product}/${version} (proposal uses the KSC's)`,
      );
    }
    const settings: Record<string, unknown> = { ...(base?.lightAgentSettings ?? {}) };
    if (p) {
      for (const [name, path] of Object.entries(base?.lightAgentSettings ?? {})) {
        if (typeof path === 'object' && !hasPath(p.settings, product, version, path as SettingPath)) {
          findings.push(
            `${family}: ${name} ${(path as SettingPath).section}/${(path as SettingPath).variable} is not in policy ${p.policyId}`,
          );
        }
      }
      const hint = (name: string, value: unknown) => {
        if (value === undefined) return;
        const found = variablesHolding(p.settings, product, version, value);
        if (found.length === 1 && !base?.lightAgentSettings) settings[name] = found[0];
        findings.push(
          `${family}: ${name} (value ${JSON.stringify(value)}) found at ${found.map((f) => `${f.section}/${f.variable}`).join(', ') || 'no variable'}`,
        );
      };
      hint('integrationServerAddress', options.hints?.integrationServerAddress);
      hint('integrationServerPort', options.hints?.integrationServerPort);
      hint('discoveryMethod', options.hints?.discoveryMethod);
      if (options.hints?.discoveryMethod !== undefined && !base?.lightAgentSettings)
        settings.discoveryMethodIntegrationServer = options.hints.discoveryMethod;
    }
    return {
      osFamily: family,
      networkAgentPackage: base?.networkAgentPackage ?? { productName: '1103' },
      lightAgentPackage: base?.lightAgentPackage ?? { productName: product, productVersion: version },
      lightAgentPolicy: { policyId: laIds.get(family)!, product, version },
      lightAgentSettings: settings,
    };
  });
  for (const f of DEPLOYMENT_OS_FAMILIES)
    if (!laIds.has(f)) findings.push(`${f}: no Light Agent reference policy captured`);
  const protectionProfiles = [...psIds.keys()].map((id) => {
    const p = referencePolicies.find((r) => r.role === 'protectionServer' && r.key === id);
    const base = current?.protectionProfiles?.find((x) => x.id === id);
    return {
      id,
      referencePolicy: {
        policyId: psIds.get(id)!,
        product: String(p?.attributes.KLPOL_PRODUCT ?? base?.referencePolicy.product ?? ''),
        version: String(p?.attributes.KLPOL_VERSION ?? base?.referencePolicy.version ?? ''),
      },
    };
  });

  let remoteInstallTask: CaptureTemplate['remoteInstallTask'] = null;
  if (options.taskId) {
    const taskSession = await client.startSession(options.taskVserver ? { vserver: options.taskVserver } : {});
    try {
      const data = await new TasksApi(taskSession).getTaskData(options.taskId);
      const isRi =
        data.TASK_NAME === REMOTE_INSTALLATION_TASK.taskName &&
        String(data.TASKID_COMPONENT_NAME) === REMOTE_INSTALLATION_TASK.component;
      if (!isRi) findings.push(`task ${options.taskId} is ${String(data.TASK_NAME)}, not a Remote Installation task`);
      const extra = data.TASK_ADDITIONAL_PARAMS;
      remoteInstallTask = {
        taskId: options.taskId,
        vserver: options.taskVserver,
        isRemoteInstallation: isRi,
        additionalParamKeys:
          extra && typeof extra === 'object' && !Array.isArray(extra) ? Object.keys(extra).sort() : [],
        data: redact(data),
      };
    } finally {
      await taskSession.endSession().catch(() => undefined);
    }
  } else {
    findings.push(
      'no Remote Installation task captured: make one in the console and pass --task <id> (Tasks.GetTaskData); listing tasks is not in the documented API',
    );
  }

  return {
    kind: 'tpo-ksc-capture',
    version: 1,
    capturedAt: now.toISOString(),
    site: { id: site.id, name: site.name, kscUrl: site.ksc.url },
    review: REVIEW,
    deployment: {
      osFamilies,
      protectionProfiles,
      ...(current?.remoteInstall ? { remoteInstall: current.remoteInstall } : {}),
    },
    referencePolicies: referencePolicies.map((p) => ({
      ...p,
      attributes: redact(p.attributes) as CapturedPolicy['attributes'],
      settings: redact(p.settings) as CapturedSettings,
    })),
    packages: redact(packages) as CaptureTemplate['packages'],
    remoteInstallTask,
    findings,
    ...(candidates.length > 0 ? { referencePolicyCandidates: redact(candidates) } : {}),
  } as CaptureTemplate;
}
