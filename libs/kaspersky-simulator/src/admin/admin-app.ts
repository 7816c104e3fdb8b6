import express, { Express, NextFunction, Request, Response } from 'express';
import { ASSUMPTION_SOURCES, DEFAULT_ASSUMPTIONS, SimulatorAssumptions } from '../config/assumptions';
import { FaultConfig } from '../faults/faults';
import { SEED_NETWORK_AGENT_PACKAGES, SEED_OS_FAMILIES, SeedOsFamily } from '../config/seed';
import { LicenseKeyInput } from '../ksc/ksc-licenses';
import { NETWORK_AGENT_PRODUCT } from '../ksc/ksc-model';

interface SeededHost {
  biosId: string;
  name: string;
  ip: string;
  fqdn?: string;
  osFamily: SeedOsFamily;
  groupId?: number;
  withNetworkAgent?: boolean;
  discovered?: boolean;
}
import type { SiteEndpoints } from '../server/simulator';
import { Site } from '../site/site';

/**
 * Test and operator visibility (not part of any vendor API): state dumps, call counters, fault
 * injection, configuration switches and seeding of tenant VMs as KSC hosts.
 */
export function createAdminApp(sites: Site[], endpoints: () => SiteEndpoints[]): Express {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const site = (req: Request, res: Response): Site | undefined => {
    const s = sites.find((x) => x.id === req.params.siteId);
    if (!s) res.status(404).json({ error: `no site ${req.params.siteId}` });
    return s;
  };

  app.get('/sites', (_req, res) => {
    res.json(endpoints());
  });
  app.get('/assumptions', (_req, res) => {
    res.json(
      Object.entries(DEFAULT_ASSUMPTIONS).map(([key, value]) => ({
        key,
        default: value,
        source: ASSUMPTION_SOURCES[key as keyof SimulatorAssumptions],
      })),
    );
  });
  app.get('/sites/:siteId/state', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.snapshot());
  });
  app.get('/sites/:siteId/calls', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.calls.snapshot());
  });
  app.get('/sites/:siteId/counters', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.counters.snapshot());
  });
  app.get('/sites/:siteId/connections', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.connections);
  });
  app.delete('/sites/:siteId/counters', (req, res) => {
    const s = site(req, res);
    if (s) {
      s.counters.reset();
      res.status(204).end();
    }
  });
  app.get('/sites/:siteId/faults', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.faults.current);
  });
  /** Replaces the fault set (missing keys return to "no fault"). */
  app.put('/sites/:siteId/faults', (req, res) => {
    const s = site(req, res);
    if (s) {
      s.faults.replace(req.body as Partial<FaultConfig>);
      res.json(s.faults.current);
    }
  });
  app.patch('/sites/:siteId/faults', (req, res) => {
    const s = site(req, res);
    if (s) {
      s.faults.merge(req.body as Partial<FaultConfig>);
      res.json(s.faults.current);
    }
  });
  /** `{ "kscConfigured": false }` mimics an IS whose KSC connection is not set up. */
  app.patch('/sites/:siteId/config', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    if (typeof req.body.kscConfigured === 'boolean') s.kscConfigured = req.body.kscConfigured;
    res.json({ kscConfigured: s.kscConfigured });
  });
  app.patch('/sites/:siteId/assumptions', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const unknown = Object.keys(req.body).filter((k) => !(k in DEFAULT_ASSUMPTIONS));
    if (unknown.length > 0) return res.status(400).json({ error: `unknown assumptions: ${unknown.join(', ')}` });
    s.assumptions = { ...s.assumptions, ...(req.body as Partial<SimulatorAssumptions>) };
    res.json(s.assumptions);
  });
  /**
   * Seeds tenant VMs. With a Network Agent (default) they are devices managed by the main server
   * (VM templates whose agent points at the KSC). With `withNetworkAgent: false` they are machines
   * on the tenant network that no server manages yet: reachable only by a push install to their
   * `ip` (and, with `discovered: true`, already listed by a network poll in Unassigned devices).
   * Body: `{ "hosts": [{ "biosId", "name", "ip", "osFamily", "fqdn"?, "groupId"?, "withNetworkAgent"?, "discovered"? }] }`.
   */
  app.post('/sites/:siteId/ksc/hosts', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const hosts = (req.body.hosts ?? []) as SeededHost[];
    // The platform finds a VM's device by its address: a seeded VM without one could never be found.
    const bad = hosts.find(
      (h) => !h.biosId || !h.name || !h.ip || !(SEED_OS_FAMILIES as readonly string[]).includes(h.osFamily ?? ''),
    );
    if (bad)
      return res.status(400).json({
        error: `host ${JSON.stringify(bad)}: biosId, name, ip and osFamily (${SEED_OS_FAMILIES.join(', ')}) are required`,
      });
    const created = hosts.map((h) => {
      const fqdn = h.fqdn ?? `${h.name}.tenant.local`;
      const biosId = h.biosId.toLowerCase();
      if (h.withNetworkAgent === false) {
        const machine = s.ksc.addNetworkMachine({ ip: h.ip, name: h.name, fqdn, biosId, osFamily: h.osFamily });
        if (!h.discovered) return machine;
      }
      return s.ksc.addHost(0, {
        groupId: h.groupId ?? 1,
        dn: h.name,
        fqdn,
        dnsName: fqdn.split('.')[0],
        dnsDomain: fqdn.split('.').slice(1).join('.'),
        ip: h.ip,
        biosId,
        osFamily: h.osFamily,
        nagentVersion: h.withNetworkAgent === false ? undefined : SEED_NETWORK_AGENT_PACKAGES[h.osFamily].version,
        products: h.withNetworkAgent === false ? [] : [NETWORK_AGENT_PRODUCT],
      });
    });
    res.status(201).json(created);
  });
  /** A policy with its settings storage (tests read back what the platform wrote). */
  app.get('/sites/:siteId/ksc/policies/:policyId', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const p = s.ksc.policies.get(Number(req.params.policyId));
    if (!p) return res.status(404).json({ error: `no policy ${req.params.policyId}` });
    res.json(p);
  });
  /** Removes a policy (e.g. a site's reference policy, for "site without reference policy" tests). */
  app.delete('/sites/:siteId/ksc/policies/:policyId', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    if (!s.ksc.policies.delete(Number(req.params.policyId)))
      return res.status(404).json({ error: `no policy ${req.params.policyId}` });
    res.status(204).end();
  });
  /**
   * Alters a policy's attributes behind the API's back, e.g. `{ "productName": "KES" }` for a
   * reference policy of the wrong product. Body: `{ name?, productName?, productVersion?, active? }`.
   */
  app.patch('/sites/:siteId/ksc/policies/:policyId', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const p = s.ksc.policies.get(Number(req.params.policyId));
    if (!p) return res.status(404).json({ error: `no policy ${req.params.policyId}` });
    const body = req.body as { name?: unknown; productName?: unknown; productVersion?: unknown; active?: unknown };
    const unknown = Object.keys(body).filter((k) => !['name', 'productName', 'productVersion', 'active'].includes(k));
    if (unknown.length > 0) return res.status(400).json({ error: `unknown fields: ${unknown.join(', ')}` });
    if (typeof body.name === 'string') p.name = body.name;
    if (typeof body.productName === 'string') p.productName = body.productName;
    if (typeof body.productVersion === 'string') p.productVersion = body.productVersion;
    if (typeof body.active === 'boolean') p.active = body.active;
    res.json(p);
  });
  /**
   * The main server's key storage (LicenseKeys): list, install (`{ serial?, productName?, appId?,
   * keyType?, limitDate?, licCount?, hostsAsCurrent?, hostsAsNext?, vsId? }`), change, expire, remove.
   */
  app.get('/sites/:siteId/ksc/license-keys', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.ksc.licenseKeys.snapshot());
  });
  app.post('/sites/:siteId/ksc/license-keys', (req, res) => {
    const s = site(req, res);
    if (s) res.status(201).json(s.ksc.licenseKeys.install(req.body as LicenseKeyInput));
  });
  app.patch('/sites/:siteId/ksc/license-keys/:serial', (req, res) => {
    const s = site(req, res);
    if (s) res.json(s.ksc.licenseKeys.update(String(req.params.serial), req.body as LicenseKeyInput));
  });
  /** Body `{ "at"?: ISO date }` (default: a day ago). */
  app.post('/sites/:siteId/ksc/license-keys/:serial/expire', (req, res) => {
    const s = site(req, res);
    if (s)
      res.json(
        s.ksc.licenseKeys.expire(String(req.params.serial), req.body?.at ? new Date(String(req.body.at)) : undefined),
      );
  });
  app.delete('/sites/:siteId/ksc/license-keys/:serial', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    s.ksc.licenseKeys.remove(String(req.params.serial));
    res.status(204).end();
  });
  /** Removes every key of the main server (`?vsId=` for another server). */
  app.delete('/sites/:siteId/ksc/license-keys', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    s.ksc.licenseKeys.clear(req.query.vsId === undefined ? 0 : Number(req.query.vsId));
    res.status(204).end();
  });
  /**
   * Virtual servers that already exist on the KSC (made by the provider's admin or another tool,
   * not by this platform): `{ "count": n, "namePrefix"? }`. Refused past the KSC limit like AddVServerInfo.
   */
  app.post('/sites/:siteId/ksc/vservers', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const count = Number(req.body?.count ?? 1);
    if (!Number.isInteger(count) || count < 1 || count > 1000)
      return res.status(400).json({ error: 'count is an integer 1..1000' });
    const prefix = typeof req.body?.namePrefix === 'string' ? req.body.namePrefix : 'Existing vAS';
    const created = Array.from({ length: count }, (_, i) => s.ksc.addVServer(`${prefix} ${i + 1}`, 0));
    res.status(201).json({ created: created.length, total: s.ksc.vservers.size });
  });
  /**
   * Seeds protection periods as the site's SVMs would have reported them (report content beyond
   * what activations produce, e.g. large reports for range downloads).
   * Body: `{ "periods": [{ "biosId", "vmName"?, "tenantId"?, "from", "to"? }] }` (ISO times).
   */
  app.post('/sites/:siteId/is/protection-periods', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const periods = (req.body.periods ?? []) as {
      biosId: string;
      vmName?: string;
      tenantId?: string;
      from: string;
      to?: string;
    }[];
    s.is.seedPeriods(
      periods.map((p) => ({
        biosId: p.biosId,
        vmName: p.vmName,
        tenantId: p.tenantId,
        from: new Date(p.from),
        to: p.to ? new Date(p.to) : undefined,
      })),
    );
    res.status(201).json({ seeded: periods.length });
  });
  /** Every generated report file expires now (downloads answer 404, as after the lifetime of §6.2). */
  app.post('/sites/:siteId/is/reports/expire', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    res.json({ expired: s.is.expireReports() });
  });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(400).json({ error: err.message });
  });
  return app;
}
