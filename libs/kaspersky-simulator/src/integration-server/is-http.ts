import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { Express, NextFunction, Request, Response } from 'express';
import { Site } from '../site/site';
import { CreateTenantInput, TenantType } from './is-model';
import {
  errorXml,
  parseXmlBody,
  taskNode,
  tenantNode,
  textOf,
  toXml,
  vmNode,
  XmlNode,
  XmlRequestError,
} from './is-xml';

const BASE = '/api/2.0/virtualization';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:]+$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

type Handler = (req: Request, res: Response) => void | Promise<void>;

function sendXml(res: Response, status: number, root: XmlNode): void {
  res.status(status).type('application/xml; charset=utf-8').send(toXml(root));
}

function sendError(res: Response, status: number, code: string | undefined, message: string): void {
  res.status(status).type('application/xml; charset=utf-8').send(errorXml(code, message));
}

function tenantNotFound(res: Response): void {
  sendError(res, 404, 'VIRMT_TenantWithSpecifiedIdNotFound', 'Tenant with the specified identifier is not found.');
}

function sendTask(res: Response, task: ReturnType<Site['is']['createTenant']>): void {
  res.setHeader('Location', `${BASE}/tasks/${task.id}`);
  sendXml(res, 202, { task: taskNode(task) });
}

/**
 * The Integration Server multitenancy REST API (shared/reference/integration-server-api.md §1-5):
 * HTTP Basic with the `multitenancy` account, XML bodies, 202 + task for async operations.
 */
