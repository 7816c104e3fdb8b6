import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SERVICE_NODE_FLAGS } from './processes';

describe('service Node.js flags', () => {
  const entrypoint = readFileSync(resolve(__dirname, '../../deploy/docker/tpo-entrypoint.sh'), 'utf8');

  it('are the same in the image entry point as where the platform starts services locally', () => {
    const declared = /^SERVICE_NODE_FLAGS="([^"]*)"$/m.exec(entrypoint)?.[1];
    expect(declared?.split(/\s+/).filter(Boolean)).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it('are passed to node when the image runs a service', () => {
    expect(entrypoint).toMatch(/run_service\(\) \{ exec node \$SERVICE_NODE_FLAGS -r /);
    expect(entrypoint).toMatch(/^\s+run_service "dist\/apps\/\$what\/src\/main\.js" ;;$/m);
  });

  it('are accepted by this Node.js', () => {
    const out = execFileSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'process.stdout.write("ok")']);
    expect(out.toString()).toBe('ok');
  });
});
