import { Api } from '../api.js';
import { h, replace } from '../dom.js';
import { DeadLetter, Page, Session } from '../types.js';

/** Every service's pending dead letters, with Replay for operators. */
export class DeadLettersView {
  readonly element = h('section', { id: 'dead-letters' });

  constructor(
    private readonly api: Api,
    private readonly session: Session,
    private readonly showError: (e: unknown) => void,
  ) {}

  async load(): Promise<void> {
    const pages = await Promise.all(
      this.session.services.map(async (service) => ({
        service,
        page: await this.api.get<Page<DeadLetter>>(this.api.svc(service, '/v1/dead-letters?status=pending&limit=100')),
      })),
    );
    const letters = pages.flatMap(({ service, page }) => page.items.map((d) => ({ ...d, service })));
    const head = h(
      'tr',
      {},
      h('th', {}, 'Service'),
      h('th', {}, 'Event'),
      h('th', {}, 'Tenant'),
      h('th', {}, 'Reason'),
      h('th', {}, 'Deliveries'),
      h('th', {}, 'Since'),
      h('th', {}, ''),
    );
    const rows = letters.map((d) => {
      let action: HTMLElement | string = '';
      if (this.session.canAct) {
        const button = h('button', { type: 'button', 'data-action': 'replay' }, 'Replay');
        button.addEventListener('click', () => void this.replay(d.service, d.id, button));
        action = button;
      }
      return h(
        'tr',
        { 'data-dead-letter-id': d.id },
        h('td', {}, d.service),
        h('td', {}, d.subject),
        h('td', { class: 'small' }, d.tenantId ?? ''),
        h(
          'td',
          {},
          d.reason,
          d.lastReplayError ? h('div', { class: 'failure small' }, `last replay: ${d.lastReplayError}`) : '',
        ),
        h('td', {}, d.deliveries),
        h('td', {}, new Date(d.createdAt).toLocaleString()),
        h('td', {}, action),
      );
    });
    const body = rows.length
      ? rows
      : [h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No pending dead letters.'))];
    replace(this.element, h('h2', {}, 'Dead letters'), h('table', {}, h('thead', {}, head), h('tbody', {}, ...body)));
  }

  private async replay(service: string, id: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.api.post(this.api.svc(service, `/v1/dead-letters/${id}/replay`));
      await this.load();
    } catch (e) {
      button.disabled = false;
      this.showError(e);
    }
  }
}
