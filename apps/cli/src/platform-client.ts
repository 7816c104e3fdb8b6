import { CliConfig } from './cli-config';
import { CliError, ExitCode, exitCodeForStatus } from './cli-error';

/** The platform's error body: `{ error: { code, message, details }, correlationId }`. */
interface PlatformErrorBody {
  error?: { code?: string; message?: string; details?: { fields?: unknown; errors?: unknown } };
  correlationId?: string;
}

/** Field paths of an invalid request, as the platform wrote them. */
function detailLines(details?: { fields?: unknown; errors?: unknown }): string[] {
  const list = [details?.fields, details?.errors].find(Array.isArray) as unknown[] | undefined;
  return (list ?? []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

/** REST calls to the platform with the configured credentials; failures become CliErrors with the platform's own message. */
export class PlatformClient {
  constructor(
    private readonly config: CliConfig,
    private readonly timeoutMs = 15_000,
  ) {}

  get<T>(path: string, service = 'tenant-service'): Promise<T> {
    return this.request<T>('GET', path, undefined, service);
  }

  post<T>(path: string, body?: unknown, service = 'tenant-service'): Promise<T> {
    return this.request<T>('POST', path, body, service);
  }

  /** Like get, but a 404 is `undefined` (used to find which service holds a dead letter). */
  async find<T>(path: string, service: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path, service);
    } catch (e) {
      if (e instanceof CliError && e.status === 404) return undefined;
      throw e;
    }
  }

  async request<T>(method: string, path: string, body: unknown, service: string): Promise<T> {
    const base = this.config.services[service];
    if (!base)
      throw new CliError(
        `no URL configured for ${service} (set TPO_SERVICES or "services" in the config file)`,
        ExitCode.InvalidInput,
        'INVALID_CONFIG',
      );
    if (!this.config.auth)
      throw new CliError(
        'no credentials: set TPO_TOKEN (e.g. $(npm run --silent token -- --role operator)) or TPO_API_KEY, or "token" in the config file',
        ExitCode.Auth,
        'NO_CREDENTIALS',
      );
    const headers: Record<string, string> = {
      accept: 'application/json',
      [this.config.auth.header]: this.config.auth.value,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new CliError(`${service} at ${base} cannot be reached (${cause})`, ExitCode.PlatformError, 'UNREACHABLE');
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) return parsed as T;
    const err = (parsed as PlatformErrorBody | undefined)?.error;
    const message = err?.message ?? `${service} answered ${res.status} ${res.statusText}`;
    throw new CliError(
      message,
      exitCodeForStatus(res.status),
      err?.code ?? `HTTP_${res.status}`,
      detailLines(err?.details),
      res.status,
    );
  }
}
