import 'reflect-metadata';
import { Matches } from 'class-validator';
import { EnvelopeCipher, SealedSecret } from '@tpo/secrets';
import { loadConfigOrExit } from '@tpo/service-kit';
import { Client } from 'pg';

class RotateEnv {
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA!: string;

  @Matches(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44})*$/, {
    message: 'SECRETS_MASTER_KEYS must be <key id>:<base64 of 32 bytes>[,...]',
  })
  SECRETS_MASTER_KEYS!: string;
}

/**
 * Re-wraps every stored secret (tenant admin passwords not yet revealed, site credentials) with
 * the active master key, in one transaction. The data itself is not decrypted. Usage: add the new
 * key last in SECRETS_MASTER_KEYS, restart the service, run this, then remove the old key.
 */
export async function rotateSecrets(env: RotateEnv): Promise<{ tenants: number; sites: number }> {
  const cipher = EnvelopeCipher.fromConfig(env.SECRETS_MASTER_KEYS);
  const pg = new Client({ connectionString: env.DATABASE_URL, options: `-c search_path=${env.DATABASE_SCHEMA}` });
  await pg.connect();
  try {
    await pg.query('BEGIN');
    let tenants = 0;
    for (const row of (
      await pg.query(`SELECT tenant_id, sealed FROM tenant_secret WHERE sealed IS NOT NULL FOR UPDATE`)
    ).rows as { tenant_id: string; sealed: SealedSecret }[]) {
      const next = cipher.rewrap(row.sealed, `tenant:${row.tenant_id}:admin-password`);
      if (next !== row.sealed) {
        await pg.query(`UPDATE tenant_secret SET sealed = $2::jsonb WHERE tenant_id = $1`, [
          row.tenant_id,
          JSON.stringify(next),
        ]);
        tenants++;
      }
    }
    let sites = 0;
    for (const row of (await pg.query(`SELECT id, credentials FROM site FOR UPDATE`)).rows as {
      id: string;
      credentials: { integrationServer: SealedSecret; ksc: SealedSecret; pushInstall?: SealedSecret };
    }[]) {
      const next = {
        integrationServer: cipher.rewrap(row.credentials.integrationServer, `site:${row.id}:integration-server`),
        ksc: cipher.rewrap(row.credentials.ksc, `site:${row.id}:ksc`),
        ...(row.credentials.pushInstall
          ? { pushInstall: cipher.rewrap(row.credentials.pushInstall, `site:${row.id}:push-install`) }
          : {}),
      };
      if (
        next.integrationServer !== row.credentials.integrationServer ||
        next.ksc !== row.credentials.ksc ||
        next.pushInstall !== row.credentials.pushInstall
      ) {
        await pg.query(`UPDATE site SET credentials = $2::jsonb, updated_at = now() WHERE id = $1`, [
          row.id,
          JSON.stringify(next),
        ]);
        sites++;
      }
    }
    await pg.query('COMMIT');
    return { tenants, sites };
  } catch (e) {
    await pg.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await pg.end();
  }
}

if (require.main === module) {
  const env = loadConfigOrExit('tenant-service:rotate-secrets', RotateEnv);
  rotateSecrets(env)
    .then((n) =>
      process.stdout.write(
        `re-wrapped ${n.tenants} tenant secret(s) and ${n.sites} site credential set(s) with the active master key\n`,
      ),
    )
    .catch((e) => {
      process.stderr.write(`rotation failed, nothing changed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
