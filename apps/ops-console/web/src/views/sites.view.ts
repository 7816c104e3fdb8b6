import { Api } from '../api.js';
import { h, replace } from '../dom.js';
import { Page, Site } from '../types.js';

function state(s: Site): string {
  if (!s.enabled) return 'disabled';
  if (!s.kscConfigured) return 'KSC not configured';
  // A site whose last preflight failed takes no new tenants (issue 8).
  if (s.preflight?.status === 'failed') return 'preflight failed';
  return s.eligible ? 'eligible' : 'full';
}

function preflight(p: Site['preflight']): string {
  if (p === null || p === undefined) return 'not run';
  const failed = (p.checks ?? []).filter((c) => c.ok === false || c.status === 'failed');
  return `${p.status ?? p.state ?? '?'}${failed.length ? ` (${failed.map((c) => c.name).join(', ')})` : ''}${p.checkedAt ? ` · ${new Date(p.checkedAt).toLocaleString()}` : ''}`;
}

/** Sites with free virtual Administration Servers, license headroom and (when the platform reports it) preflight state. */
export class SitesView {
  readonly element = h('section', { id: 'sites' });

  constructor(private readonly api: Api) {}

  async load(): Promise<void> {
    const [sites, usage] = await Promise.all([
      this.api.get<Page<Site>>(this.api.svc('tenant-service', '/v1/sites')),
      this.api
        .get<Page<{ siteId: string; usedVms: number }>>(
          this.api.svc('activation-service', '/v1/activations/license-usage'),
        )
        .catch(() => undefined),
    ]);
    const withPreflight = sites.items.some((s) => 'preflight' in s);
    const headroom = (s: Site) => {
      if (!s.license?.maxVms) return 'unlimited';
      if (!usage) return `${s.license.maxVms} licensed`;
      const used = usage.items.find((u) => u.siteId === s.id)?.usedVms ?? 0;
      return `${s.license.maxVms - used} of ${s.license.maxVms} VMs`;
    };
    const head = h(
      'tr',
      {},
      h('th', {}, 'Site'),
      h('th', {}, 'State'),
      h('th', {}, 'Free vAS'),
      h('th', {}, 'License headroom'),
      h('th', {}, 'License expires'),
      withPreflight && h('th', {}, 'Preflight'),
    );
    const rows = sites.items.map((s) =>
      h(
        'tr',
        { 'data-site-id': s.id },
        h('td', {}, h('div', {}, s.name), h('div', { class: 'muted small' }, s.id)),
        h('td', {}, state(s)),
        h('td', {}, `${s.freeVirtualServers} of ${s.maxVirtualServers}`),
        h('td', { 'data-headroom': '' }, headroom(s)),
        h('td', {}, s.license?.expiresAt ? new Date(s.license.expiresAt).toLocaleDateString() : '—'),
        withPreflight &&
          h('td', { 'data-preflight': s.preflight?.status ?? s.preflight?.state ?? 'not-run' }, preflight(s.preflight)),
      ),
    );
    replace(this.element, h('h2', {}, 'Sites'), h('table', {}, h('thead', {}, head), h('tbody', {}, ...rows)));
  }
}
