import { AddressInfo } from 'node:net';
import express, { RequestHandler } from 'express';
import helmet from 'helmet';
import { securityHeaders } from './api-docs.setup';

async function headersOf(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.use(middleware);
  app.get('/v1/x', (_req, res) => res.json({}));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/x`);
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!['date', 'etag', 'connection', 'keep-alive', 'content-length'].includes(k)) out[k] = v;
    });
    return out;
  } finally {
    server.close();
  }
}

describe('securityHeaders', () => {
  it("answers the API with exactly helmet's default headers (and no X-Powered-By)", async () => {
    const replayed = await headersOf(securityHeaders());
    expect(replayed).toEqual(await headersOf(helmet()));
    expect(replayed).toMatchObject({
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
    expect(replayed).not.toHaveProperty('x-powered-by');
  });
});
