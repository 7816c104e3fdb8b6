import { randomUUID } from 'node:crypto';
import { BackbonePing } from './events/backbone-ping.event';
import { validateEvent } from './validate-event';

const envelope = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: randomUUID(),
  type: BackbonePing.type,
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
