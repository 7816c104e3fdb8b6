import { Site } from '../site/site';
import { IsTask } from './is-model';

/** Integration Server semantics the lifecycle relies on (integration-server-api.md §3.5-3.9, §4, §6). */
describe('simulated Integration Server: activation, deletion and reports', () => {
  let site: Site;
  const settle = () => new Promise((r) => setTimeout(r, 30));
  const done = async (t: IsTask) => {
    for (let i = 0; i < 100 && !['Completed', 'Failed', 'Canceled'].includes(t.state); i++) await settle();
    return t;
  };
  const report = async (tenantId?: string) => {
    const t = await done(
      site.is.createReport({ tenantId, from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) }),
    );
    return site.is.reports.get((t.result as { value: string }).value)!;
  };
  const tenant = async (name: string, type: 'Complete' | 'Simple' = 'Complete') => {
    const t = await done(
      site.is.createTenant({
        name,
        type,
        vKsc: type === 'Complete' ? { name: `${name}-adm`, password: 'Pa55-word!x' } : undefined,
      }),
    );
    return (t.result as { tenant: { id: string } }).tenant.id;
  };

  beforeEach(() => {
    site = new Site({
      id: 's',
      isPassword: 'x',
      kscAccount: { name: 'a', password: 'b' },
      faults: { taskDurationsMs: { '*': 0 } },
    });
  });
  afterEach(() => site.is.stop());

  it("a Complete tenant's VMs are protected while it is Active (report rows), no longer after deactivation", async () => {
    const id = await tenant('acme');
    site.is.registerVms(id, [{ biosId: '11111111-1111-1111-1111-111111111111', name: 'web' }]);
    expect((await report(id)).csv).toBe('');
    await done(site.is.changeActivation(id, true));
    expect((await report(id)).csv).toContain(`${id};acme;11111111-1111-1111-1111-111111111111;web;`);
    await done(site.is.changeActivation(id, false));
    await settle();
    await done(site.is.changeActivation(id, false)); // idempotent (§12.14)
    const rows = (await report(id)).csv.split('\r\n').filter(Boolean);
    expect(rows).toHaveLength(1); // the closed period, no new one
  });

  it("a Simple tenant's status changes nothing about protection (§2.5)", async () => {
    const id = await tenant('simple', 'Simple');
    site.is.registerVms(id, [{ biosId: '22222222-2222-2222-2222-222222222222' }]);
    await done(site.is.changeActivation(id, true));
    expect(site.is.tenants.get(id)!.status).toBe('Active');
    expect((await report(id)).csv).toBe('');
  });

  it('deleting with removeTenantArtifacts removes the vAS, its admin and the tenant folder, but does not stop protection (§3.9)', async () => {
    const id = await tenant('gone');
    const vs = Number(site.is.tenants.get(id)!.vKsc!.id);
    site.is.registerVms(id, [{ biosId: '33333333-3333-3333-3333-333333333333', name: 'db' }]);
    await done(site.is.changeActivation(id, true));
    await done(site.is.deleteTenant(id, true));
    expect(site.is.tenants.has(id)).toBe(false);
    expect(site.is.vms.size).toBe(0);
    expect(site.ksc.vservers.has(vs)).toBe(false);
    // The VM is still protected, now without a tenant (a report over every VM shows it with empty tenant columns).
    expect((await report()).csv).toMatch(/^;;33333333-3333-3333-3333-333333333333;db;/m);
    site.is.endProtection(['33333333-3333-3333-3333-333333333333']); // agents uninstalled
    const before = (await report()).csv;
    await settle();
    expect((await report()).csv).toBe(before);
  });

  it('report files expire after the configured lifetime', async () => {
    const id = await tenant('exp');
    const r = await report(id);
    expect(r.expiresAt.getTime() - r.created.getTime()).toBe(24 * 3600_000);
    expect(site.is.expireReports()).toBeGreaterThan(0);
    expect(site.is.reports.get(r.id)!.expiresAt.getTime()).toBeLessThan(Date.now());
  });
});
