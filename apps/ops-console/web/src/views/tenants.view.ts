import { Api, PlatformError } from '../api.js';
import { fresher, mergeLoaded, reflects } from '../freshness.js';
import { elapsed, h, replace } from '../dom.js';
import type { LiveEvent } from '../live.js';
import { Session, Tenant } from '../types.js';

const STEPS = ['create-tenant', 'configure-svm', 'install-agents', 'register-vms', 'activate', 'handover'];
const MARK: Record<string, string> = { pending: '·', running: '▶', succeeded: '✓', failed: '✗' };
const FIRST_REREAD_MS = 150;
const MAX_REREAD_DELAY_MS = 5_000;
const MAX_REREADS = 10;

/**
 * Tenants in flight (onboarding and failed, plus the latest ready ones): each step's state and
 * elapsed time, the failure with its reason, and Retry for operators. Rows update from live events.
 */
export class TenantsView {
  readonly element = h('section', { id: 'tenants' });
  private readonly tenants = new Map<string, Tenant>();
  private readonly pending = new Map<string, { timer: number; due: number }>();
  /** Live events whose effect a re-read has not shown yet, per tenant. */
  private readonly awaited = new Map<string, LiveEvent[]>();
  /** For each page load under way, the tenants a live event re-read meanwhile. */
  private readonly loadsRunning = new Set<Set<string>>();
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
    for (const { timer } of this.pending.values()) window.clearTimeout(timer);
  }

  async load(): Promise<void> {
    // Loads may overlap (sign-in, then the live stream's connect); each keeps its own record.
    const readDuringLoad = new Set<string>();
    this.loadsRunning.add(readDuringLoad);
    try {
      await this.loadInto(readDuringLoad);
    } finally {
      this.loadsRunning.delete(readDuringLoad);
    }
  }

  private async loadInto(readDuringLoad: Set<string>): Promise<void> {
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
    const next = mergeLoaded(this.tenants, details, readDuringLoad);
    this.tenants.clear();
    for (const [id, t] of next) this.tenants.set(id, t);
    this.render();
  }

  /**
   * A live event about a tenant: re-read it (coalescing bursts of events). Until the re-read shows
   * what `event` says (`reflects`), read again with backoff (0.15 s doubling to 5 s, ten reads, ~30 s).
   */
  changed(tenantId: string, event?: LiveEvent): void {
    if (event && !event.operation) this.awaited.set(tenantId, [...(this.awaited.get(tenantId) ?? []), event]);
    this.reread(tenantId, FIRST_REREAD_MS, 0);
  }

  private reread(tenantId: string, delayMs: number, tries: number): void {
    const due = Date.now() + delayMs;
    const scheduled = this.pending.get(tenantId);
    if (scheduled) {
      if (scheduled.due <= due) return;
      window.clearTimeout(scheduled.timer); // a new event: read sooner than the backoff had planned
    }
    const timer = window.setTimeout(() => {
      this.pending.delete(tenantId);
      this.api
        .get<Tenant>(this.api.svc('tenant-service', `/v1/tenants/${tenantId}`))
        .then((t) => {
          // An answer can come after a fresher one (a page load's): keep the fresher.
          const held = fresher(this.tenants.get(t.id), t);
          this.tenants.set(t.id, held);
          for (const running of this.loadsRunning) running.add(t.id);
          this.render();
          const waiting = (this.awaited.get(tenantId) ?? []).filter((e) => !reflects(held, e));
          if (waiting.length === 0 || tries + 1 >= MAX_REREADS) return this.awaited.delete(tenantId);
          this.awaited.set(tenantId, waiting);
          this.reread(tenantId, Math.min(delayMs * 2, MAX_REREAD_DELAY_MS), tries + 1);
        })
        .catch((e: unknown) => {
          this.awaited.delete(tenantId);
          if (!(e instanceof PlatformError && e.status === 404)) this.showError(e);
        });
    }, delayMs);
    this.pending.set(tenantId, { timer, due });
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
