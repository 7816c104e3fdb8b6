import { Command } from 'commander';
import { readJsonObject } from '../json-file';
import { table } from '../output';
import { Handover, TenantDetail, TenantSummary } from '../tenant-view';
import { action, positiveInt } from './command-context';
import { followTenant } from './follow-tenant';
import { detailLines, handoverLines } from './tenant-lines';

export function tenantsCommand(): Command {
  const tenants = new Command('tenants').description('order, follow, retry and hand over tenants');

  tenants
    .command('order')
    .description('order a tenant from a JSON file (the POST /v1/tenants body; "-" reads stdin)')
    .argument('<file>', 'onboarding order, e.g. docs/examples/tenant-order.json')
    .option('--watch', 'follow every step to the end, then reveal the handover')
    .option('--no-reveal', 'with --watch: do not reveal the initial password at the end')
    .option('--timeout <seconds>', 'with --watch: give up following after this long', positiveInt('timeout'), 600)
    .action(
      action(async (ctx, file: string, o: { watch?: boolean; reveal: boolean; timeout: number }) => {
        const order = readJsonObject(file, 'order');
        const accepted = await ctx.client.post<TenantSummary>('/v1/tenants', order);
        if (!o.watch) {
          ctx.out.result(accepted, () => [
            `${accepted.duplicate ? 'already ordered' : 'ordered'}: ${accepted.name} (${accepted.id}), status ${accepted.status}, site ${accepted.siteId}`,
          ]);
          return;
        }
        ctx.out.note(
          `${accepted.duplicate ? 'Already ordered' : 'Ordered'}: ${accepted.name} (${accepted.id}) on ${accepted.siteId}`,
        );
        return followTenant(ctx, accepted.id, o);
      }),
    );

  tenants
    .command('list')
    .description('tenants, newest first')
    .option('--status <status>', 'onboarding | failed | ready')
    .option('--site <siteId>', 'only this site')
    .option('--limit <n>', 'page size', positiveInt('limit'), 50)
    .option('--offset <n>', 'skip this many', (v) => Number(v), 0)
    .action(
      action(async (ctx, o: { status?: string; site?: string; limit: number; offset: number }) => {
        const q = new URLSearchParams({
          limit: String(o.limit),
          offset: String(o.offset),
          ...(o.status ? { status: o.status } : {}),
          ...(o.site ? { siteId: o.site } : {}),
        });
        const page = await ctx.client.get<{ items: TenantSummary[]; total: number }>(`/v1/tenants?${q}`);
        ctx.out.result(page, () => [
          ...table(
            ['id', 'name', 'site', 'status', 'step', 'failure'],
            page.items.map((t) => [
              t.id,
              t.name,
              t.siteId,
              t.status,
              t.currentStep,
              t.failure ? `${t.failure.code}: ${t.failure.message}` : '',
            ]),
          ),
          `${page.items.length} of ${page.total}`,
        ]);
      }),
    );

  tenants
    .command('show')
    .description("a tenant's steps, VMs and failure")
    .argument('<id>', 'tenant id')
    .action(
      action(async (ctx, id: string) => {
        const t = await ctx.client.get<TenantDetail>(`/v1/tenants/${encodeURIComponent(id)}`);
        ctx.out.result(t, () => detailLines(t));
      }),
    );

  tenants
    .command('retry')
    .description('resume a failed tenant at its failed step (operator)')
    .argument('<id>', 'tenant id')
    .option('--watch', 'follow the retried steps to the end')
    .option('--no-reveal', 'with --watch: do not reveal the initial password at the end')
    .option('--timeout <seconds>', 'with --watch: give up following after this long', positiveInt('timeout'), 600)
    .action(
      action(async (ctx, id: string, o: { watch?: boolean; reveal: boolean; timeout: number }) => {
        const t = await ctx.client.post<TenantSummary>(`/v1/tenants/${encodeURIComponent(id)}/retry`);
        if (!o.watch) return ctx.out.result(t, () => [`retrying ${t.name} (${t.id}) at ${t.currentStep}`]);
        ctx.out.note(`Retrying ${t.name} (${t.id}) at ${t.currentStep}`);
        return followTenant(ctx, t.id, o);
      }),
    );

  tenants
    .command('reveal')
    .description('show the initial admin password once (admin; audited)')
    .argument('<id>', 'tenant id')
    .action(
      action(async (ctx, id: string) => {
        const h = await ctx.client.post<Handover>(`/v1/tenants/${encodeURIComponent(id)}/credentials/reveal`);
        ctx.out.result(h, () => handoverLines(h));
      }),
    );

  return tenants;
}