export function createIntegrationServerApp(site: Site): Express {
  const app = express();
  app.disable('x-powered-by');
  // The digest documents no ETag or conditional request; Express's default weak ETag is off, as
  // on the simulated KSC, so the short path below answers exactly as the app does.
  app.disable('etag');
  app.use(express.text({ type: () => true, limit: '2mb' }));

  // Every operation: counted, faults applied, authenticated.
  const op =
    (name: string, handler: Handler): Handler =>
    async (req, res) => {
      site.counters.hit(name);
      if (await site.faults.apply(name, req, res)) return;
      if (!authorized(site, req, res)) return;
      try {
        await handler(req, res);
      } catch (e) {
        if (e instanceof XmlRequestError)
          return sendError(res, 400, 'VIRMT_MandatoryParameterIsNotSpecified', e.message);
        sendError(res, 500, undefined, 'Internal error');
      }
    };

  app.get(
    `${BASE}/tenants`,
    op('ListTenants', (_req, res) =>
      sendXml(res, 200, { tenants: { tenant: [...site.is.tenants.values()].map(tenantNode) } }),
    ),
  );

  app.get(
    `${BASE}/tenants/:id`,
    op('GetTenant', (req, res) => {
      const t = site.is.tenants.get(String(req.params.id));
      if (!t) return tenantNotFound(res);
      sendXml(res, 200, { tenant: tenantNode(t) });
    }),
  );

  app.get(
    `${BASE}/tenants/:id/vms`,
    op('ListTenantVms', (req, res) => {
      const id = String(req.params.id);
      if (!site.is.tenants.has(id)) return tenantNotFound(res);
      sendXml(res, 200, { vms: { vm: site.is.vmsOf(id).map(vmNode) } });
    }),
  );

  app.post(
    `${BASE}/tenants`,
    op('CreateTenant', (req, res) => {
      const parsed = parseCreateTenant(site, String(req.body ?? ''));
      if ('error' in parsed) return sendError(res, 400, parsed.error, parsed.message);
      site.calls.record('CreateTenant', parsed.name);
      sendTask(res, site.is.createTenant(parsed));
    }),
  );

  app.post(
    `${BASE}/tenants/:id/activate`,
    op('ActivateTenant', (req, res) => {
      site.calls.record('ActivateTenant', String(req.params.id));
      sendTask(res, site.is.changeActivation(String(req.params.id), true));
    }),
  );
  app.post(
    `${BASE}/tenants/:id/deactivate`,
    op('DeactivateTenant', (req, res) => sendTask(res, site.is.changeActivation(String(req.params.id), false))),
  );

  app.delete(
    `${BASE}/tenants/:id`,
    op('DeleteTenant', (req, res) => {
      const raw = req.query.removeTenantArtifacts;
      const remove =
        raw === undefined ? site.assumptions.isRemoveArtifactsDefault : String(raw).toLowerCase() === 'true';
      sendTask(res, site.is.deleteTenant(String(req.params.id), remove));
    }),
  );

  app.post(
    `${BASE}/tenants/:id/vms/register`,
    op('RegisterVm', (req, res) => {
      const id = String(req.params.id);
      if (!site.is.tenants.has(id)) return tenantNotFound(res);
      const doc = parseXmlBody(String(req.body ?? ''));
      const list =
        doc.vms && site.assumptions.isAcceptVmsListOnRegister
          ? ([] as unknown[]).concat((doc.vms as XmlNode).vm ?? [])
          : doc.vm
            ? [doc.vm]
            : [];
      if (list.length === 0)
        return sendError(res, 400, 'VIRMT_MandatoryParameterIsNotSpecified', 'The <vm> element is missing.');
      const vms: { biosId: string; name?: string; userData?: string }[] = [];
      for (const node of list as XmlNode[]) {
        const biosId = textOf(node['@_biosId']);
        if (!biosId)
          return sendError(res, 400, 'VIRMT_MandatoryParameterIsNotSpecified', 'The biosId attribute is missing.');
        if (!UUID.test(biosId)) return sendError(res, 400, undefined, `biosId "${biosId}" is not a UUID.`);
        vms.push({ biosId, name: textOf(node.name), userData: textOf(node.userData) });
      }
      const result = site.is.registerVms(id, vms);
      if ('ok' in result) for (const vm of result.ok) site.calls.record('RegisterVm', vm.biosId);
      if ('conflict' in result)
        return sendError(
          res,
          409,
          'VIRMT_VmWithSpecifiedBiosIdAlreadyExists',
          `A VM with BIOS id ${result.conflict} is already registered.`,
        );
      if (!doc.vms) return sendXml(res, 200, { vm: vmNode(result.ok[0]) });
      sendXml(res, 200, { vms: { vm: result.ok.map(vmNode) } });
    }),
  );

  app.post(
    `${BASE}/tenants/:id/vms/unregister`,
    op('UnregisterVm', (req, res) => {
      const id = String(req.params.id);
      if (!site.is.tenants.has(id)) return tenantNotFound(res);
      const vmId = req.query.vmId ? String(req.query.vmId) : undefined;
      const biosId = req.query.biosId ? String(req.query.biosId) : undefined;
      if (!vmId && !biosId)
        return sendError(res, 400, 'VIRMT_MandatoryParameterIsNotSpecified', 'Specify biosId or vmId.');
      // ASSUMPTION (integration-server-api.md §12.13): vmId wins when both are given.
      if (!site.is.unregisterVm(id, vmId ? { vmId } : { biosId }))
        return sendError(res, 404, 'VIRMT_VmWithSpecifiedIdNotFound', 'VM with the specified identifier is not found.');
      res.status(200).end();
    }),
  );

  app.post(
    `${BASE}/reports/tenants`,
    op('CreateTenantReport', (req, res) => {
      if (
        site.assumptions.isReportGenerateRequiresCsvAccept &&
        !String(req.headers.accept ?? '')
          .toLowerCase()
          .includes('application/csv')
      ) {
        return sendError(res, 415, undefined, 'Accept: application/csv is required.');
      }
      const tenantId = req.query.tenantId ? String(req.query.tenantId) : undefined;
      if (tenantId && !site.is.tenants.has(tenantId))
        return sendError(res, 404, undefined, 'Tenant with the specified identifier is not found.');
      const from = req.query.from ? String(req.query.from) : undefined;
      const to = req.query.to ? String(req.query.to) : undefined;
      if ((from && !TIMESTAMP.test(from)) || (to && !TIMESTAMP.test(to)))
        return sendError(res, 400, undefined, 'from/to must be YYYY-MM-DDThh:mm:ss.');
      sendTask(
        res,
        site.is.createReport({
          tenantId,
          from: from ? new Date(`${from}Z`) : undefined,
          to: to ? new Date(`${to}Z`) : undefined,
        }),
      );
    }),
  );

  app.get(
    `${BASE}/reports/tenants/:id`,
    op('DownloadReport', (req, res) => {
      if (
        !String(req.headers.accept ?? '')
          .toLowerCase()
          .includes('application/csv')
      )
        return sendError(res, 415, undefined, 'Accept: application/csv is required.');
      const report = site.is.reports.get(String(req.params.id));
      if (!report || report.expiresAt < new Date()) return sendError(res, 404, undefined, 'Report not found.');
      const body = Buffer.from(report.csv, 'utf8');
      const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
      res.type('application/csv; charset=utf-8');
      if (!range || (range[1] === '' && range[2] === '')) return void res.status(200).send(body);
      const total = body.length;
      let start = range[1] === '' ? Math.max(0, total - Number(range[2])) : Number(range[1]);
      let end = range[1] === '' || range[2] === '' ? total - 1 : Math.min(Number(range[2]), total - 1);
      if (start >= total || start > end) {
        res.setHeader('Content-Range', `bytes */${total}`);
        return void res.status(416).end();
      }
      start = Math.max(0, start);
      end = Math.max(start, end);
      const style = site.assumptions.isContentRangeStyle;
      res.setHeader(
        'Content-Range',
        style === 'vendor' ? `bytes=${start}-${end}/${total}` : `bytes ${start}-${end}/${total}`,
      );
      res.status(206).send(body.subarray(start, end + 1));
    }),
  );

  app.get(
    `${BASE}/tasks`,
    op('ListTasks', (req, res) => {
      const createdFrom = req.query.createdFrom ? String(req.query.createdFrom) : undefined;
      // ASSUMPTION (§12.27): invalid filter values give an empty list, not 400.
      if (createdFrom && !TIMESTAMP.test(createdFrom)) return sendXml(res, 200, { tasks: { task: [] } });
      const tasks = site.is.listTasks({
        createdFrom: createdFrom ? new Date(`${createdFrom}Z`) : undefined,
        state: req.query.state ? String(req.query.state) : undefined,
        type: req.query.type ? String(req.query.type) : undefined,
      });
      sendXml(res, 200, { tasks: { task: tasks.map(taskNode) } });
    }),
  );

  app.get(
    `${BASE}/tasks/:id`,
    op('GetTask', (req, res) => {
      const { status, body } = taskPollAnswer(site, String(req.params.id));
      res.status(status).type('application/xml; charset=utf-8').send(body);
    }),
  );

  app.post(
    `${BASE}/tasks/:id/cancel`,
    op('CancelTask', (req, res) => {
      const status = site.is.cancelTask(String(req.params.id));
      if (status === 404) return sendError(res, 404, undefined, 'Task not found.');
      if (status === 409)
        return sendError(res, 409, undefined, 'The task is already Completed, Cancelled, Failed or Stopped.');
      const task = site.is.tasks.get(String(req.params.id))!;
      sendXml(res, status, { task: taskNode(task) });
    }),
  );

  app.use((req: Request, res: Response) =>
    sendError(res, req.path.startsWith(BASE) ? 405 : 404, undefined, `No route for ${req.method} ${req.path}.`),
  );
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return sendError(res, 413, undefined, 'Request body too large.');
    sendError(res, err.status ?? 500, undefined, 'Internal error');
  });
  return app;
}

