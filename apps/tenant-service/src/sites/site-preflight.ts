import type { PreflightCheckStatus } from '@tpo/contracts';
import type { IntegrationServerClient, IsTask } from '@tpo/integration-server-client';
import {
  isLicenseKeyExpired,
  KscPackageInfo,
  KscSession,
  LicenseKeysApi,
  PackagesApi,
  PolicyApi,
  VServersApi,
} from '@tpo/ksc-client';
import { PackageSelector, SiteConnection } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';

import { KSC_VIRTUAL_SERVER_CAP as KSC_VIRTUAL_SERVER_LIMIT } from './placement';

/** Integration Server tasks that touch the KSC and fail with KSC_ServiceNotConfigured without its connection (integration-server-api.md §1.7, §8.1). */
const KSC_TOUCHING_TASKS = /create|activat|delet/i;

export interface PreflightCheck {
  name: string;
  status: PreflightCheckStatus;
  /** Convenience for dashboards: false only when the item failed (a warning does not block). */
  ok: boolean;
  message: string;
}

export interface PreflightOutcome {
  status: 'passed' | 'failed';
  checks: PreflightCheck[];
  /** `GetVServers(-1)` count, undefined when the KSC could not be asked. */
  kscVirtualServers?: number;
}

/** What the checks read; built from the site's clients (tests can give their own). */
export interface PreflightInputs {
  site: SiteConnection;
  /** The registry's flag: the admin's word that step 1 of the vendor's scenario was done (cleared on KSC_ServiceNotConfigured). */
  kscConfiguredFlag: boolean;
  /** When the flag (or anything else of the site) last changed: task evidence older than that is superseded by the admin's word. */
  siteUpdatedAt: Date;
  /** Tenants of this platform whose virtual server exists (to tell them from the KSC's other virtual servers). */
  ownVirtualServers: number;
  integrationServer: () => Promise<IntegrationServerClient>;
  /** A main-server session; ended by the caller. */
  kscSession: () => Promise<KscSession>;
}

const check = (name: string, status: PreflightCheckStatus, message: string): PreflightCheck => ({
  name,
  status,
  ok: status !== 'failed',
  message: message.slice(0, 2000),
});

/** Whether a `GetPackages2` record is the one a selector names (product, optional version, optional name fragment; never a display name). */
export function matchesPackage(p: KscPackageInfo, selector: PackageSelector): boolean {
  if (p.KLPKG_NPI_PRODUCT_NAME !== selector.productName) return false;
  if (selector.productVersion !== undefined && p.KLPKG_NPI_PRODUCT_VERSION !== selector.productVersion) return false;
  if (selector.nameContains !== undefined) {
    const name = typeof p.KLPKG_NPI_NAME === 'string' ? p.KLPKG_NPI_NAME : '';
    if (!name.toLowerCase().includes(selector.nameContains.toLowerCase())) return false;
  }
  return true;
}

const describeSelector = (s: PackageSelector) =>
  `product ${s.productName}${s.productVersion ? ` ${s.productVersion}` : ''}${s.nameContains ? ` (name contains "${s.nameContains}")` : ''}`;

/**
 * Whether a site can onboard, item by item. Every item is answered, also when an earlier one
 * failed (a KSC that cannot be reached fails the items that need it, saying so). Only documented
 * calls: the Integration Server's tenant and task lists, `Policy.GetPolicyData`,
 * `PackagesApi.GetPackages2`, `VServers.GetVServers(-1)`, `LicenseKeys.EnumKeys`. Nothing is changed.
 */
