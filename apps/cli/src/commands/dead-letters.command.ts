import { Command, Option } from 'commander';
import { CliError, ExitCode } from '../cli-error';
import { table } from '../output';
import { action, CommandContext, positiveInt } from './command-context';

interface DeadLetter {
  id: string;
  consumer: string;
  subject: string;
  eventType: string | null;
  tenantId: string | null;
  reason: string;
  deliveries: number;
  status: string;
  createdAt: string;
  replayedAt: string | null;
  lastReplayError: string | null;
}

/** Dead letters live in each service; `--service` narrows, else every configured service is asked. */
function servicesOf(ctx: CommandContext, service?: string): string[] {
  if (!service) return ctx.services;
  if (!ctx.services.includes(service))
    throw new CliError(
      `unknown service ${service}; configured: ${ctx.services.join(', ')}`,
      ExitCode.InvalidInput,
      'UNKNOWN_SERVICE',
    );
  return [service];
}

export function deadLettersCommand(): Command {
  const letters = new Command('dead-letters').description(
    'events a service could not handle: list, replay after fixing the cause',
  );

  letters
    .command('list')
    .description("every service's dead letters (pending by default)")
    .option('--service <name>', 'only this service')
    .addOption(new Option('--status <status>', 'pending | replayed | discarded | all').default('pending'))
    .option('--limit <n>', 'per service', positiveInt('limit'), 50)
    .action(
      action(async (ctx, o: { service?: string; status: string; limit: number }) => {
        const q = new URLSearchParams({ limit: String(o.limit), ...(o.status === 'all' ? {} : { status: o.status }) });
        const items: (DeadLetter & { service: string })[] = [];
        for (const service of servicesOf(ctx, o.service)) {
          const page = await ctx.client.get<{ items: DeadLetter[] }>(`/v1/dead-letters?${q}`, service);
          items.push(...page.items.map((d) => ({ ...d, service })));
        }
        ctx.out.result({ items }, () => [
          ...table(
            ['id', 'service', 'subject', 'tenant', 'deliveries', 'status', 'reason'],
            items.map((d) => [d.id, d.service, d.subject, d.tenantId, d.deliveries, d.status, d.reason.slice(0, 120)]),
          ),
          `${items.length} dead letter(s)`,
        ]);
      }),
    );

  letters
    .command('replay')
    .description('handle a dead-lettered event once more (operator)')
    .argument('<id>', 'dead letter id')
    .option('--service <name>', 'the service holding it (found automatically otherwise)')
    .action(
      action(async (ctx, id: string, o: { service?: string }) => {
        let holder = o.service;
        if (!holder) {
          for (const service of ctx.services) {
            if (await ctx.client.find(`/v1/dead-letters/${encodeURIComponent(id)}`, service)) {
              holder = service;
              break;
            }
          }
        }
        if (!holder)
          throw new CliError(
            `dead letter ${id} not found in ${ctx.services.join(', ')}`,
            ExitCode.InvalidInput,
            'NOT_FOUND',
          );
        const replayed = await ctx.client.post<DeadLetter>(
          `/v1/dead-letters/${encodeURIComponent(id)}/replay`,
          undefined,
          holder,
        );
        ctx.out.result({ ...replayed, service: holder }, () => [
          `replayed ${id} in ${holder}: ${replayed.status}${replayed.lastReplayError ? ` (${replayed.lastReplayError})` : ''}`,
        ]);
      }),
    );

  return letters;
}