/** GetTask's answer, the same on both paths: the task, or 404 when the server has no such task. */
function taskPollAnswer(site: Site, id: string): { status: number; body: string } {
  const task = site.is.tasks.get(id);
  return task
    ? { status: 200, body: toXml({ task: taskNode(task) }) }
    : { status: 404, body: errorXml(undefined, 'Task not found.') };
}

/** `GET <BASE>/tasks/<id>` with a plain id, no query string, no trailing slash: the task poll. */
const TASK_POLL = new RegExp(`^${BASE.replace(/\//g, '\\/')}/tasks/([A-Za-z0-9-]{1,100})$`);

/**
 * The Integration Server of one site as a request listener. Task polls (`GetTask`, about 70% of
 * the Integration Server calls of an onboarding) go straight to the task while no request-level
 * fault is set and the credentials are right: Express's routing, body parsing and response helpers
 * cost more than the answer itself (docs/performance.md 11.aa; the KSC side did the same in 11.x).
 * Everything else, and any poll that is not that plain (a query string, a body, a fault, a
 * credential to refuse), goes through the Express app. Both count the call once and answer with
 * the same status, headers and body (test/integration/is-simulator-paths.int-spec.ts).
 */
export function createIntegrationServerListener(site: Site): RequestListener {
  const app = createIntegrationServerApp(site);
  const fast = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' || !site.faults.passesRequests) return false;
    const m = TASK_POLL.exec(req.url ?? '');
    if (!m) return false;
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) return false;
    if (!credentialsAccepted(site, req)) return false;
    site.counters.hit('GetTask');
    let answer: { status: number; body: string };
    try {
      answer = taskPollAnswer(site, m[1]);
    } catch {
      answer = { status: 500, body: errorXml(undefined, 'Internal error') };
    }
    const { status, body } = answer;
    res.writeHead(status, {
      'Content-Type': 'application/xml; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  };
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}

const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)$/;

