import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RemoteSiteDirectory } from './site-directory';

const CONNECTION = {
  id: 'site-1',
  name: 'Site 1',
  maxVirtualServers: 10,
  integrationServer: { url: 'https://is.example:13291', username: 'mt', password: 'p1', addressForAgents: '10.0.0.1' },
  ksc: { url: 'https://ksc.example:13299', username: 'ksc', password: 'p2', publicAddress: 'ksc.example' },
};

/** A stand-in for tenant-service's internal endpoint (each request is an audited read there), counting requests. */
async function directoryServer(): Promise<{ server: Server; url: string; reads: () => number; failNext: () => void }> {
  let reads = 0;
  let fail = false;
  const server = createServer((req, res) => {
    reads++;
    // Slow enough that every concurrent caller asks while the first read is under way.
    setTimeout(() => {
      if (fail) {
        fail = false;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(CONNECTION));
    }, 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads: () => reads,
    failNext: () => void (fail = true),
  };
}

describe('RemoteSiteDirectory', () => {
  let d: Awaited<ReturnType<typeof directoryServer>>;
  beforeEach(async () => (d = await directoryServer()));
  afterEach(() => new Promise((r) => d.server.close(r)));

  it('concurrent misses of one site share one read (16 jobs starting at once read the credentials once)', async () => {
    const directory = new RemoteSiteDirectory({ baseUrl: d.url, service: 'svm-config-service', key: 'k' });
    const sites = await Promise.all(Array.from({ length: 16 }, () => directory.connection('site-1')));
    expect(d.reads()).toBe(1);
    expect(new Set(sites).size).toBe(1);
    expect(sites[0]).toMatchObject({ id: 'site-1', ksc: { publicAddress: 'ksc.example' } });
    await directory.connection('site-1'); // cached
    expect(d.reads()).toBe(1);
  });

  it('a failed read is shared by the callers that waited for it, and not remembered: the next call reads again', async () => {
    const directory = new RemoteSiteDirectory({ baseUrl: d.url, service: 'svm-config-service', key: 'k' });
    d.failNext();
    const results = await Promise.allSettled([directory.connection('site-1'), directory.connection('site-1')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(d.reads()).toBe(1);
    await expect(directory.connection('site-1')).resolves.toMatchObject({ id: 'site-1' });
    expect(d.reads()).toBe(2);
  });

  it('reads again once the cached connection is older than its ttl', async () => {
    const directory = new RemoteSiteDirectory({ baseUrl: d.url, service: 'svm-config-service', key: 'k', ttlMs: 1 });
    await directory.connection('site-1');
    await new Promise((r) => setTimeout(r, 5));
    await directory.connection('site-1');
    expect(d.reads()).toBe(2);
  });
});