export async function runPreflightChecks(inputs: PreflightInputs, now = new Date()): Promise<PreflightOutcome> {
  const { site } = inputs;
  const secrets = [site.integrationServer.password, site.ksc.password, site.ksc.pushInstall?.password].filter(
    (s): s is string => Boolean(s),
  );
  const reason = (e: unknown) => {
    const c = classifyVendorError(e, { knownSecrets: secrets });
    return `${c.code}: ${c.message}`;
  };
  const checks: PreflightCheck[] = [];

  // 1. Integration Server with the multitenancy account, and what its task history says of its KSC connection.
  let isTasks: IsTask[] | undefined;
  try {
    const is = await inputs.integrationServer();
    const tenants = await is.listTenants();
    checks.push(
      check(
        'integration-server',
        'passed',
        `reachable as ${site.integrationServer.username} (${tenants.length} tenant(s))`,
      ),
    );
    isTasks = await is.listTasks().catch(() => undefined);
  } catch (e) {
    checks.push(
      check('integration-server', 'failed', `not usable as ${site.integrationServer.username}: ${reason(e)}`),
    );
  }
  checks.push(kscConnectionCheck(inputs.kscConfiguredFlag, inputs.siteUpdatedAt, isTasks));

  // 2. The KSC with the provider account; the rest reads the main server.
  let session: KscSession | undefined;
  try {
    session = await inputs.kscSession();
    checks.push(check('ksc', 'passed', `reachable as ${site.ksc.username}`));
  } catch (e) {
    checks.push(check('ksc', 'failed', `not usable as ${site.ksc.username}: ${reason(e)}`));
  }
  const noKsc = 'not checked: the KSC is not reachable with the provider account';
  const deployment = site.deployment;
  if (!deployment || deployment.osFamilies.length === 0) {
    checks.push(
      check(
        'deployment',
        'failed',
        'no deployment configured: register the site with its packages, reference policies and captured setting names per OS family (docs/operations.md)',
      ),
    );
  } else {
    checks.push(
      check('deployment', 'passed', `OS families: ${deployment.osFamilies.map((o) => o.osFamily).join(', ')}`),
    );
  }

  // 3. Reference policies (per OS family, and per Protection Server profile): present and of the configured product.
  const policy = async (name: string, ref: { policyId: number; product: string; version: string }) => {
    if (!session) return check(name, 'failed', noKsc);
    try {
      const p = await new PolicyApi(session).getPolicyData(ref.policyId);
      if (p.KLPOL_PRODUCT !== ref.product || p.KLPOL_VERSION !== ref.version) {
        return check(
          name,
          'failed',
          `reference policy ${ref.policyId} ("${String(p.KLPOL_DN ?? '')}") is for ${String(p.KLPOL_PRODUCT)} ${String(p.KLPOL_VERSION)}, the site expects ${ref.product} ${ref.version}`,
        );
      }
      return check(
        name,
        'passed',
        `reference policy ${ref.policyId} ("${String(p.KLPOL_DN ?? '')}"), ${ref.product} ${ref.version}`,
      );
    } catch (e) {
      return check(name, 'failed', `reference policy ${ref.policyId} not readable on the main server: ${reason(e)}`);
    }
  };
  for (const o of deployment?.osFamilies ?? [])
    checks.push(await policy(`reference-policy/${o.osFamily}`, o.lightAgentPolicy));
  for (const p of deployment?.protectionProfiles ?? [])
    checks.push(await policy(`protection-profile/${p.id}`, p.referencePolicy));

  // 4. Network Agent and Light Agent packages per OS family on the main server.
  if (deployment && deployment.osFamilies.length > 0) {
    let packages: KscPackageInfo[] | undefined;
    let packagesError = noKsc;
    if (session) {
      try {
        packages = await new PackagesApi(session).getPackages2();
      } catch (e) {
        packagesError = `PackagesApi.GetPackages2 failed: ${reason(e)}`;
      }
    }
    for (const o of deployment.osFamilies) {
      const name = `packages/${o.osFamily}`;
      if (!packages) {
        checks.push(check(name, 'failed', packagesError));
        continue;
      }
      const missing: string[] = [];
      const found: string[] = [];
      for (const [label, selector] of [
        ['Network Agent', o.networkAgentPackage],
        ['Light Agent', o.lightAgentPackage],
      ] as const) {
        const hits = packages.filter((p) => matchesPackage(p, selector));
        if (hits.length === 0) missing.push(`${label} package (${describeSelector(selector)})`);
        else
          found.push(
            `${label}: ${hits.map((h) => `${String(h.KLPKG_NPI_NAME ?? '?')} [${String(PackagesApi.packageId(h))}]`).join(', ')}`,
          );
      }
      checks.push(
        missing.length > 0
          ? check(name, 'failed', `missing on the main server: ${missing.join('; ')}`)
          : check(name, 'passed', found.join('; ')),
      );
    }
  }

  // 5. Virtual servers already on the KSC against the cap, whoever made them.
  let kscVirtualServers: number | undefined;
  if (!session) {
    checks.push(check('virtual-servers', 'failed', noKsc));
  } else {
    try {
      kscVirtualServers = await new VServersApi(session).countVServers();
      const foreign = Math.max(0, kscVirtualServers - inputs.ownVirtualServers);
      const room = Math.max(0, KSC_VIRTUAL_SERVER_LIMIT - kscVirtualServers);
      const text = `${kscVirtualServers} virtual server(s) on the KSC (${foreign} not made by this platform); KSC limit ${KSC_VIRTUAL_SERVER_LIMIT}, this platform may place ${site.maxVirtualServers}; room for ${room} more`;
      checks.push(check('virtual-servers', room === 0 ? 'failed' : 'passed', room === 0 ? `full: ${text}` : text));
    } catch (e) {
      checks.push(check('virtual-servers', 'failed', `VServers.GetVServers failed: ${reason(e)}`));
    }
  }

  // 6. Licence keys in the main server's key storage (where KSV keys live, addendum §3.1): present and not expired.
  if (!session) {
    checks.push(check('license-keys', 'failed', noKsc));
  } else {
    try {
      const keys = await new LicenseKeysApi(session).enumKeys();
      const valid = keys.filter((k) => !isLicenseKeyExpired(k, now));
      const expired = keys.filter((k) => isLicenseKeyExpired(k, now));
      const describe = (k: (typeof keys)[number]) =>
        `${k.serial}${k.productName ? ` (${k.productName})` : ''}${k.expiresAt ? ` until ${k.expiresAt.toISOString().slice(0, 10)}` : ''}${k.limit !== undefined ? `, ${k.inUse ?? 0}/${k.limit} in use` : ''}`;
      if (keys.length === 0)
        checks.push(check('license-keys', 'failed', "no licence key in the main server's key storage"));
      else if (valid.length === 0)
        checks.push(check('license-keys', 'failed', `every key has expired: ${expired.map(describe).join('; ')}`));
      else if (expired.length > 0)
        checks.push(
          check(
            'license-keys',
            'warning',
            `valid: ${valid.map(describe).join('; ')}; expired: ${expired.map(describe).join('; ')}`,
          ),
        );
      else checks.push(check('license-keys', 'passed', valid.map(describe).join('; ')));
    } catch (e) {
      checks.push(check('license-keys', 'failed', `LicenseKeys.EnumKeys failed: ${reason(e)}`));
    }
  }

  // 7. Push-install account: needed only for VMs the KSC does not manage yet.
  checks.push(
    site.ksc.pushInstall
      ? check('push-install-account', 'passed', `configured (${site.ksc.pushInstall.username})`)
      : check(
          'push-install-account',
          'warning',
          'none configured: VMs the KSC does not manage yet cannot get a Network Agent (register ksc.pushInstall)',
        ),
  );

  return { status: checks.some((c) => c.status === 'failed') ? 'failed' : 'passed', checks, kscVirtualServers };
}