/** The `multitenancy` account with the site's password, by HTTP Basic (§1). */
function credentialsAccepted(site: Site, req: IncomingMessage): boolean {
  const match = BASIC.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  return sep >= 0 && decoded.slice(0, sep) === 'multitenancy' && decoded.slice(sep + 1) === site.options.isPassword;
}

function authorized(site: Site, req: Request, res: Response): boolean {
  if (!BASIC.test(req.headers.authorization ?? '')) {
    if (site.assumptions.isAuthFailure === 'always-403')
      sendError(res, 403, undefined, 'Access to the resource is denied.');
    else {
      res.setHeader('WWW-Authenticate', 'Basic realm="Integration Server"');
      sendError(res, 401, undefined, 'Authentication required.');
    }
    return false;
  }
  if (!credentialsAccepted(site, req)) {
    sendError(res, 403, undefined, 'Access to the resource is denied.');
    return false;
  }
  return true;
}

/** Validation in the documented order (§11.4): name, type, vKSC credentials, preferredViisAddress. */
function parseCreateTenant(site: Site, body: string): CreateTenantInput | { error: string; message: string } {
  const doc = parseXmlBody(body);
  const t = doc.tenant as XmlNode | undefined;
  if (!t) return { error: 'VIRMT_MandatoryParameterIsNotSpecified', message: 'The <tenant> element is missing.' };
  const name = textOf(t.name)?.trim();
  if (!name) return { error: 'VIRMT_MandatoryParameterIsNotSpecified', message: 'The tenant name is not specified.' };
  const rawType = textOf(t.type)?.trim();
  let type: TenantType;
  if (rawType === undefined || rawType === '') {
    if (site.assumptions.isDefaultTenantType === 'required')
      return { error: 'VIRMT_MandatoryParameterIsNotSpecified', message: 'The tenant type is not specified.' };
    type = site.assumptions.isDefaultTenantType;
  } else if (rawType === 'Complete' || rawType === 'Simple') type = rawType;
  else return { error: 'VIRMT_InvalidTenantType', message: `Tenant type "${rawType}" does not exist.` };
  let vKsc: CreateTenantInput['vKsc'];
  if (type === 'Complete') {
    const user = ((t.vKsc as XmlNode | undefined)?.user ?? {}) as XmlNode;
    const userName = textOf(user.name)?.trim();
    const b64 = textOf(user.password)?.trim();
    if (!userName || !b64)
      return {
        error: 'VIRMT_VKscCredentialsNotSpecified',
        message: 'The virtual Administration Server administrator name or password is not specified.',
      };
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
      return {
        error: 'VIRMT_VKscCredentialsNotSpecified',
        message: 'The administrator password must be Base64-encoded.',
      };
    vKsc = { name: userName, password: Buffer.from(b64, 'base64').toString('utf8') };
  }
  const viis = textOf(t.preferredViisAddress)?.trim();
  if (
    viis &&
    !IPV4.test(viis) &&
    !(site.assumptions.isAcceptIpv6ViisAddress && IPV6.test(viis) && viis.includes(':'))
  ) {
    return { error: 'VIRMT_InvalidViisAddressFormat', message: `"${viis}" is not a valid IP address.` };
  }
  return {
    name,
    description: textOf(t.description),
    userData: textOf(t.userData),
    type,
    preferredViisAddress: viis || undefined,
    vKsc,
  };
}
