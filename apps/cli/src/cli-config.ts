import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from './cli-error';

/** The five services of the local layout (deploy/local/services.json), used when nothing else is configured. */
export const LOCAL_SERVICE_PORTS: Record<string, number> = {
  'tenant-service': 3101,
  'svm-config-service': 3102,
  'agent-install-service': 3103,
  'registration-service': 3104,
  'activation-service': 3105,
};

export interface CliConfig {
  /** tenant-service: tenants and sites. */
  url: string;
  /** Every service's base URL (dead letters and per-VM step progress live in each service). */
  services: Record<string, string>;
  auth?: { header: 'Authorization' | 'X-API-Key'; value: string };
}

interface ConfigFile {
  url?: string;
  token?: string;
  apiKey?: string;
  services?: Record<string, string>;
}

function readConfigFile(path: string, explicit: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (explicit) throw new CliError(`config file ${path} does not exist`, ExitCode.InvalidInput, 'INVALID_CONFIG');
    return {};
  }
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as ConfigFile;
  } catch (e) {
    throw new CliError(`config file ${path}: ${(e as Error).message}`, ExitCode.InvalidInput, 'INVALID_CONFIG');
  }
}

function parseServices(value: string): Record<string, string> {
  const entries = value
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [name, url] = pair.split('=');
      if (!name || !url)
        throw new CliError(
          'TPO_SERVICES is name=url pairs separated by commas',
          ExitCode.InvalidInput,
          'INVALID_CONFIG',
        );
      return [name.trim(), url.trim()] as const;
    });
  return Object.fromEntries(entries);
}

function checkUrl(url: string, where: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return url.replace(/\/+$/, '');
  } catch {
    throw new CliError(`${where} is not an http(s) URL: ${url}`, ExitCode.InvalidInput, 'INVALID_CONFIG');
  }
}

/**
 * Where the platform is and who we are: flags, then environment (TPO_URL, TPO_TOKEN or
 * TPO_API_KEY, TPO_SERVICES), then the config file (--config, TPO_CONFIG, or
 * ~/.config/tpo/config.json), then the local platform's addresses.
 */
export function resolveConfig(
  flags: { url?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): CliConfig {
  const explicitPath = flags.config ?? env.TPO_CONFIG;
  const path = explicitPath ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'tpo', 'config.json');
  const file = readConfigFile(path, explicitPath !== undefined);
  const url = checkUrl(
    flags.url ?? env.TPO_URL ?? file.url ?? `http://127.0.0.1:${LOCAL_SERVICE_PORTS['tenant-service']}`,
    'the platform URL',
  );
  const host = new URL(url).hostname;
  const local = Object.fromEntries(
    Object.entries(LOCAL_SERVICE_PORTS).map(([name, port]) => [name, `http://${host}:${port}`]),
  );
  const configured = env.TPO_SERVICES ? parseServices(env.TPO_SERVICES) : (file.services ?? {});
  const services = Object.fromEntries(
    Object.entries({ ...local, ...configured, 'tenant-service': url }).map(([name, u]) => [
      name,
      checkUrl(u, `the URL of ${name}`),
    ]),
  );
  const token = env.TPO_TOKEN ?? file.token;
  const apiKey = env.TPO_API_KEY ?? file.apiKey;
  const auth = token
    ? { header: 'Authorization' as const, value: `Bearer ${token.trim()}` }
    : apiKey
      ? { header: 'X-API-Key' as const, value: apiKey.trim() }
      : undefined;
  return { url, services, auth };
}
