import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { serviceKeyOf } from '@tpo/site-directory';

export interface ServiceLayout {
  name: string;
  port: number;
  schema: string;
  role: string;
  password: string;
}

export interface LocalLayout {
  database: string;
  services: ServiceLayout[];
  pgHost: string;
  pgPort: number;
  natsUrl: string;
  adminUrl: string;
}

/** The workspace root (holds nx.json), found from source (tools/) or compiled (dist/tools/) files. */
export const ROOT_DIR = (() => {
  let dir = __dirname;
  while (!existsSync(resolve(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('workspace root (nx.json) not found');
    dir = parent;
  }
  return dir;
})();

function adminUrl(host: string, port: number): string {
  if (process.env.TPO_PG_ADMIN_URL) return process.env.TPO_PG_ADMIN_URL;
  try {
    const pw = readFileSync(resolve(ROOT_DIR, '.local', 'pg-admin-password'), 'utf8').trim();
    return `postgres://postgres:${encodeURIComponent(pw)}@${host}:${port}/postgres`;
  } catch {
    return `postgres://postgres@${host}:${port}/postgres`;
  }
}

/** `TPO_DB_PASSWORD_TENANT_SERVICE` for `tenant-service`. */
export function dbPasswordVariableOf(service: string): string {
  return `TPO_DB_PASSWORD_${service.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/** The role's password from TPO_DB_PASSWORD_<SERVICE>; services.json's local one only outside production. */
function rolePassword(service: string, localDefault: string): string {
  const fromEnv = process.env[dbPasswordVariableOf(service)];
  if (fromEnv) return fromEnv;
  if (process.env.NODE_ENV === 'production')
    throw new Error(
      `${dbPasswordVariableOf(service)} is required in production (the local development password is never used there)`,
    );
  return localDefault;
}

/** deploy/local/services.json plus the TPO_* overrides; shared by bootstrap, start and tests. */
export function loadLocalLayout(overrides: { database?: string } = {}): LocalLayout {
  const raw = JSON.parse(readFileSync(resolve(ROOT_DIR, 'deploy', 'local', 'services.json'), 'utf8')) as {
    database: string;
    services: Record<string, Omit<ServiceLayout, 'name'>>;
  };
  const pgHost = process.env.TPO_PG_HOST ?? '127.0.0.1';
  const pgPort = Number(process.env.TPO_PG_PORT ?? 5432);
  return {
    database: overrides.database ?? process.env.TPO_DATABASE ?? raw.database,
    // A deployment passes each role's password as TPO_DB_PASSWORD_<SERVICE> (e.g. from a Kubernetes Secret)
    services: Object.entries(raw.services).map(([name, s]) => ({
      name,
      ...s,
      password: rolePassword(name, s.password),
    })),
    pgHost,
    pgPort,
    natsUrl:
      process.env.TPO_NATS_URL ??
      `nats://${process.env.TPO_NATS_HOST ?? '127.0.0.1'}:${process.env.TPO_NATS_PORT ?? 4222}`,
    adminUrl: adminUrl(pgHost, pgPort),
  };
}

export function databaseUrlOf(layout: LocalLayout, s: ServiceLayout): string {
  return `postgres://${s.role}:${encodeURIComponent(s.password)}@${layout.pgHost}:${layout.pgPort}/${layout.database}`;
}

/** The env a service process needs, from the local layout. */
export function serviceEnv(
  layout: LocalLayout,
  s: ServiceLayout,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HTTP_PORT: String(s.port),
    DATABASE_URL: databaseUrlOf(layout, s),
    DATABASE_SCHEMA: s.schema,
    NATS_URL: layout.natsUrl,
    ...serviceExtraEnv(s, layout),
    ...extra,
  };
}

/**
 * Secrets for a local platform, generated once per checkout into .local/dev-secrets.json
 * (git-ignored, mode 600): the envelope master key, the internal service token and the
 * simulator's account passwords. A deployment supplies its own through the same variables.
 */
export interface DevSecrets {
  masterKeys: string;
  /** HS256 secret for admin bearer tokens (`npm run token` mints them). */
  jwtSecret: string;
  internalToken: string;
  simulatorIsPassword: string;
  simulatorKscPassword: string;
  /** The push-install account's password the simulated VMs accept (and the demo sites register, sealed). */
  simulatorPushInstallPassword: string;
}

export function devSecrets(): DevSecrets {
  const file = resolve(ROOT_DIR, '.local', 'dev-secrets.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>) : {};
  if (existing.masterKeys && existing.jwtSecret && existing.simulatorPushInstallPassword) return existing as DevSecrets;
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    ...existing,
    masterKeys: existing.masterKeys ?? `dev1:${randomBytes(32).toString('base64')}`,
    internalToken: existing.internalToken ?? randomBytes(24).toString('base64url'),
    simulatorIsPassword: existing.simulatorIsPassword ?? randomBytes(18).toString('base64url'),
    simulatorKscPassword: existing.simulatorKscPassword ?? randomBytes(18).toString('base64url'),
    simulatorPushInstallPassword: existing.simulatorPushInstallPassword ?? randomBytes(18).toString('base64url'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Service-specific variables for local runs (tenant-service holds the site registry and secrets). */
export function serviceExtraEnv(s: ServiceLayout, layout: LocalLayout, secrets = devSecrets()): Record<string, string> {
  const tenant = layout.services.find((x) => x.name === 'tenant-service');
  const auth = { AUTH_JWT_SECRET: secrets.jwtSecret };
  if (s.name === 'tenant-service')
    return { ...auth, SECRETS_MASTER_KEYS: secrets.masterKeys, INTERNAL_API_TOKEN: secrets.internalToken };
  // Each step service gets only its own key for the internal API, never tenant-service's master secret.
  return {
    ...auth,
    SITE_DIRECTORY_URL: `http://127.0.0.1:${tenant?.port ?? 3101}`,
    INTERNAL_API_KEY: serviceKeyOf(secrets.internalToken, s.name),
  };
}
