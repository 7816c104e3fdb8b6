import { CliError, ExitCode } from '../cli-error';
import { Handover } from '../tenant-view';
import { BarRenderer, LineRenderer, vmText } from '../watch/progress-renderer';
import { WatchSnapshot, watchTenant } from '../watch/tenant-watch';
import { CommandContext } from './command-context';
import { handoverLines } from './tenant-lines';

/**
 * `--watch`: progress per step until the tenant is ready (exit 0, with the handover) or a step
 * fails (exit 3, with the step's code and message).
 */
export async function followTenant(
  ctx: CommandContext,
  id: string,
  o: { reveal: boolean; timeout: number },
): Promise<ExitCode> {
  const renderer = ctx.out.json
    ? undefined
    : process.stderr.isTTY
      ? new BarRenderer()
      : new LineRenderer((l) => ctx.out.note(l));
  let last: WatchSnapshot;
  try {
    last = await watchTenant(ctx.client, id, (s) => renderer?.update(s), { timeoutMs: o.timeout * 1000 });
  } finally {
    renderer?.stop();
  }
  const t = last.tenant;
  if (t.status === 'failed') {
    const f = t.failure;
    const result = { tenant: t, vms: last.vms, exitCode: ExitCode.FailedStep };
    if (ctx.out.json) ctx.out.result(result, () => []);
    else
      ctx.out.note(
        `Failed at ${f?.step}: ${f?.code}: ${f?.message}${f?.retryable ? `\nRetry once the cause is fixed: npx tpo tenants retry ${t.id} --watch` : ''}`,
      );
    return ExitCode.FailedStep;
  }
  let handover: Handover | undefined;
  let handoverNote: string | undefined;
  if (o.reveal) {
    try {
      handover = await ctx.client.post<Handover>(`/v1/tenants/${t.id}/credentials/reveal`);
    } catch (e) {
      if (!(e instanceof CliError) || e.exitCode === ExitCode.PlatformError) throw e;
      handoverNote = `initial password not shown: ${e.message}`;
    }
  }
  ctx.out.result(
    { tenant: t, vms: last.vms, handover: handover ?? null, ...(handoverNote ? { note: handoverNote } : {}) },
    () => [
      `${t.name} is ready (${t.id}); ${Object.entries(last.vms)
        .map(([step, c]) => `${step}: ${vmText(c)}`)
        .join('; ')}`,
      ...(handover
        ? handoverLines(handover)
        : [
            `  virtual Administration Server  ${t.virtualAdministrationServer?.connectionString ?? '?'}`,
            `  admin account                  ${t.adminAccountName}`,
            ...(handoverNote ? [`  ${handoverNote}`] : []),
          ]),
    ],
  );
  return ExitCode.Done;
}
