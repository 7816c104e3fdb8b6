import { Request, Response } from 'express';

/**
 * Fault injection for one site, set from the config file at start and changed at run time through
 * the admin API (`PUT /sites/:id/faults`). Method names are the operation names counted by the
 * simulator: Integration Server `CreateTenant`, `GetTask`, … and KSC `VServers.AddVServerInfo`, ….
 */
export interface FaultConfig {
  /** Added latency per method (ms); `*` applies to every method. */
  latencyMs: Record<string, number>;
  /** Probability (0..1) of answering 500 instead of handling, per method or `*`. */
  errorRate: Record<string, number>;
  /**
   * The next N requests (optionally only of these methods) fail with this status (e.g. 503). With
   * `code`, the answer is the Integration Server's error document carrying that vendor code; with
   * `echoRequest`, its message quotes the request body, as some servers do (secret-leak tests).
   */
  failNext: { remaining: number; status: number; methods?: string[]; code?: string; echoRequest?: boolean };
  /** The next N requests (any method) get 429 with this Retry-After (seconds). */
  burst429: { remaining: number; retryAfterSeconds: number };
  /** The next N requests have their connection destroyed without an answer. */
  resetNext: number;
  /** The next N requests (optionally only of these methods) never get an answer. */
  hang: { remaining: number; methods?: string[] };
  /**
   * The next N requests (optionally only of these methods) are handled — the server acts — but the
   * answer is held back for `ms`: the window in which a client crash leaves an effect it never saw.
   */
  holdAnswer: { remaining: number; ms: number; methods?: string[] };
  /** Async tasks of this type end Failed with this code (consumed once per task if `remaining` set). */
  taskFailures: Record<string, { code: string; message?: string; remaining?: number }>;
  /** How long an async task of this type runs (ms); `*` for all. */
  taskDurationsMs: Record<string, number>;
  /** The Integration Server's clock relative to ours (ms, negative = behind): task timestamps carry it. */
  clockSkewMs?: number;
  /** KSC tasks: hosts (by display name, BIOS id or host id) whose install/reconnection fails. */
  failingHosts: string[];
  /**
   * Remote Installation faults per device (keyed by IP address, display name, BIOS id or host id):
   * `unreachable` (offline or firewalled), `access-denied` (push account refused), `reboot-required`
   * (installed, restart pending: a warning unless the task's reboot options restart it).
   */
  hostFaults: Record<string, HostFault>;
}

export const HOST_FAULTS = ['unreachable', 'access-denied', 'reboot-required'] as const;
export type HostFault = (typeof HOST_FAULTS)[number];

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function defaultFaults(): FaultConfig {
  return {
    latencyMs: {},
    errorRate: {},
    failNext: { remaining: 0, status: 503 },
    burst429: { remaining: 0, retryAfterSeconds: 1 },
    resetNext: 0,
    hang: { remaining: 0 },
    holdAnswer: { remaining: 0, ms: 0 },
    taskFailures: {},
    taskDurationsMs: { '*': 50 },
    failingHosts: [],
    hostFaults: {},
  };
}

export class FaultController {
  private config: FaultConfig = defaultFaults();
  private readonly hanging = new Set<Response>();

  constructor(initial?: Partial<FaultConfig>) {
    if (initial) this.merge(initial);
  }

  get current(): FaultConfig {
    return this.config;
  }

  replace(next: Partial<FaultConfig>): void {
    this.config = { ...defaultFaults(), ...next };
  }

  merge(patch: Partial<FaultConfig>): void {
    this.config = { ...this.config, ...patch };
  }

  /**
   * True when no request-level fault is set (latency, errors, 429s, resets, hangs, held answers):
   * `apply` would pass every request through untouched, so a listener may skip it.
   */
  get passesRequests(): boolean {
    const c = this.config;
    return (
      Object.values(c.latencyMs).every((v) => !(v > 0)) &&
      Object.values(c.errorRate).every((v) => !(v > 0)) &&
      !(c.failNext.remaining > 0) &&
      !(c.burst429.remaining > 0) &&
      !(c.resetNext > 0) &&
      !(c.hang.remaining > 0) &&
      !(c.holdAnswer.remaining > 0)
    );
  }

  taskDuration(type: string): number {
    return this.config.taskDurationsMs[type] ?? this.config.taskDurationsMs['*'] ?? 50;
  }

  /** Returns the failure to apply to a new task of `type`, consuming it when counted. */
  takeTaskFailure(type: string): { code: string; message: string } | undefined {
    const f = this.config.taskFailures[type];
    if (!f) return undefined;
    if (f.remaining !== undefined) {
      if (f.remaining <= 0) return undefined;
      f.remaining--;
    }
    return { code: f.code, message: f.message ?? `Simulated failure of ${type}` };
  }

  hostFault(...keys: (string | undefined)[]): HostFault | undefined {
    for (const k of keys) if (k !== undefined && this.config.hostFaults?.[k]) return this.config.hostFaults[k];
    return undefined;
  }

  isFailingHost(...keys: (string | undefined)[]): boolean {
    return keys.some((k) => k !== undefined && this.config.failingHosts.includes(k));
  }

  /**
   * Applies request-level faults. Returns true when the request was answered (or dropped) here
   * and must not be handled.
   */
  async apply(method: string, req: Request, res: Response): Promise<boolean> {
    const c = this.config;
    const latency = c.latencyMs[method] ?? c.latencyMs['*'] ?? 0;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (c.resetNext > 0) {
      c.resetNext--;
      req.socket.destroy();
      return true;
    }
    if (c.hang.remaining > 0 && (!c.hang.methods || c.hang.methods.includes(method))) {
      c.hang.remaining--;
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return true; // never answered; the client's timeout must fire
    }
    if (c.holdAnswer.remaining > 0 && (!c.holdAnswer.methods || c.holdAnswer.methods.includes(method))) {
      c.holdAnswer.remaining--;
      const ms = c.holdAnswer.ms;
      const end = res.end.bind(res) as (...a: unknown[]) => Response;
      // Handled normally below; only the bytes of the answer wait.
      res.end = ((...args: unknown[]) => {
        setTimeout(() => end(...args), ms);
        return res;
      }) as Response['end'];
    }
    if (c.burst429.remaining > 0) {
      c.burst429.remaining--;
      res.status(429).setHeader('Retry-After', String(c.burst429.retryAfterSeconds));
      res.type('text/plain').send('Too Many Requests');
      return true;
    }
    if (c.failNext.remaining > 0 && (!c.failNext.methods || c.failNext.methods.includes(method))) {
      c.failNext.remaining--;
      if (c.failNext.code === undefined && !c.failNext.echoRequest) {
        res.status(c.failNext.status).type('text/plain').send('Simulated failure');
        return true;
      }
      const echoed = c.failNext.echoRequest && typeof req.body === 'string' ? ` Request: ${req.body}` : '';
      const code = c.failNext.code ? `<code>${xmlEscape(c.failNext.code)}</code>` : '';
      res.status(c.failNext.status).type('application/xml; charset=utf-8');
      res.send(
        `<?xml version="1.0" encoding="utf-8"?><error>${code}<message>${xmlEscape(`Simulated rejection.${echoed}`)}</message></error>`,
      );
      return true;
    }
    const rate = c.errorRate[method] ?? c.errorRate['*'] ?? 0;
    if (rate > 0 && Math.random() < rate) {
      res.status(500).type('text/plain').send('Simulated internal error');
      return true;
    }
    return false;
  }

  /** Drops hanging requests (on shutdown). */
  releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }
}
