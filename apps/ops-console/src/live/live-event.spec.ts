import { randomUUID } from 'node:crypto';
import { toLiveEvent, visibleTo } from './live-event';

describe('live events', () => {
  const tenantId = randomUUID();
  const envelope = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      type: 'com.tpo.vms-registered.v1',
      time: '2026-11-30T23:00:00.000Z',
      data,
      ...extra,
    });

  it('keeps the type, tenant, site and step, and drops the payload', () => {
    const e = toLiveEvent(
      envelope({
        tenantId,
        siteId: 'site-1',
        step: 'register-vms',
        vms: [{ biosUuid: randomUUID(), address: '10.0.0.1' }],
        password: 'x',
      }),
    );
    expect(e).toEqual({
      type: 'com.tpo.vms-registered.v1',
      tenantId,
      siteId: 'site-1',
      step: 'register-vms',
      time: '2026-11-30T23:00:00.000Z',
    });
  });

  it("keeps a step's attempt and whether the event is an operation's", () => {
    const failed = toLiveEvent(
      envelope(
        { tenantId, step: 'activate', attempt: 2, code: 'X', message: 'm', retryable: true },
        { type: 'com.tpo.onboarding-step-failed.v1', operationid: randomUUID() },
      ),
    );
    expect(failed).toMatchObject({ step: 'activate', attempt: 2, operation: true });
    const plain = toLiveEvent(envelope({ tenantId, step: 'activate', attempt: 1 }));
    expect(plain?.attempt).toBe(1);
    expect(plain?.operation).toBeUndefined();
    for (const attempt of [0, -1, 1.5, '2', Number.MAX_VALUE])
      expect(toLiveEvent(envelope({ tenantId, attempt }))?.attempt).toBeUndefined();
  });

  it('ignores messages about no tenant, malformed JSON and odd field values', () => {
    expect(toLiveEvent(envelope({ orderId: 'o-1' }))).toBeUndefined();
    expect(toLiveEvent('{ nope')).toBeUndefined();
    expect(toLiveEvent('null')).toBeUndefined();
    expect(toLiveEvent(envelope({ tenantId: '<script>' }))).toBeUndefined();
    expect(toLiveEvent(envelope({ tenantId, siteId: '<b>x</b>' }))?.siteId).toBeUndefined();
  });

  it('shows a site-scoped principal only its sites', () => {
    const e = toLiveEvent(envelope({ tenantId, siteId: 'site-2' }))!;
    expect(visibleTo(e, undefined)).toBe(true);
    expect(visibleTo(e, ['site-2'])).toBe(true);
    expect(visibleTo(e, ['site-1'])).toBe(false);
    expect(visibleTo({ ...e, siteId: undefined }, ['site-2'])).toBe(false);
  });
});
