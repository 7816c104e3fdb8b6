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
    if (!s.ksc.policies.delete(Number(req.params.policyId))) return res.status(404).json({ error: `no policy ${req.params.policyId}` });
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
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(400).json({ error: err.message });
  });
  return app;
}
