import { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import helmet from 'helmet';
import { securityHeaders } from './api-docs.setup';

const IGNORED = ['date', 'etag', 'connection', 'keep-alive', 'content-length', 'content-type', 'x-powered-by'];

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!IGNORED.includes(k)) out[k] = v;
  });
  return out;
}

/** helmet itself, as an Express middleware: the reference. */
async function helmetHeaders(path: string, options?: Parameters<typeof helmet>[0]): Promise<Record<string, string>> {
  const app = express();
  app.use(helmet(options));
  app.get(path, (_req, res) => res.json({}));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    return headersOf(await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`));
  } finally {
    server.close();
  }
}

async function replayedHeaders(path: string): Promise<Response> {
  const app = Fastify();
  const set = securityHeaders();
  app.addHook('onRequest', (req, reply, done) => {
    set(req.url, reply);
    done();
  });
  app.get(path, async () => ({}));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}${path}`);
  } finally {
    await app.close();
  }
}

describe('securityHeaders', () => {
  it("answers the API with exactly helmet's default headers (and no X-Powered-By)", async () => {
    const res = await replayedHeaders('/v1/x');
    const replayed = headersOf(res);
    expect(replayed).toEqual(await helmetHeaders('/v1/x'));
    expect(replayed).toMatchObject({
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('lets the docs page run its own scripts and styles only', async () => {
    const csp = (await replayedHeaders('/docs/index.html')).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });
});