/**
 * The Integration Server's KSC connection is set up in its console, not over its REST API
 * (integration-server-api.md §8.1, Q21): the evidence is its KSC-touching tasks (the latest one
 * failed with KSC_ServiceNotConfigured, or succeeded) and, without any, the registry's flag.
 */
function kscConnectionCheck(flag: boolean, flagSetAt: Date, tasks: IsTask[] | undefined): PreflightCheck {
  const latest = (tasks ?? [])
    .filter(
      (t) =>
        KSC_TOUCHING_TASKS.test(`${t.type ?? ''} ${t.name ?? ''}`) && (t.state === 'Completed' || t.state === 'Failed'),
    )
    .sort(
      (a, b) =>
        (b.stateChanged ?? b.created ?? new Date(0)).getTime() - (a.stateChanged ?? a.created ?? new Date(0)).getTime(),
    )[0] as IsTask | undefined;
  const at = (t: IsTask) => (t.stateChanged ?? t.created ?? new Date(0)).getTime();
  if (latest?.error?.code === 'KSC_ServiceNotConfigured' && at(latest) >= flagSetAt.getTime()) {
    return check(
      'ksc-connection',
      'failed',
      `the Integration Server has no KSC connection settings: its task ${latest.id} failed with KSC_ServiceNotConfigured (configure it in the Integration Server console, PATCH the site with kscConfigured=true, then run the preflight again)`,
    );
  }
  if (!flag)
    return check(
      'ksc-connection',
      'failed',
      'the site is marked as having no KSC connection on its Integration Server (kscConfigured=false); configure it, then PATCH the site',
    );
  if (latest?.state === 'Completed')
    return check('ksc-connection', 'passed', `confirmed by the Integration Server's task ${latest.id}`);
  return check(
    'ksc-connection',
    'passed',
    'declared configured (kscConfigured); not observable over the Integration Server REST API until a tenant task runs',
  );
}
