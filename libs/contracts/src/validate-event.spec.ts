import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { BackbonePing } from './events/backbone-ping.event';
import { TenantRequested } from './events/onboarding/tenant-requested.event';
import { validateEvent, validateWithClasses } from './validate-event';
import { Throwing } from './validation/throwing-event.fixture';

const envelope = (data: Record<string, unknown>, extra: Record<string, unknown> = {}, type = BackbonePing.type) => ({
  specversion: '1.0',
  id: randomUUID(),
  type,
  source: 'tenant-service',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  correlationid: 'c-1',
  data,
  ...extra,
});

describe('validateEvent', () => {
  const ping = { pingId: randomUUID(), route: ['tenant-service'], hop: 0 };

  it('accepts a valid envelope and returns a typed payload', () => {
    const result = validateEvent(envelope(ping), BackbonePing);
    expect(result.ok).toBe(true);
  });

  it('names the failing payload fields with their paths', () => {
    const result = validateEvent(envelope({ ...ping, pingId: 'nope', route: ['nobody'] }), BackbonePing);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reasons.join('\n')).toMatch(/data\.pingId/);
      expect(result.reasons.join('\n')).toMatch(/data\.route/);
    }
  });

  it('refuses another version of the event on this subject', () => {
    const result = validateEvent(envelope(ping, { type: 'com.tpo.backbone-ping.v2' }), BackbonePing);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reasons.join()).toMatch(/expected com\.tpo\.backbone-ping\.v1/);
  });

  it('refuses envelopes without the CloudEvents attributes', () => {
    const rest: Record<string, unknown> = envelope(ping);
    delete rest.id;
    const result = validateEvent(rest, BackbonePing);
    expect(result.ok).toBe(false);
    expect(validateEvent('a string', BackbonePing).ok).toBe(false);
    expect(validateEvent([1], BackbonePing).ok).toBe(false);
  });

  it('strips properties added by a newer producer (changes inside a version are additive)', () => {
    const result = validateEvent(envelope({ ...ping, addedLater: true }), BackbonePing);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.envelope.data).not.toHaveProperty('addedLater');
  });
});

describe('validateEvent never throws: input that makes a validator throw is invalid, with reasons', () => {
  const order = {
    orderId: 'order-1',
    tenantName: 'Tenant 1',
    adminAccountName: 'adm-1',
  };
  const vm = { biosUuid: randomUUID(), name: 'vm1', osFamily: 'linux', address: '10.0.0.1' };

  it.each([
    ['a number', [1], /^data\.vms\.0: /],
    ['a string', ['vm'], /^data\.vms\.0: /],
    ['null', [null], /^data\.vms\.0: /],
    ['an array', [[1]], /^data\.vms\.0\.0: /],
    ['a VM whose biosUuid is a number', [{ biosUuid: 5 }], /^data\.vms\.0\.biosUuid: /],
    ['a full VM whose biosUuid is a number', [{ ...vm, biosUuid: 5 }], /^data\.vms\.0\.biosUuid: /],
    ['a VM whose biosUuid is an object', [vm, { ...vm, biosUuid: { x: 1 } }], /^data\.vms\.1\.biosUuid: /],
    ['a VM whose biosUuid is an array', [{ ...vm, biosUuid: ['a'] }], /^data\.vms\.0\.biosUuid: /],
  ])('TenantRequested with vms holding %s', (_case, vms, reason) => {
    const raw = envelope({ ...order, vms }, {}, TenantRequested.type);
    let result: ReturnType<typeof validateEvent> | undefined;
    expect(() => (result = validateEvent(structuredClone(raw), TenantRequested))).not.toThrow();
    expect(result).toMatchObject({
      ok: false,
      eventId: raw.id,
      reasons: expect.arrayContaining([expect.stringMatching(reason)]),
    });
    // Only the payload failed: the envelope is handed on, for the @OnInvalidEvent rejection.
    expect(result?.ok === false && result.envelope?.id).toBe(raw.id);
    expect(() => validateWithClasses(structuredClone(raw), TenantRequested)).not.toThrow();
  });

  it('repeated biosUuids are still refused, whatever their case', () => {
    const raw = envelope(
      { ...order, vms: [vm, { ...vm, name: 'vm2', biosUuid: vm.biosUuid.toUpperCase() }] },
      {},
      TenantRequested.type,
    );
    expect(validateEvent(raw, TenantRequested)).toMatchObject({
      ok: false,
      reasons: ['data.vms: vms must not repeat a biosUuid'],
    });
    expect(validateEvent(envelope({ ...order, vms: [vm] }, {}, TenantRequested.type), TenantRequested).ok).toBe(true);
  });

  it('a decorator that throws makes the payload invalid with the exception as reason (both paths), never an exception', () => {
    const raw = envelope({ word: 'boom' }, {}, Throwing.type);
    for (const validate of [validateEvent, validateWithClasses]) {
      const result = validate(structuredClone(raw), Throwing);
      expect(result).toMatchObject({
        ok: false,
        eventId: raw.id,
        reasons: ['data: payload could not be validated: the check blew up'],
        envelope: { id: raw.id },
      });
    }
    expect(validateEvent(envelope({ word: 'fine' }, {}, Throwing.type), Throwing).ok).toBe(true);
  });
});
