import { BackbonePingModule } from './backbone-ping.module';

describe('BackbonePingModule', () => {
  it('disabled: no route, no consumer, no provider', () => {
    const m = BackbonePingModule.forService('svc', { enabled: false });
    expect(m.controllers ?? []).toEqual([]);
    expect(m.providers ?? []).toEqual([]);
  });

  it('enabled: its HTTP and message controllers', () => {
    expect(BackbonePingModule.forService('svc', { enabled: true }).controllers).toHaveLength(2);
  });
});
