import { Writable } from 'node:stream';
import Fastify, { FastifyInstance } from 'fastify';
import { createLogger, RequestContext } from '@tpo/platform';
import { securityHeaders } from '../openapi/api-docs.setup';
import { installHttpPipeline } from './http-pipeline';

async function serve(level: string) {
  const lines: Record<string, unknown>[] = [];
  const answered: { url: string; status: number }[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  const app: FastifyInstance = Fastify();
  installHttpPipeline(app, {
    logger: createLogger('test-service', level, sink),
    securityHeaders: securityHeaders(),
    onAnswered: (req, status) => answered.push({ url: req.url, status }),
  });
  app.get('/health/live', async () => ({ ok: true }));
  app.get('/v1/things', async () => []);
  app.post('/v1/things', async (req, reply) => {
    // The handler runs in the request's context even after the body was read from the socket.
    await new Promise((r) => setTimeout(r, 1));
    return reply.code(202).send({ seen: RequestContext.current()?.correlationId, body: req.body });
  });
  app.get('/v1/broken', async (_req, reply) => reply.code(503).send({}));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-correlation-id': 'corr-7', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    await new Promise((r) => setTimeout(r, 20)); // the line is written once the answer is sent
    return { res, text };
  };
  return { lines, answered, call, close: () => app.close() };
}

describe('installHttpPipeline', () => {
  it('logs changes at info with the correlation id, reads at debug, server errors at error', async () => {
    const s = await serve('info');
    try {
      await s.call('GET', '/v1/things');
      const post = await s.call('POST', '/v1/things', { a: 1 });
      await s.call('GET', '/v1/broken');
      expect(JSON.parse(post.text)).toEqual({ seen: 'corr-7', body: { a: 1 } });
      expect(post.res.headers.get('x-correlation-id')).toBe('corr-7');
      expect(s.lines).toHaveLength(2);
      expect(s.lines[0]).toMatchObject({
        level: 'info',
        msg: 'request completed',
        correlationId: 'corr-7',
        req: { method: 'POST', url: '/v1/things' },
        res: { statusCode: 202 },
      });
      expect(s.lines[1]).toMatchObject({ level: 'error', msg: 'request errored', res: { statusCode: 503 } });
    } finally {
      await s.close();
    }
  });

  it('logs reads at debug level, never health probes, and no headers; hands every answer but probes to onAnswered', async () => {
    const s = await serve('debug');
    try {
      await s.call('GET', '/health/live');
      await s.call('GET', '/v1/things');
      expect(s.lines).toHaveLength(1);
      expect(s.lines[0]).toMatchObject({ level: 'debug', req: { method: 'GET', url: '/v1/things' } });
      expect(s.lines[0]).not.toHaveProperty('req.headers');
      expect(s.answered).toEqual([{ url: '/v1/things', status: 200 }]);
    } finally {
      await s.close();
    }
  });

  it('sets the security headers on every answer', async () => {
    const s = await serve('info');
    try {
      const { res } = await s.call('GET', '/v1/things');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-powered-by')).toBeNull();
    } finally {
      await s.close();
    }
  });
});
