import { gzipSync } from 'node:zlib';
import type { Socket } from 'node:net';
import express, { Express, Request, Response } from 'express';
import { Site } from '../site/site';
import { decodeValue, encodeReply, KscArgs } from './ksc-codec';
import { authenticateLogin } from './ksc-login';
import { KSC_METHODS } from './ksc-methods';
import { KscModelError, MAIN_SERVER } from './ksc-model';
import { KscProtocol } from './ksc-protocol';
import { SimSession } from './ksc-sessions';
import { KscWireError, pxgErrorBody } from './ksc-wire-error';

// `/api/v1.0/<Class>.<Method>` or `/api/v1.0/<Instance>.<Class>.<Method>`; names are case-sensitive.
const ROUTE = /^\/api\/v1\.0\/(?:(login)|(?:[A-Za-z_][\w]*\.)?([A-Za-z_]\w*)\.([A-Za-z_]\w*))$/;

/**
 * The KSC Open API of one site (ksc-openapi.md §1–§4): JSON over POST, KSCBasic logins, X-KSC-Session
 * tokens, X-KSC-VServer selection, PxgError replies, async actions, tasks and result sets, all over
 * the site's KscModel. Registers its wire state as `site.kscProtocol` for state dumps and shutdown.
 */
export function createKscApp(site: Site): Express {
  const protocol = new KscProtocol(site);
  site.kscProtocol = protocol;
  // Style A logins (`/api/v1.0/login`) authenticate the connection, not a token (§2.2).
  const connectionSessions = new WeakMap<Socket, string>();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.raw({ type: () => true, limit: '20mb' }));

  const send = (req: Request, res: Response, status: number, body: unknown): void => {
    const json = Buffer.from(JSON.stringify(body), 'utf8');
    res.status(status).type('application/json');
    if (json.length > 1024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(gzipSync(json));
    } else {
      res.send(json);
    }
  };
  // ASSUMPTION (ksc-openapi.md §1.4 / Q1): the HTTP status of a PxgError is kscPxgErrorHttpStatus (default 200).
  const methodError = (
    req: Request,
    res: Response,
    e: KscWireError | KscModelError,
    status = site.assumptions.kscPxgErrorHttpStatus,
  ): void => send(req, res, status, pxgErrorBody(e));

  const resolveSession = (req: Request): SimSession | 401 | 403 => {
    const header = req.headers['x-ksc-session'];
    const token = (Array.isArray(header) ? header[0] : header) ?? connectionSessions.get(req.socket);
    if (!token) return 401;
    const s = protocol.sessions.resolve(token);
    if (!s) return 403;
    if (s.vsId !== MAIN_SERVER && !site.ksc.vservers.has(s.vsId)) {
      protocol.sessions.end(token); // its vAS is gone (e.g. deleted through the Integration Server)
      return 403;
    }
    return s;
  };

  app.use(async (req: Request, res: Response) => {
    const m = ROUTE.exec(req.path);
    if (!m) return res.status(404).type('text/plain').send('Not Found');
    if (req.method !== 'POST')
      return res.status(405).setHeader('Allow', 'POST').type('text/plain').send('Method Not Allowed');
    const method = m[1] ? 'login' : `${m[2]}.${m[3]}`;
    site.counters.hit(method);
    if (await site.faults.apply(method, req, res)) return;

    const contentType = req.headers['content-type'];
    // ASSUMPTION (ksc-openapi.md §1.1): a wrong Content-Type is answered 400 with a PxgError.
    if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType)) {
      return methodError(req, res, new KscWireError('STDE_BADPARAM', 'Content-Type must be application/json'), 400);
    }
    let args: KscArgs;
    try {
      const raw: unknown =
        Buffer.isBuffer(req.body) && req.body.length > 0 ? JSON.parse(req.body.toString('utf8')) : {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new Error('the body must be a JSON object');
      args = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decodeValue(v)]));
    } catch (e) {
      return methodError(
        req,
        res,
        new KscWireError('STDE_BADPARAM', `malformed request body: ${(e as Error).message}`),
      );
    }

    if (method === 'login' || method === 'Session.StartSession') {
      const session = authenticateLogin(site, protocol, req, method === 'login' ? 'connection' : 'token');
      if (!session) return res.status(401).type('text/plain').send('Unauthorized');
      if (method === 'login') {
        connectionSessions.set(req.socket, session.token);
        return send(req, res, 200, {});
      }
      return send(req, res, 200, { PxgRetVal: session.token });
    }

    const session = resolveSession(req);
    if (session === 401) return res.status(401).type('text/plain').send('Unauthorized');
    if (session === 403) return res.status(403).type('text/plain').send('Forbidden');
    const handler = KSC_METHODS[method];
    if (!handler) return methodError(req, res, new KscWireError('STDE_NOFUNC', `unknown method ${method}`));
    try {
      const reply = await handler({ site, protocol, session, req, method }, args);
      send(req, res, 200, encodeReply(reply, site.assumptions.kscTopLevelScalarsWrapped));
    } catch (e) {
      if (e instanceof KscWireError || e instanceof KscModelError) return methodError(req, res, e);
      res.status(500).type('text/plain').send('Internal Server Error');
    }
  });
  return app;
}
