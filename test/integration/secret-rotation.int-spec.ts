import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { EnvelopeCipher } from '@tpo/secrets';
import { ROOT_DIR } from '@tpo/tools';
import { sql } from '../support/harness';
import { resetAllSchemas } from '../support/platform';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

describe('secrets rotation command', () => {
  it('re-wraps tenant secrets and site credentials with the new master key; they still open, and nothing else changes', async () => {
    await resetAllSchemas(); // rows sealed with other keys (earlier suites) would make the command refuse, rightly
    const k1 = `k1:${randomBytes(32).toString('base64')}`;
    const k2 = `k2:${randomBytes(32).toString('base64')}`;
    const old = EnvelopeCipher.fromConfig(k1);
    const siteId = `rot-${randomUUID().slice(0, 8)}`;
    const tenantId = randomUUID();
    const seal = (v: string, aad: string) => JSON.stringify(old.seal(v, aad));
    await sql(
      'tenant-service',
      `INSERT INTO site (id, name, max_virtual_servers, connection, credentials, source) VALUES ($1, 'rot', 10, '{}'::jsonb, $2::jsonb, 'api')`,
      [
        siteId,
        JSON.stringify({
          integrationServer: JSON.parse(seal('is-pw', `site:${siteId}:integration-server`)),
          ksc: JSON.parse(seal('ksc-pw', `site:${siteId}:ksc`)),
        }),
      ],
    );
    await sql(
      'tenant-service',
      `INSERT INTO tenant (id, order_id, name, admin_account_name, site_id, status, current_step, request) VALUES ($1, $2, $2, $2, $3, 'ready', 'handover', '{}'::jsonb)`,
      [tenantId, `rot-${tenantId.slice(0, 8)}`, siteId],
    );
    await sql('tenant-service', `INSERT INTO tenant_secret (tenant_id, sealed) VALUES ($1, $2::jsonb)`, [
      tenantId,
      seal('admin-pw', `tenant:${tenantId}:admin-password`),
    ]);

    const run = spawnSync(
      process.execPath,
      [
        '-r',
        resolve(ROOT_DIR, 'tools/register-paths.js'),
        resolve(ROOT_DIR, 'dist/apps/tenant-service/src/rotate-secrets.js'),
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: testDatabaseUrl('tenant-service'),
          DATABASE_SCHEMA: serviceLayout('tenant-service').schema,
          SECRETS_MASTER_KEYS: `${k1},${k2}`,
        },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/re-wrapped [1-9]\d* tenant secret/);

    const next = EnvelopeCipher.fromConfig(k2);
    const [secret] = await sql<{ sealed: { keyId: string } }>(
      'tenant-service',
      `SELECT sealed FROM tenant_secret WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(secret.sealed.keyId).toBe('k2');
    expect(next.open(secret.sealed as never, `tenant:${tenantId}:admin-password`)).toBe('admin-pw');
    const [site] = await sql<{ credentials: { integrationServer: { keyId: string }; ksc: { keyId: string } } }>(
      'tenant-service',
      `SELECT credentials FROM site WHERE id = $1`,
      [siteId],
    );
    expect(next.open(site.credentials.ksc as never, `site:${siteId}:ksc`)).toBe('ksc-pw');
    expect(site.credentials.integrationServer.keyId).toBe('k2');

    await sql('tenant-service', `DELETE FROM tenant WHERE id = $1`, [tenantId]);
    await sql('tenant-service', `DELETE FROM site WHERE id = $1`, [siteId]);
  });
});
