import { freshness, fresher, mergeLoaded, reflects } from '../../web/src/freshness';
import type { Step, Tenant } from '../../web/src/types';

/** The page's own rules for which of two reads of a tenant it shows (apps/ops-console/web/src/freshness.ts). */
describe('the page keeps the freshest read of a tenant', () => {
  const step = (name: string, status: Step['status'], startedAt?: string, endedAt?: string, attempt = 1): Step => ({
    step: name,
    status,
    attempt,
    startedAt: startedAt ?? null,
    endedAt: endedAt ?? null,
  });
  const tenant = (id: string, updatedAt: string, timeline: Step[], extra: Partial<Tenant> = {}): Tenant => ({
    id,
    name: id,
    siteId: 'site-1',
    status: 'onboarding',
    currentStep: 'activate',
    failure: null,
    createdAt: '2026-12-02T04:00:00.000Z',
    updatedAt,
    readyAt: null,
    vms: {},
    timeline,
    ...extra,
  });
  const running = tenant('t1', '2026-12-02T04:00:01.000Z', [
    step('register-vms', 'succeeded', '2026-12-02T04:00:01.000Z', '2026-12-02T04:00:01.500Z'),
    step('activate', 'running', '2026-12-02T04:00:01.500Z'),
  ]);
  const failed = tenant(
    't1',
    '2026-12-02T04:00:02.000Z',
    [
      step('register-vms', 'succeeded', '2026-12-02T04:00:01.000Z', '2026-12-02T04:00:01.500Z'),
      step('activate', 'failed', '2026-12-02T04:00:01.500Z', '2026-12-02T04:00:02.000Z'),
    ],
    { status: 'failed', failure: { step: 'activate', code: 'KSC_ConnectionLost', message: 'lost' } },
  );

  it("takes the latest of the tenant's own timestamps", () => {
    expect(freshness(running)).toBe('2026-12-02T04:00:01.500Z'); // a step started after the row's last update
    expect(freshness(failed)).toBe('2026-12-02T04:00:02.000Z');
    expect(freshness({ ...running, readyAt: '2026-12-02T05:00:00.000Z' })).toBe('2026-12-02T05:00:00.000Z');
  });

  it('an older answer that arrives last does not replace a newer one; an equal or newer one does', () => {
    expect(fresher(failed, running)).toBe(failed);
    expect(fresher(running, failed)).toBe(failed);
    const again = { ...failed };
    expect(fresher(failed, again)).toBe(again);
    expect(fresher(undefined, running)).toBe(running);
  });

  it('a page load keeps the fresher copy and the tenants re-read while it ran; drops the rest', () => {
    const ordered = tenant('t2', '2026-12-02T04:00:03.000Z', []);
    const gone = tenant('t3', '2026-12-02T04:00:00.000Z', []);
    const held = new Map([
      ['t1', failed],
      ['t2', ordered],
      ['t3', gone],
    ]);
    const next = mergeLoaded(held, [running], new Set(['t1', 't2']));
    expect([...next.keys()].sort()).toEqual(['t1', 't2']);
    expect(next.get('t1')).toBe(failed);
    expect(next.get('t2')).toBe(ordered);
  });

  describe('re-reading until tenant-service has recorded a failed step', () => {
    const event = { type: 'com.tpo.onboarding-step-failed.v1', step: 'activate', attempt: 1 };

    it('a step shown running is not yet the failure the event reports; shown failed, it is', () => {
      expect(reflects(running, event)).toBe(false);
      expect(reflects(failed, event)).toBe(true);
    });

    it('a later attempt already under way answers an older failure; an older failure does not answer a newer one', () => {
      const retried = tenant('t1', '2026-12-02T04:00:05.000Z', [
        step('activate', 'running', '2026-12-02T04:00:05.000Z', undefined, 2),
      ]);
      expect(reflects(retried, event)).toBe(true);
      expect(reflects(failed, { ...event, attempt: 2 })).toBe(false);
    });

    it('other events, and the steps of a lifecycle operation, need no second look', () => {
      expect(reflects(running, { type: 'com.tpo.vms-registered.v1', step: 'register-vms' })).toBe(true);
      expect(reflects(running, { ...event, operation: true })).toBe(true);
      expect(reflects(running, { ...event, step: undefined })).toBe(true);
      expect(reflects(running, { ...event, step: 'handover' })).toBe(true); // no such step in the timeline
    });
  });
});
