import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The local stand-in for a Kubernetes Service in front of several replicas: forwards each HTTP
 * request to the next upstream, and to the one after when an upstream refuses the connection (a
 * replica that was just killed). Used for the step services' calls to tenant-service's site directory.
 */
export class RoundRobinProxy {
  private next = 0;

  private constructor(
    private readonly server: Server,
    private readonly upstreams: number[],
  ) {}

  static async start(upstreamPorts: number[]): Promise<RoundRobinProxy> {
    const proxy: { value?: RoundRobinProxy } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        proxy.value!.forward(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks), res, 0),
      );
    });
    proxy.value = new RoundRobinProxy(server, upstreamPorts);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return proxy.value;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private forward(
    method: string,
    path: string,
    headers: NodeJS.Dict<string | string[]>,
    body: Buffer,
    res: import('node:http').ServerResponse,
    attempt: number,
  ): void {
    const port = this.upstreams[this.next++ % this.upstreams.length];
    const upstream = request(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, host: `127.0.0.1:${port}` } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    // A stalled (SIGSTOPped) upstream accepts the connection and never answers: give up on it after 5 s.
    upstream.setTimeout(5000, () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      if (attempt + 1 < this.upstreams.length * 2) return this.forward(method, path, headers, body, res, attempt + 1);
      res.writeHead(502).end();
    });
    upstream.end(body);
  }
}
