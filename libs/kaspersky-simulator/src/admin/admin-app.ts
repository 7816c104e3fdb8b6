import express, { Express, NextFunction, Request, Response } from 'express';
import { ASSUMPTION_SOURCES, DEFAULT_ASSUMPTIONS, SimulatorAssumptions } from '../config/assumptions';
import { FaultConfig } from '../faults/faults';
import { NETWORK_AGENT_PRODUCT } from '../ksc/ksc-model';
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
    res.json(Object.entries(DEFAULT_ASSUMPTIONS).map(([key, value]) => ({ key, default: value, source: ASSUMPTION_SOURCES[key as keyof SimulatorAssumptions] })));
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
   * Seeds tenant VMs as devices managed by the main server (VM templates with a Network Agent
   * pointing at the KSC), so the onboarding can move them into the tenant's vAS.
   * Body: `{ "hosts": [{ "biosId", "name", "ip"?, "groupId"? }] }`.
   */
  app.post('/sites/:siteId/ksc/hosts', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const hosts = (req.body.hosts ?? []) as { biosId: string; name: string; ip?: string; groupId?: number; withNetworkAgent?: boolean }[];
    const created = hosts.map((h) =>
      s.ksc.addHost(0, {
        groupId: h.groupId ?? 1,
        dn: h.name,
        fqdn: `${h.name}.tenant.local`,
        dnsName: h.name,
        dnsDomain: 'tenant.local',
        ip: h.ip,
        biosId: h.biosId.toLowerCase(),
        nagentVersion: h.withNetworkAgent === false ? undefined : '15.1.0.20748',
        products: h.withNetworkAgent === false ? [] : [NETWORK_AGENT_PRODUCT],
      }),
    );
    res.status(201).json(created);
  });
  /**
   * Seeds protection periods as the site's SVMs would have reported them (report content beyond
   * what activations produce, e.g. large reports for range downloads).
   * Body: `{ "periods": [{ "biosId", "vmName"?, "tenantId"?, "from", "to"? }] }` (ISO times).
   */
  app.post('/sites/:siteId/is/protection-periods', (req, res) => {
    const s = site(req, res);
    if (!s) return;
    const periods = (req.body.periods ?? []) as { biosId: string; vmName?: string; tenantId?: string; from: string; to?: string }[];
    s.is.seedPeriods(periods.map((p) => ({ biosId: p.biosId, vmName: p.vmName, tenantId: p.tenantId, from: new Date(p.from), to: p.to ? new Date(p.to) : undefined })));
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
