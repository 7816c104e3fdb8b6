import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from './cli-config';
import { CliError, ExitCode } from './cli-error';

describe('resolveConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpo-config-'));
  const file = (content: unknown) => {
    const path = join(dir, `${Math.random()}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const noHome = { XDG_CONFIG_HOME: join(dir, 'none') };

  it('defaults to the local platform and has no credentials', () => {
    const c = resolveConfig({}, noHome);
    expect(c.url).toBe('http://127.0.0.1:3101');
    expect(c.services['activation-service']).toBe('http://127.0.0.1:3105');
    expect(c.auth).toBeUndefined();
  });

  it('takes flags over environment over the config file', () => {
    const path = file({
      url: 'http://file:1',
      token: 'file-token',
      services: { 'registration-service': 'http://file:4' },
    });
    const fromFile = resolveConfig({}, { ...noHome, TPO_CONFIG: path });
    expect(fromFile).toMatchObject({
      url: 'http://file:1',
      auth: { header: 'Authorization', value: 'Bearer file-token' },
    });
    expect(fromFile.services['registration-service']).toBe('http://file:4');
    const fromEnv = resolveConfig(
      {},
      { ...noHome, TPO_CONFIG: path, TPO_URL: 'http://env:2/', TPO_TOKEN: 'env-token' },
    );
    expect(fromEnv).toMatchObject({ url: 'http://env:2', auth: { value: 'Bearer env-token' } });
    expect(resolveConfig({ url: 'https://flag:3' }, { ...noHome, TPO_CONFIG: path, TPO_URL: 'http://env:2' }).url).toBe(
      'https://flag:3',
    );
  });

  it('uses an API key when no token is given', () => {
    expect(resolveConfig({}, { ...noHome, TPO_API_KEY: 'k-1' }).auth).toEqual({ header: 'X-API-Key', value: 'k-1' });
  });

  it('parses TPO_SERVICES and always points tenant-service at the platform URL', () => {
    const c = resolveConfig(
      {},
      { ...noHome, TPO_URL: 'http://a:1', TPO_SERVICES: 'tenant-service=http://b:9,svm-config-service=http://c:2' },
    );
    expect(c.services['tenant-service']).toBe('http://a:1');
    expect(c.services['svm-config-service']).toBe('http://c:2');
  });

  it.each([
    ['an explicit config file that does not exist', {}, { TPO_CONFIG: '/nonexistent/tpo.json' }],
    ['a config file that is not JSON', {}, { TPO_CONFIG: 'JSON' }],
    ['a URL that is not http(s)', { url: 'ftp://x' }, {}],
    ['malformed TPO_SERVICES', {}, { TPO_SERVICES: 'registration-service' }],
  ])('refuses %s as invalid input (exit 2)', (_what, flags, env: Record<string, string>) => {
    const e2 = { ...noHome, ...env, ...(env.TPO_CONFIG === 'JSON' ? { TPO_CONFIG: file('{ not json') } : {}) };
    let error: unknown;
    try {
      resolveConfig(flags, e2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.InvalidInput);
  });
});
