import { randomUUID } from 'node:crypto';
import { EventEnvelope, OnboardingStep, TenantActivatedV1, VmsRegisteredV1 } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import pino from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { OperationProgressUseCase } from '../../operations/use-cases/operation-progress.use-case';
import { SiteRepository } from '../../sites/site.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { RecordProgressUseCase } from './record-progress.use-case';

/** In-memory stand-ins for the repositories (the real ones run in the end-to-end suite). */
function setup(currentStep: OnboardingStep) {
  const tenant = {
    id: randomUUID(),
    siteId: 'site-1',
    orderId: 'o-1',
    name: 'Acme',
    adminAccountName: 'acme-admin',
    status: 'onboarding',
    currentStep,
    request: { vms: [{}, {}] },
    vmSummary: null,
    virtualServerName: 'Acme',
  } as unknown as TenantRecord;
  const steps = new Map<string, string>();
  const emitted: string[] = [];
  const tenants = {
    findById: async () => tenant,
    stepSucceeded: async (_id: string, step: string) => void steps.set(step, 'succeeded'),
    stepStarted: async (_id: string, step: string) => void steps.set(step, 'running'),
    update: async (_id: string, patch: Partial<TenantRecord>) => void Object.assign(tenant, patch),
  } as unknown as TenantRepository;
  const useCase = new RecordProgressUseCase(
    tenants,
    { startRevealWindow: async () => undefined } as unknown as TenantSecretRepository,
    { emit: async (d: { name: string }) => void emitted.push(d.name) } as unknown as OutboxWriter,
    {
      findById: async () => ({
        connection: { ksc: { publicAddress: 'ksc.example', url: 'https://ksc.example:13299' } },
      }),
    } as unknown as SiteRepository,
    { succeeded: async () => undefined, failed: async () => undefined } as unknown as OnboardOperation,
    {} as OperationProgressUseCase,
    { PASSWORD_REVEAL_TTL_HOURS: 72 } as TenantServiceEnv,
    pino({ level: 'silent' }),
  );
  return { tenant, steps, emitted, useCase };
}

const env = <T>(data: T) => ({ id: randomUUID(), data }) as EventEnvelope<T>;

describe('RecordProgressUseCase', () => {
  it('hands over when TenantActivated is handled before VmsRegistered (events of different consumers), and never moves back', async () => {
    const { tenant, steps, emitted, useCase } = setup('register-vms');
    await useCase.tenantActivated(
      env({
        tenantId: tenant.id,
        siteId: 'site-1',
        integrationServerTenantId: 'is-1',
        activeVms: 2,
      } as TenantActivatedV1),
    );
    expect(tenant).toMatchObject({ status: 'ready', currentStep: 'handover' });
    expect(emitted).toEqual(['TenantReady']);
    await useCase.vmsRegistered(
      env({
        tenantId: tenant.id,
        siteId: 'site-1',
        integrationServerTenantId: 'is-1',
        succeeded: [],
        failed: [],
      } as VmsRegisteredV1),
    );
    expect(tenant).toMatchObject({ status: 'ready', currentStep: 'handover' });
    expect(steps.get('register-vms')).toBe('succeeded');
    expect(emitted).toEqual(['TenantReady']);
  });

  it('a replayed TenantActivated does not hand over twice', async () => {
    const { tenant, emitted, useCase } = setup('activate');
    const e = env({
      tenantId: tenant.id,
      siteId: 'site-1',
      integrationServerTenantId: 'is-1',
      activeVms: 2,
    } as TenantActivatedV1);
    await useCase.tenantActivated(e);
    await useCase.tenantActivated(e);
    expect(emitted).toEqual(['TenantReady']);
  });
});
