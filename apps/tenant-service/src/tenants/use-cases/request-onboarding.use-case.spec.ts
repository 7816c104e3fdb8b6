import { randomUUID } from 'node:crypto';
import { EventEnvelope, OnboardingRequest, TenantRequestDuplicate, TenantRequestedV1 } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { JobEnqueuer } from '@tpo/jobs';
import type { Logger } from 'pino';
import { OnboardOperation } from '../../operations/onboard-operation';
import { TenantVmRepository } from '../../operations/tenant-vm.repository';
import { SiteRepository } from '../../sites/site.repository';
import { DuplicateOrderError } from '../tenant-errors';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { IntakeFromBusUseCase } from './intake-from-bus.use-case';
import { RequestOnboardingUseCase } from './request-onboarding.use-case';

const request = (): OnboardingRequest =>
  ({
    orderId: `order-${randomUUID().slice(0, 8)}`,
    tenantName: 'Acme',
    adminAccountName: 'acme-admin',
    vms: [{ biosUuid: randomUUID(), name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }],
  }) as OnboardingRequest;

/** An intake that loses the race on the unique order id to `winner` (the repository's DuplicateOrderError). */
function losingRace(winner: TenantRecord): RequestOnboardingUseCase {
  return new RequestOnboardingUseCase(
    { runIsolated: async () => Promise.reject(new DuplicateOrderError(winner.orderId)) } as unknown as UnitOfWork,
    { findByOrderId: async () => winner } as unknown as TenantRepository,
    {} as SiteRepository,
    {} as JobEnqueuer,
    {} as OnboardOperation,
    {} as TenantVmRepository,
  );
}

describe('RequestOnboardingUseCase: concurrent duplicate orders (issue 9)', () => {
  const winner = { id: randomUUID(), orderId: 'o', siteId: 'site-1' } as TenantRecord;

  it('answers `duplicate` with the winner when the order was lost to a concurrent intake on the unique order id', async () => {
    await expect(losingRace(winner).execute(request(), { requester: 'order:rest' })).resolves.toEqual({
      outcome: 'duplicate',
      tenant: winner,
    });
  });

  it("refuses a duplicate of an order placed on a site outside the caller's scope, without the tenant", async () => {
    await expect(
      losingRace(winner).execute(request(), { requester: 'order:rest', sites: ['site-2'] }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('other errors pass through unchanged', async () => {
    const boom = new Error('boom');
    const useCase = new RequestOnboardingUseCase(
      { runIsolated: async () => Promise.reject(boom) } as unknown as UnitOfWork,
      {} as TenantRepository,
      {} as SiteRepository,
      {} as JobEnqueuer,
      {} as OnboardOperation,
      {} as TenantVmRepository,
    );
    await expect(useCase.execute(request(), { requester: 'order:rest' })).rejects.toBe(boom);
  });
});

describe('IntakeFromBusUseCase: a duplicate order from the bus is always announced', () => {
  it('emits TenantRequestDuplicate also when the duplicate was detected by losing the unique-index race', async () => {
    const winner = { id: randomUUID(), orderId: 'o', siteId: 'site-1' } as TenantRecord;
    const emitted: { name: string; payload: unknown }[] = [];
    const outbox = {
      emit: async (d: { name: string }, payload: unknown) => void emitted.push({ name: d.name, payload }),
    } as unknown as OutboxWriter;
    const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const r = request();
    await new IntakeFromBusUseCase(losingRace(winner), outbox, logger).accept({
      data: r,
    } as EventEnvelope<TenantRequestedV1>);
    expect(emitted).toEqual([
      { name: TenantRequestDuplicate.name, payload: { orderId: r.orderId, tenantId: winner.id } },
    ]);
  });
});
