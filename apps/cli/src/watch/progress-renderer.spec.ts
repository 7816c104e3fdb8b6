import { TenantDetail } from '../tenant-view';
import { LineRenderer, vmText } from './progress-renderer';

const tenant = (timeline: TenantDetail['timeline']): TenantDetail =>
  ({
    id: 't',
    name: 'Acme',
    status: 'onboarding',
    currentStep: 'install-agents',
    timeline,
    vms: {},
    initialAdminPassword: { state: 'not-created' },
  }) as unknown as TenantDetail;

describe('LineRenderer', () => {
  it('prints one line per step state or VM count change, never the same line twice', () => {
    const lines: string[] = [];
    const r = new LineRenderer((l) => lines.push(l));
    const done = {
      step: 'create-tenant',
      status: 'succeeded' as const,
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.500Z',
    };
    const running = { step: 'install-agents', status: 'running' as const, startedAt: '2026-01-01T00:00:02.000Z' };
    r.update({
      tenant: tenant([done, running, { step: 'handover', status: 'pending' }]),
      vms: { 'install-agents': { total: 3, succeeded: 1, failed: 0, inProgress: 2 } },
    });
    r.update({
      tenant: tenant([done, running, { step: 'handover', status: 'pending' }]),
      vms: { 'install-agents': { total: 3, succeeded: 1, failed: 0, inProgress: 2 } },
    });
    r.update({
      tenant: tenant([
        done,
        { ...running, status: 'failed', endedAt: '2026-01-01T00:00:05.000Z', errorCode: 'KSC_X', errorMessage: 'boom' },
        { step: 'handover', status: 'pending' },
      ]),
      vms: { 'install-agents': { total: 3, succeeded: 2, failed: 1, inProgress: 0 } },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^\[1\/3\] create-tenant\s+done\s+1\.5 s$/),
      expect.stringMatching(/^\[2\/3\] install-agents\s+running\s+VMs 1\/3 done, 2 in progress$/),
      expect.stringMatching(/^\[2\/3\] install-agents\s+FAILED\s+VMs 2\/3 done, 1 failed\s+3\.0 s {2}KSC_X: boom$/),
    ]);
  });

  it('shows no VM text for steps without per-VM states', () => {
    expect(vmText(undefined)).toBe('');
  });
});
