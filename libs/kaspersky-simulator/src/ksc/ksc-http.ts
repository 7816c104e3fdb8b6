import { gzipSync } from 'node:zlib';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
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
// ASSUMPTION (ksc-openapi.md §1.1): a wrong Content-Type is answered 400 with a PxgError.
const JSON_TYPE = /^application\/json\s*(;|$)/i;
/** The largest request body accepted (as express.raw's limit: larger ones get 413). */
const BODY_LIMIT = 20 * 1024 * 1024;

/** What a method call answers, before it is written. */
type Answer = { status: number; json: unknown } | { status: number; text: string };

/** An answer as bytes: its status, Content-Type, body, and whether the body is gzipped. */
interface WireAnswer {
  status: number;
  type: string;
  body: Buffer;
  gzip: boolean;
}

function methodName(m: RegExpExecArray): string {
  return m[1] ? 'login' : `${m[2]}.${m[3]}`;
}

/**
 * The KSC Open API of one site (ksc-openapi.md §1–§4): JSON over POST, KSCBasic logins, X-KSC-Session
 * tokens, X-KSC-VServer selection, PxgError replies, async actions, tasks and result sets, all over
 * the site's KscModel. Registers its wire state as `site.kscProtocol` for state dumps and shutdown.
 *
 * Two ways in, one behaviour: a plain method call (POST to a method's path, a JSON or no
 * Content-Type, an uncompressed body of known length) while no request-level fault is set goes
 * straight to the method (`fast`: Express's routing, body parsing and response helpers were ~15%
 * of the simulator's CPU in the onboarding bench, which shares the machine with the platform,
 * docs/performance.md 11.x); everything else (a wrong path, verb or Content-Type, a compressed or
 * chunked body, any fault) goes through the Express app as before. Both count the call and answer
 * with the same status, Content-Type and body.
 */
export function createKscListener(site: Site): RequestListener {
  const protocol = new KscProtocol(site);
  site.kscProtocol = protocol;
  // Style A logins (`/api/v1.0/login`) authenticate the connection, not a token (§2.2).
  const connectionSessions = new WeakMap<Socket, string>();

  // ASSUMPTION (ksc-openapi.md §1.4 / Q1): the HTTP status of a PxgError is kscPxgErrorHttpStatus (default 200).
  const methodError = (e: KscWireError | KscModelError, status = site.assumptions.kscPxgErrorHttpStatus): Answer => ({
    status,
    json: pxgErrorBody(e),
  });

  const resolveSession = (req: IncomingMessage): SimSession | 401 | 403 => {
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

  /** A routed, counted POST that passed the faults: the call itself. */
  const call = async (req: IncomingMessage, method: string, body: Buffer): Promise<Answer> => {
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !JSON_TYPE.test(contentType))
      return methodError(new KscWireError('STDE_BADPARAM', 'Content-Type must be application/json'), 400);
    let args: KscArgs;
    try {
      const raw: unknown = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new Error('the body must be a JSON object');
      args = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decodeValue(v)]));
    } catch (e) {
      return methodError(new KscWireError('STDE_BADPARAM', `malformed request body: ${(e as Error).message}`));
    }

    if (method === 'login' || method === 'Session.StartSession') {
      const session = authenticateLogin(site, protocol, req, method === 'login' ? 'connection' : 'token');
      if (!session) return { status: 401, text: 'Unauthorized' };
      if (method === 'login') {
        connectionSessions.set(req.socket, session.token);
        return { status: 200, json: {} };
      }
      return { status: 200, json: { PxgRetVal: session.token } };
    }

    const session = resolveSession(req);
    if (session === 401) return { status: 401, text: 'Unauthorized' };
    if (session === 403) return { status: 403, text: 'Forbidden' };
    const handler = KSC_METHODS[method];
    if (!handler) return methodError(new KscWireError('STDE_NOFUNC', `unknown method ${method}`));
    try {
      const reply = await handler({ site, protocol, session, req, method }, args);
      return { status: 200, json: encodeReply(reply, site.assumptions.kscTopLevelScalarsWrapped) };
    } catch (e) {
      if (e instanceof KscWireError || e instanceof KscModelError) return methodError(e);
      return { status: 500, text: 'Internal Server Error' };
    }
  };

  const wire = (req: IncomingMessage, a: Answer): WireAnswer => {
    if ('text' in a)
      return { status: a.status, type: 'text/plain; charset=utf-8', body: Buffer.from(a.text), gzip: false };
    // As Express's res.type('application/json') writes it.
    const type = 'application/json; charset=utf-8';
    const json = Buffer.from(JSON.stringify(a.json), 'utf8');
    if (json.length > 1024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
      return { status: a.status, type, body: gzipSync(json), gzip: true };
    return { status: a.status, type, body: json, gzip: false };
  };

  const app: Express = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.raw({ type: () => true, limit: BODY_LIMIT }));
  app.use(async (req: Request, res: Response) => {
    const m = ROUTE.exec(req.path);
    if (!m) return res.status(404).type('text/plain').send('Not Found');
    if (req.method !== 'POST')
      return res.status(405).setHeader('Allow', 'POST').type('text/plain').send('Method Not Allowed');
    const method = methodName(m);
    site.counters.hit(method);
    if (await site.faults.apply(method, req, res)) return;
    const w = wire(req, await call(req, method, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)));
    res.status(w.status).type(w.type);
    if (w.gzip) res.setHeader('Content-Encoding', 'gzip');
    res.send(w.body);
  });

  /** Takes a plain method call (see above) and answers it; false leaves the request to the Express app. */
  const fast = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || !site.faults.passesRequests) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const m = ROUTE.exec(q < 0 ? url : url.slice(0, q));
    if (!m) return false;
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !JSON_TYPE.test(contentType)) return false;
    const length = Number(req.headers['content-length'] ?? 0);
    if (
      req.headers['content-encoding'] !== undefined ||
      req.headers['transfer-encoding'] !== undefined ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      length > BODY_LIMIT
    )
      return false;
    const method = methodName(m);
    site.counters.hit(method);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      void call(req, method, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
        .catch((): Answer => ({ status: 500, text: 'Internal Server Error' }))
        .then((a) => {
          const w = wire(req, a);
          res.writeHead(w.status, {
            'Content-Type': w.type,
            'Content-Length': w.body.length,
            ...(w.gzip ? { 'Content-Encoding': 'gzip' } : {}),
          });
          res.end(w.body);
        });
    });
    return true;
  };

  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}
