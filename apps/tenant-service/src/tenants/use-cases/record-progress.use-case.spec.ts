import { randomUUID } from 'node:crypto';
import { EventEnvelope, TenantActivatedV1, VmsRegisteredV1 } from '@tpo/contracts';
import { Emission, InboxRepository, OutboxWriter } from '@tpo/messaging';
import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
import pino from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { OperationProgressUseCase } from '../../operations/use-cases/operation-progress.use-case';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { StepEnded, StepEndedChange, TenantTimelineRepository } from '../tenant-timeline.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { RecordProgressUseCase } from './record-progress.use-case';

/**
 * The use case's own decisions, with the timeline repository's answers given (whether the tenant
 * moved on is decided in SQL on the locked row: tenant-timeline.int-spec.ts runs it against Postgres).
 */
function setup(answer: (c: StepEndedChange) => StepEnded | undefined) {
  const tenant = {
    id: randomUUID(),
    siteId: 'site-1',
    orderId: 'o-1',
    name: 'Acme',
    adminAccountName: 'acme-admin',
    status: 'ready',
    currentStep: 'handover',
    virtualServerName: 'Acme VAS',
  } as unknown as TenantRecord;
  const changes: StepEndedChange[] = [];
  const emitted: { name: string; payload: Record<string, unknown> }[] = [];
  const done: string[] = [];
  /** The statements the use case ran (the handover's writes, combined into one). */
  const statements: string[] = [];
  const statement = (what: string): GuardedStatement => ({
    text: (held) => `UPDATE ${what} SET x = 1 WHERE ${held}`,
    params: [],
    applied: () => void done.push(`${what} applied`),
  });
  const useCase = new RecordProgressUseCase(
    {} as TenantRepository,
    {
      startRevealWindowStatement: () => (done.push('reveal-window'), statement('secret')),
    } as unknown as TenantSecretRepository,
    {
      emitStatement: (events: Emission[]) => {
        for (const e of events) emitted.push({ name: e.definition.name, payload: e.data as Record<string, unknown> });
        return statement('outbox');
      },
    } as unknown as OutboxWriter,
    {
      stepEnded: async (c: StepEndedChange) => (changes.push(c), answer(c)),
    } as unknown as TenantTimelineRepository,
    {
      succeededStatement: () => (done.push('operation-succeeded'), statement('operation')),
    } as unknown as OnboardOperation,
    {} as OperationProgressUseCase,
    { PASSWORD_REVEAL_TTL_HOURS: 72 } as TenantServiceEnv,
    pino({ level: 'silent' }),
    {} as InboxRepository,
    {
      run: (work: () => Promise<unknown>) => work(),
      manager: () => ({ query: async (text: string) => void statements.push(text) }),
    } as unknown as UnitOfWork,
  );
  return { tenant, changes, emitted, done, statements, useCase };
}

const env = <T>(data: T) => ({ id: randomUUID(), data }) as EventEnvelope<T>;
const activated = (tenantId: string) =>
  env({ tenantId, siteId: 'site-1', integrationServerTenantId: 'is-1', activeVms: 2 } as TenantActivatedV1);

describe('RecordProgressUseCase', () => {
  it('hands over when the tenant moved on to the handover: reveal window, operation, TenantReady with the KSC address', async () => {
    const s = setup(() => ({
      tenant: s.tenant,
      advanced: true,
      ksc: { publicAddress: 'ksc.example', url: 'https://ksc.example:13291' },
    }));
    await s.useCase.tenantActivated(activated(s.tenant.id));

    expect(s.changes).toEqual([
      {
        tenantId: s.tenant.id,
        done: 'activate',
        next: 'handover',
        details: { activeVms: 2 },
        handover: { vmSummary: { active: 2 } },
      },
    ]);
    expect(s.done).toEqual([
      'reveal-window',
      'operation-succeeded',
      'secret applied',
      'operation applied',
      'outbox applied',
    ]);
    // The reveal window, the onboarding's success and TenantReady: one statement.
    expect(s.statements).toHaveLength(1);
    expect(s.statements[0]).toMatch(/UPDATE secret .*UPDATE operation .*UPDATE outbox/s);
    expect(s.emitted).toEqual([
      {
        name: 'TenantReady',
        payload: {
          tenantId: s.tenant.id,
          siteId: 'site-1',
          orderId: 'o-1',
          adminAccountName: 'acme-admin',
          administrationServer: {
            address: 'ksc.example',
            port: 13291,
            virtualServerName: 'Acme VAS',
            connectionString: 'ksc.example/Acme VAS',
          },
        },
      },
    ]);
  });

  it('does not hand over (again) when the tenant did not move on, nor for an unknown tenant', async () => {
    const stayed = setup(() => ({ tenant: stayed.tenant, advanced: false }));
    await stayed.useCase.tenantActivated(activated(stayed.tenant.id));
    expect(stayed.emitted).toEqual([]);
    expect(stayed.done).toEqual([]);
    expect(stayed.statements).toEqual([]);

    const unknown = setup(() => undefined);
    await unknown.useCase.tenantActivated(activated(unknown.tenant.id));
    expect(unknown.emitted).toEqual([]);
    expect(unknown.done).toEqual([]);
  });

  it('records VmsRegistered in the timeline and the VM summary, moving on to activate', async () => {
    const s = setup(() => ({ tenant: s.tenant, advanced: true }));
    await s.useCase.vmsRegistered(
      env({
        tenantId: s.tenant.id,
        siteId: 'site-1',
        integrationServerTenantId: 'is-1',
        succeeded: [{ biosUuid: randomUUID(), name: 'vm1' }],
        failed: [],
      } as unknown as VmsRegisteredV1),
    );
    expect(s.changes).toEqual([
      {
        tenantId: s.tenant.id,
        done: 'register-vms',
        next: 'activate',
        details: { registered: 1, failed: [] },
        always: { vmSummary: { registered: 1, registrationFailed: [] } },
      },
    ]);
    expect(s.emitted).toEqual([]);
  });
});
