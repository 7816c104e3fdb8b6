/** A dependency the service needs before it can take traffic (database, broker, migrations). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with nothing when ready; rejects or returns a reason string when not. */
  check(): Promise<string | void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: boolean; reason?: string }>;
}

export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const reason = await Promise.race([
          c.check(),
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
          }),
        ]);
        return [c.name, reason ? { ok: false, reason } : { ok: true }] as const;
      } catch (e) {
        return [c.name, { ok: false, reason: e instanceof Error ? e.message : String(e) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const map = Object.fromEntries(results);
  return { status: results.every(([, r]) => r.ok) ? 'ready' : 'not_ready', checks: map };
}
