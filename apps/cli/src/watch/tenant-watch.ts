import { CliError, ExitCode } from '../cli-error';
import { PlatformClient } from '../platform-client';
import { TenantDetail, VM_STEPS, VmCounts } from '../tenant-view';

export interface WatchSnapshot {
  tenant: TenantDetail;
  /** Per-VM counts of VM steps seen so far (kept once the step is done). */
  vms: Record<string, VmCounts>;
}

/** Counts of one VM step's VMs, or undefined when that service has no record yet (or cannot be read). */
async function vmCounts(client: PlatformClient, tenantId: string, step: string): Promise<VmCounts | undefined> {
  const where = VM_STEPS[step];
  if (!where) return undefined;
  try {
    const work = await client.find<{ vms?: { status: string }[] }>(`${where.path}/${tenantId}`, where.service);
    const vms = work?.vms ?? [];
    if (vms.length === 0) return undefined;
    const n = (s: string) => vms.filter((v) => v.status === s).length;
    return { total: vms.length, succeeded: n('succeeded'), failed: n('failed'), inProgress: n('in_progress') };
  } catch (e) {
    if (e instanceof CliError && e.exitCode === ExitCode.Auth) throw e;
    return undefined; // per-VM detail is a bonus; the tenant's own state decides
  }
}

/**
 * Follows a tenant until it is ready or failed, calling `onChange` with every new snapshot.
 * Resolves with the last snapshot; a timeout is a platform error (exit 1), not a failed step.
 */
export async function watchTenant(
  client: PlatformClient,
  tenantId: string,
  onChange: (s: WatchSnapshot) => void,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<WatchSnapshot> {
  const vms: Record<string, VmCounts> = {};
  const settled = new Set<string>(); // steps whose final counts were read
  const started = Date.now();
  for (;;) {
    const tenant = await client.get<TenantDetail>(`/v1/tenants/${tenantId}`);
    for (const s of tenant.timeline) {
      const done = s.status === 'succeeded' || s.status === 'failed';
      if (!VM_STEPS[s.step] || s.status === 'pending' || (done && settled.has(`${s.step}:${s.attempt ?? 1}`))) continue;
      const counts = await vmCounts(client, tenantId, s.step);
      if (counts) vms[s.step] = counts;
      if (done) settled.add(`${s.step}:${s.attempt ?? 1}`);
    }
    const snapshot = { tenant, vms: { ...vms } };
    onChange(snapshot);
    if (tenant.status !== 'onboarding') return snapshot;
    if (Date.now() - started > (options.timeoutMs ?? 600_000)) {
      throw new CliError(
        `tenant ${tenantId} still onboarding after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s (at ${tenant.currentStep}); it goes on, check with tpo tenants show ${tenantId}`,
        ExitCode.PlatformError,
        'WATCH_TIMEOUT',
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
