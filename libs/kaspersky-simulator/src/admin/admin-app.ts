import express, { Express, NextFunction, Request, Response } from 'express';
import { ASSUMPTION_SOURCES, DEFAULT_ASSUMPTIONS, SimulatorAssumptions } from '../config/assumptions';
import { FaultConfig } from '../faults/faults';
import { SEED_NETWORK_AGENT_PACKAGES, SEED_OS_FAMILIES, SeedOsFamily } from '../config/seed';
import { NETWORK_AGENT_PRODUCT } from '../ksc/ksc-model';

interface SeededHost {
  biosId: string;
  name: string;
  ip?: string;
  fqdn?: string;
  osFamily?: SeedOsFamily;
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
    const bad = hosts.find((h) => !h.biosId || !h.name || (h.osFamily !== undefined && !(SEED_OS_FAMILIES as readonly string[]).includes(h.osFamily)) || (h.withNetworkAgent === false && !h.ip));
    if (bad) return res.status(400).json({ error: `host ${JSON.stringify(bad)}: biosId and name are required, osFamily is one of ${SEED_OS_FAMILIES.join(', ')}, an unmanaged machine needs its ip` });
    const created = hosts.map((h) => {
      const fqdn = h.fqdn ?? `${h.name}.tenant.local`;
      const biosId = h.biosId.toLowerCase();
      if (h.withNetworkAgent === false) {
        const machine = s.ksc.addNetworkMachine({ ip: h.ip!, name: h.name, fqdn, biosId, osFamily: h.osFamily });
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
        nagentVersion: h.withNetworkAgent === false ? undefined : SEED_NETWORK_AGENT_PACKAGES[h.osFamily ?? 'windows'].version,
        products: h.withNetworkAgent === false ? [] : [NETWORK_AGENT_PRODUCT],
      });
    });
    res.status(201).json(created);
  });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(400).json({ error: err.message });
  });
  return app;
}
