import { createServer, Server } from 'node:net';
import { assertPortsFree, freePort } from './processes';

describe('starting the local platform over ports in use', () => {
  let server: Server;
  let taken: number;

  beforeAll(async () => {
    taken = await freePort();
    server = createServer();
    await new Promise<void>((r) => server.listen(taken, '127.0.0.1', r));
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is refused, naming the port and the likely cause', async () => {
    const free = await freePort();
    await expect(assertPortsFree([free, taken])).rejects.toThrow(
      new RegExp(`^port ${taken} already in use on 127\\.0\\.0\\.1\\..*earlier run may still be running`),
    );
  });

  it('goes ahead when every port is free', async () => {
    await expect(assertPortsFree([await freePort(), await freePort()])).resolves.toBeUndefined();
  });
});
