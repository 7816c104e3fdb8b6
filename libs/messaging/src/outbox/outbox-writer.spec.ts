import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { OnboardingStepFailed, OnboardingStepFailedV1, VmsRegistered, VmsRegisteredV1 } from '@tpo/contracts';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { OutboxInsert, OutboxRepository } from './outbox.repository';
import { INVALID_OUTGOING_EVENT, OutboxWriter } from './outbox-writer';

function writer() {
  const inserted: OutboxInsert[] = [];
  const statements: OutboxInsert[][] = [];
  const repository = {
    insert: async (rows: OutboxInsert[]) => void inserted.push(...rows),
    insertStatement: (rows: OutboxInsert[]) => (statements.push(rows), { text: () => 'INSERT', params: [] }),
  } as unknown as OutboxRepository;
  const uow = { run: <T>(work: () => Promise<T>) => work() } as unknown as UnitOfWork;
  return { outbox: new OutboxWriter('registration-service', uow, repository), inserted, statements };
}

const failed = (): OnboardingStepFailedV1 => ({
  tenantId: randomUUID(),
  siteId: 'site-1',
  step: 'register-vms',
  code: 'X',
  message: 'refused',
  retryable: false,
  attempt: 1,
  externalTaskIds: undefined,
});

const registered = (): VmsRegisteredV1 => ({
  tenantId: randomUUID(),
  siteId: 'site-1',
  integrationServerTenantId: randomUUID(),
  succeeded: [{ biosUuid: randomUUID(), name: 'vm-1' }],
  failed: [{ biosUuid: randomUUID(), name: 'vm-2', code: 'X', message: 'no' }],
});

describe('OutboxWriter: outgoing payloads checked against their contract (compiled schema, class-validator for what it refuses)', () => {
  it('writes a valid payload as the class path made it: the payload class instance, spread into the envelope', async () => {
    const { outbox, inserted } = writer();
    const data = registered();
    const envelope = await outbox.emit(VmsRegistered, data, { tenantId: data.tenantId });
    expect(inserted).toHaveLength(1);
    expect(inserted[0].envelope).toBe(envelope);
    expect(envelope.data).toStrictEqual({ ...plainToInstance(VmsRegistered.payload, data) });
    expect(JSON.parse(JSON.stringify(envelope.data))).toEqual(JSON.parse(JSON.stringify(data)));
    // An optional property given as undefined is absent, as before.
    const f = failed();
    const e2 = await outbox.emit(OnboardingStepFailed, f);
    expect(e2.data).toStrictEqual({ ...plainToInstance(OnboardingStepFailed.payload, f) });
  });

  it.each([
    ['an unknown property', { ...failed(), extra: 1 }, /extra/],
    ['an unknown property, undefined', { ...failed(), extra: undefined }, /extra/],
    ['an unknown property in a nested object', 'nested', /unknownNested/],
    ['a wrong type', { ...failed(), attempt: 'one' }, /attempt/],
    ['a missing required property', { ...failed(), code: undefined }, /code/],
    ['a non-finite number', { ...failed(), attempt: Infinity }, /attempt/],
  ])('refuses %s before anything is written (emit and emitStatement)', async (_what, bad, reason) => {
    const { outbox, inserted, statements } = writer();
    const [definition, data] =
      bad === 'nested'
        ? ([
            VmsRegistered,
            { ...registered(), succeeded: [{ biosUuid: randomUUID(), name: 'a', unknownNested: 1 }] },
          ] as const)
        : ([OnboardingStepFailed, bad] as const);
    const refusal = { code: INVALID_OUTGOING_EVENT, message: expect.stringMatching(reason) };
    await expect(outbox.emit(definition as typeof VmsRegistered, data as never)).rejects.toBeInstanceOf(DomainError);
    await expect(outbox.emit(definition as typeof VmsRegistered, data as never)).rejects.toMatchObject(refusal);
    expect(() => outbox.emitStatement([{ definition, data } as never])).toThrow(reason);
    expect(inserted).toEqual([]);
    expect(statements).toEqual([]);
  });
});
