import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { correlationMiddleware, createLogger } from '@tpo/platform';
import { accessLogMiddleware } from './access-log.middleware';

async function serve(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  const app = express();
  app.use(correlationMiddleware);
  app.use(accessLogMiddleware(createLogger('test-service', level, sink)));
  app.get('/health/live', (_req, res) => res.json({ ok: true }));
  app.get('/v1/things', (_req, res) => res.json([]));
  app.post('/v1/things', (_req, res) => res.status(202).json({}));
  app.get('/v1/broken', (_req, res) => res.status(503).json({}));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string) => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'x-correlation-id': 'corr-7' } });
    await res.text();
    await new Promise((r) => setTimeout(r, 20)); // the line is written on 'close'
  };
  return { lines, call, close: () => new Promise((r) => server.close(r)) };
}

describe('accessLogMiddleware', () => {
  it('logs changes at info with the correlation id, reads at debug, server errors at error', async () => {
    const s = await serve('info');
    try {
      await s.call('GET', '/v1/things');
      await s.call('POST', '/v1/things');
      await s.call('GET', '/v1/broken');
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

  it('logs reads at debug level, never health probes, and no headers', async () => {
    const s = await serve('debug');
    try {
      await s.call('GET', '/health/live');
      await s.call('GET', '/v1/things');
      expect(s.lines).toHaveLength(1);
      expect(s.lines[0]).toMatchObject({ level: 'debug', req: { method: 'GET', url: '/v1/things' } });
      expect(s.lines[0]).not.toHaveProperty('req.headers');
    } finally {
      await s.close();
    }
  });
});
