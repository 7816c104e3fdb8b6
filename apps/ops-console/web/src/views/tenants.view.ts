import { Api, PlatformError } from '../api.js';
import { elapsed, h, replace } from '../dom.js';
import { Session, Tenant } from '../types.js';

const STEPS = ['create-tenant', 'configure-svm', 'install-agents', 'register-vms', 'activate', 'handover'];
const MARK: Record<string, string> = { pending: '·', running: '▶', succeeded: '✓', failed: '✗' };

/**
 * Tenants in flight (onboarding and failed, plus the latest ready ones): each step's state and
 * elapsed time, the failure with its reason, and Retry for operators. Rows update from live events.
 */
export class TenantsView {
  readonly element = h('section', { id: 'tenants' });
  private readonly tenants = new Map<string, Tenant>();
  private readonly pending = new Map<string, number>();
  private readonly body = h('tbody');
  private readonly ticker: number;

  constructor(
    private readonly api: Api,
    private readonly session: Session,
    private readonly showError: (e: unknown) => void,
  ) {
    const head = h(
      'tr',
      {},
      h('th', {}, 'Tenant'),
      h('th', {}, 'Site'),
      h('th', {}, 'Status'),
      ...STEPS.map((s) => h('th', { class: 'step' }, s)),
      h('th', {}, 'Failure'),
      h('th', {}, ''),
    );
    replace(this.element, h('h2', {}, 'Tenants in flight'), h('table', {}, h('thead', {}, head), this.body));
    this.ticker = window.setInterval(() => this.tick(), 1000);
  }

  dispose(): void {
    window.clearInterval(this.ticker);
    for (const timer of this.pending.values()) window.clearTimeout(timer);
  }

  async load(): Promise<void> {
    const list = (q: string) =>
      this.api.get<{ items: { id: string }[] }>(this.api.svc('tenant-service', `/v1/tenants?${q}`));
    const pages = await Promise.all([
      list('status=onboarding&limit=100'),
      list('status=failed&limit=100'),
      list('limit=10'),
    ]);
    const ids = [...new Set(pages.flatMap((p) => p.items.map((t) => t.id)))];
    const details = await Promise.all(
      ids.map((id) => this.api.get<Tenant>(this.api.svc('tenant-service', `/v1/tenants/${id}`))),
    );
    this.tenants.clear();
    for (const t of details) this.tenants.set(t.id, t);
    this.render();
  }

  /** A live event about a tenant: re-read it (coalescing bursts of events). */
  changed(tenantId: string): void {
    if (this.pending.has(tenantId)) return;
    this.pending.set(
      tenantId,
      window.setTimeout(() => {
        this.pending.delete(tenantId);
        this.api
          .get<Tenant>(this.api.svc('tenant-service', `/v1/tenants/${tenantId}`))
          .then((t) => {
            this.tenants.set(t.id, t);
            this.render();
          })
          .catch((e: unknown) => {
            if (!(e instanceof PlatformError && e.status === 404)) this.showError(e);
          });
      }, 150),
    );
  }

  private async retry(t: Tenant, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const summary = await this.api.post<Tenant>(this.api.svc('tenant-service', `/v1/tenants/${t.id}/retry`));
      this.tenants.set(t.id, { ...t, status: summary.status, failure: null });
      this.changed(t.id);
    } catch (e) {
      button.disabled = false;
      this.showError(e);
    }
  }

  private render(): void {
    const rows = [...this.tenants.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    if (rows.length === 0)
      return replace(
        this.body,
        h('tr', {}, h('td', { colspan: String(STEPS.length + 5), class: 'muted' }, 'No tenants yet.')),
      );
    replace(this.body, ...rows.map((t) => this.row(t)));
  }

  private row(t: Tenant): HTMLTableRowElement {
    const cells = STEPS.map((name) => {
      const s = t.timeline.find((x) => x.step === name);
      const status = s?.status ?? 'pending';
      const time = h(
        'span',
        { class: 'elapsed', 'data-started': status === 'running' ? (s?.startedAt ?? undefined) : undefined },
        elapsed(s?.startedAt, status === 'running' ? null : s?.endedAt),
      );
      return h(
        'td',
        {
          class: `step ${status}`,
          'data-step': name,
          'data-step-status': status,
          title: s?.errorCode ? `${s.errorCode}: ${s.errorMessage}` : status,
        },
        `${MARK[status]} `,
        time,
      );
    });
    const failure = t.failure
      ? h('span', { class: 'failure' }, h('b', {}, t.failure.code), `: ${t.failure.message} (at ${t.failure.step})`)
      : '';
    let action: HTMLElement | string = '';
    if (t.status === 'failed' && this.session.canAct) {
      const button = h('button', { type: 'button', 'data-action': 'retry' }, 'Retry');
      button.addEventListener('click', () => void this.retry(t, button));
      action = button;
    }
    return h(
      'tr',
      { 'data-tenant-id': t.id, 'data-status': t.status },
      h('td', {}, h('div', {}, t.name), h('div', { class: 'muted small' }, t.id)),
      h('td', {}, t.siteId),
      h('td', {}, h('span', { class: `badge ${t.status}` }, t.status)),
      ...cells,
      h('td', {}, failure),
      h('td', {}, action),
    );
  }

  /** Running steps' elapsed time moves on every second. */
  private tick(): void {
    this.element
      .querySelectorAll<HTMLElement>('[data-started]')
      .forEach((el) => (el.textContent = elapsed(el.dataset.started)));
  }
}
