import { randomUUID } from 'node:crypto';
import { OnboardingRequest, TenantRequestDuplicate } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/service-kit';
import { OnboardOperation } from '../../operations/onboard-operation';
import { SiteRepository } from '../../sites/site.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { RequestOnboardingUseCase } from './request-onboarding.use-case';

const request = (): OnboardingRequest =>
  ({
    orderId: `order-${randomUUID().slice(0, 8)}`,
    tenantName: 'Acme',
    adminAccountName: 'acme-admin',
    vms: [{ biosUuid: randomUUID(), name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }],
  }) as OnboardingRequest;

describe('RequestOnboardingUseCase: concurrent duplicate orders (issue 9)', () => {
  it('announces TenantRequestDuplicate when the order was lost to a concurrent intake on the unique order id', async () => {
    const winner = { id: randomUUID(), orderId: 'o' } as TenantRecord;
    const emitted: { name: string; payload: unknown }[] = [];
    const uniqueViolation = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'tenant_order_uq' });
    const useCase = new RequestOnboardingUseCase(
      { runIsolated: async () => Promise.reject(uniqueViolation) } as unknown as UnitOfWork,
      { findByOrderId: async () => winner } as unknown as TenantRepository,
      {} as SiteRepository,
      {} as JobRepository,
      { emit: async (d: { name: string }, payload: unknown) => void emitted.push({ name: d.name, payload }) } as unknown as OutboxWriter,
      {} as OnboardOperation,
    );
    const r = request();
    const result = await useCase.execute(r, 'bus');
    expect(result).toEqual({ outcome: 'duplicate', tenant: winner });
    expect(emitted).toEqual([{ name: TenantRequestDuplicate.name, payload: { orderId: r.orderId, tenantId: winner.id } }]);
    // Over REST the duplicate is the HTTP answer, not an event.
    emitted.length = 0;
    await useCase.execute(r, 'rest');
    expect(emitted).toEqual([]);
  });
});
