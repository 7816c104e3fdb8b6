import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { addressRefusal, classifyAddress } from './address-policy';
import { KasperskyTransportError } from './errors';
import { ResilientHttp } from './resilient-http';

describe('address policy at connect time (API7 / SSRF, issue 9)', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const call = async (host: string, allow: ('loopback' | 'link-local')[]) => {
    const http = new ResilientHttp({
      baseUrl: `http://${host}:${port}`,
      name: 'test',
      allowAddresses: allow,
      maxAttempts: 1,
    });
    try {
      return await http.request({ method: 'GET', path: '/' });
    } finally {
      await http.close();
    }
  };

  it('classifies addresses once for registration and connect time', () => {
    expect(classifyAddress('169.254.169.254')).toBe('metadata');
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('10.1.2.3')).toBe('private');
    expect(addressRefusal('8.8.8.8', new Set())).toBeUndefined();
    expect(addressRefusal('169.254.169.254', new Set(['link-local']))).toMatch(/metadata/);
  });

  it('a host name that resolves to a refused address when connecting (DNS rebinding) is refused before any request is sent', async () => {
    const e = await call('localhost', []).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KasperskyTransportError);
    expect((e as KasperskyTransportError).kind).toBe('address_refused');
    expect((e as KasperskyTransportError).retryable).toBe(false);
  });

  it('an IP literal is checked too; an allowed class connects', async () => {
    expect(((await call('127.0.0.1', []).catch((x: unknown) => x)) as KasperskyTransportError).kind).toBe(
      'address_refused',
    );
    expect((await call('localhost', ['loopback'])).body).toBe('ok');
    expect((await call('127.0.0.1', ['loopback'])).body).toBe('ok');
  });
});
