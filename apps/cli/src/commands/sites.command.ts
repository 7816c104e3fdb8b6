import { Command } from 'commander';
import { readJsonObject } from '../json-file';
import { table } from '../output';
import { action } from './command-context';

export interface SiteView {
  id: string;
  name: string;
  enabled: boolean;
  kscConfigured: boolean;
  eligible: boolean;
  maxVirtualServers: number;
  placedTenants: number;
  freeVirtualServers: number;
  license?: { maxVms?: number; expiresAt?: string };
  /** Added by the site preflight (issue 8) when the platform has it. */
  preflight?: {
    status?: string;
    state?: string;
    checkedAt?: string;
    checks?: { name?: string; ok?: boolean; status?: string; message?: string }[];
  } | null;
  usedVms?: number;
}

export function preflightText(p: SiteView['preflight']): string {
  if (p === undefined) return 'n/a';
  if (p === null) return 'never run';
  return `${p.status ?? p.state ?? '?'}${p.checkedAt ? ` (${p.checkedAt})` : ''}`;
}

function headroom(s: SiteView): string {
  if (!s.license?.maxVms) return 'unlimited';
  return s.usedVms === undefined
    ? `${s.license.maxVms} licensed`
    : `${s.license.maxVms - s.usedVms} of ${s.license.maxVms} VMs`;
}

export function sitesCommand(): Command {
  const sites = new Command('sites').description(
    'sites (one KSC + its Integration Server): capacity, license, preflight',
  );

  sites
    .command('list')
    .description('sites with free virtual Administration Servers, license headroom and preflight state')
    .action(
      action(async (ctx) => {
        const { items } = await ctx.client.get<{ items: SiteView[] }>('/v1/sites');
        // License use is counted by activation-service; without it the list still shows the rest.
        const usage = await ctx.client
          .get<{ items: { siteId: string; usedVms: number }[] }>('/v1/activations/license-usage', 'activation-service')
          .catch(() => undefined);
        const withUsage = items.map((s) => ({
          ...s,
          usedVms: usage ? (usage.items.find((u) => u.siteId === s.id)?.usedVms ?? 0) : undefined,
        }));
        ctx.out.result({ items: withUsage }, () =>
          table(
            ['id', 'name', 'state', 'vAS free', 'license headroom', 'preflight'],
            withUsage.map((s) => [
              s.id,
              s.name,
              !s.enabled
                ? 'disabled'
                : !s.kscConfigured
                  ? 'KSC not configured'
                  : s.preflight?.status === 'failed'
                    ? 'preflight failed'
                    : s.eligible
                      ? 'eligible'
                      : 'full',
              `${s.freeVirtualServers}/${s.maxVirtualServers}`,
              headroom(s),
              preflightText(s.preflight),
            ]),
          ),
        );
      }),
    );

  sites
    .command('register')
    .description('register or update a site from a JSON file (the POST /v1/sites body; admin)')
    .argument('<file>', 'site definition, e.g. docs/examples/site.json')
    .action(
      action(async (ctx, file: string) => {
        const site = await ctx.client.post<SiteView>('/v1/sites', readJsonObject(file, 'site'));
        ctx.out.result(site, () => [
          `registered ${site.id} (${site.name}): ${site.freeVirtualServers}/${site.maxVirtualServers} virtual Administration Servers free`,
        ]);
      }),
    );

  sites
    .command('preflight')
    .description("check a site's Integration Server and KSC before placing tenants on it")
    .argument('<id>', 'site id')
    .action(
      action(async (ctx, id: string) => {
        const result = await ctx.client.post<Record<string, unknown>>(`/v1/sites/${encodeURIComponent(id)}/preflight`);
        const checks = Array.isArray(result.checks)
          ? (result.checks as { name?: string; ok?: boolean; status?: string; message?: string }[])
          : [];
        ctx.out.result(result, () => [
          `preflight of ${id}: ${String(result.status ?? result.state ?? 'done')}`,
          ...table(
            ['check', 'result', 'message'],
            checks.map((c) => [
              c.name ?? '',
              c.status ?? (c.ok === undefined ? '' : c.ok ? 'ok' : 'FAILED'),
              c.message ?? '',
            ]),
          ).map((l) => `  ${l}`),
        ]);
      }),
    );

  return sites;
}
