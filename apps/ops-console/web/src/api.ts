/** An answer of the platform that is not a success, as the platform worded it. */
export class PlatformError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { fields?: unknown; errors?: unknown } };
}

/** Calls the console's API with the signed-in credential; a 401 anywhere sends the user to sign-in. */
export class Api {
  constructor(
    private readonly credential: string,
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  /** A JWT goes as a bearer token, anything else as an API key. */
  headers(): Record<string, string> {
    return this.credential.split('.').length === 3
      ? { authorization: `Bearer ${this.credential}` }
      : { 'x-api-key': this.credential };
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string): Promise<T> {
    return this.request<T>('POST', path);
  }

  /** A service's API through the console's allow-list: `svc('tenant-service', '/v1/tenants')`. */
  svc(service: string, path: string): string {
    return `/api/svc/${encodeURIComponent(service)}${path}`;
  }

  private async request<T>(method: string, path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { accept: 'application/json', ...this.headers() },
        cache: 'no-store',
      });
    } catch {
      throw new PlatformError('the console cannot be reached; check that the platform is running', 0, 'UNREACHABLE');
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok) return body as T;
    const error = (body as ErrorBody | undefined)?.error;
    const list = [error?.details?.fields, error?.details?.errors].find(Array.isArray) as unknown[] | undefined;
    const failure = new PlatformError(
      error?.message ?? `${res.status} ${res.statusText}`,
      res.status,
      error?.code,
      (list ?? []).map(String),
    );
    if (res.status === 401) this.onUnauthorized(failure.message);
    throw failure;
  }
}
