import { randomUUID } from 'node:crypto';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/jobs';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord, OperationRepository } from '../operation.repository';
import { TenantVm, TenantVmRepository } from '../tenant-vm.repository';
import { RequestOperationCommand } from './request-operation.command';
import { RequestOperationUseCase } from './request-operation.use-case';

const vm = () => ({ biosUuid: randomUUID(), name: 'vm1', osFamily: 'linux' as const, address: '10.0.0.1' });

function setup(
  tenant: Partial<TenantRecord> | undefined,
  opts: { running?: Partial<OperationRecord>; inventory?: Partial<TenantVm>[]; elsewhere?: string[] } = {},
) {
  const t = tenant
    ? ({ id: randomUUID(), siteId: 'site-1', lifecycle: 'active', lifecycleReason: null, ...tenant } as TenantRecord)
    : undefined;
  const writes: string[] = [];
  const uow = { runIsolated: <T>(w: () => Promise<T>) => w() } as unknown as UnitOfWork;
  const tenants = {
    findById: async () => t,
    setLifecycle: async (_: string, l: string) => void writes.push(`lifecycle:${l}`),
  } as unknown as TenantRepository;
  const operations = {
    byRequest: async () => undefined,
    running: async () => opts.running,
    insertRunning: async (op: { kind: string }) => (writes.push(`operation:${op.kind}`), true),
    findById: async (id: string) => ({ id }) as OperationRecord,
  } as unknown as OperationRepository;
  const jobs = { enqueue: async (kind: string) => (writes.push(`job:${kind}`), true) } as unknown as JobRepository;
  const vms = {
    ofTenant: async () => opts.inventory ?? [],
    heldElsewhere: async (_: string, ids: string[]) => ids.filter((b) => (opts.elsewhere ?? []).includes(b)),
    insert: async () => void writes.push('vms:adding'),
    setState: async (_: string, __: string[], s: string) => void writes.push(`vms:${s}`),
  } as unknown as TenantVmRepository;
  const useCase = new RequestOperationUseCase(uow, tenants, operations, jobs, vms);
  const run = (c: Partial<RequestOperationCommand>) =>
    useCase.execute({
      tenantId: t?.id ?? randomUUID(),
      requester: 'user:test',
      kind: 'suspend',
      ...c,
    } as RequestOperationCommand);
  return { t, writes, run };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
};

describe('RequestOperationUseCase (issue 10): refusals change nothing', () => {
  it('starts a suspend of an active tenant: operation, job, no lifecycle change yet', async () => {
    const { writes, run } = setup({});
    expect(await code(run({ kind: 'suspend', reason: 'unpaid' }))).toBe('accepted');
    expect(writes).toEqual(['operation:suspend', 'job:tenant-operation']);
  });

  it.each([
    ['unknown tenant', undefined, { kind: 'suspend' }, {}, 'TENANT_NOT_FOUND'],
    [
      'anything on a deprovisioned tenant',
      { lifecycle: 'deprovisioned' },
      { kind: 'deprovision' },
      {},
      'TENANT_DEPROVISIONED',
    ],
    [
      'a second operation while one runs',
      {},
      { kind: 'deprovision' },
      { running: { id: randomUUID(), kind: 'suspend' } },
      'OPERATION_IN_PROGRESS',
    ],
    [
      'suspend of a suspended tenant',
      { lifecycle: 'suspended', lifecycleReason: 'unpaid' },
      { kind: 'suspend' },
      {},
      'TENANT_SUSPENDED',
    ],
    ['resume of an active tenant', {}, { kind: 'resume' }, {}, 'TENANT_NOT_SUSPENDED'],
    [
      'add-vms on a suspended tenant',
      { lifecycle: 'suspended' },
      { kind: 'add-vms', vms: [vm()] },
      {},
      'TENANT_SUSPENDED',
    ],
    ['add-vms with an empty list', {}, { kind: 'add-vms', vms: [] }, {}, 'INVALID_INPUT'],
    [
      "remove-vms of a VM that is not the tenant's",
      {},
      { kind: 'remove-vms', biosUuids: [randomUUID()] },
      { inventory: [] },
      'VM_NOT_IN_TENANT',
    ],
  ] as const)('refuses %s', async (_name, tenant, command, opts, expected) => {
    const { writes, run } = setup(tenant as Partial<TenantRecord> | undefined, opts as never);
    expect(await code(run(command as Partial<RequestOperationCommand>))).toBe(expected);
    expect(writes).toEqual([]);
  });

  it('refuses add-vms when a BIOS id belongs to another tenant, naming it', async () => {
    const theirs = vm();
    const { writes, run } = setup({}, { elsewhere: [theirs.biosUuid.toLowerCase()] });
    const p = run({ kind: 'add-vms', vms: [vm(), theirs] });
    await expect(p).rejects.toMatchObject({
      code: 'VM_OWNED_BY_ANOTHER_TENANT',
      options: { details: { biosUuids: [theirs.biosUuid.toLowerCase()] } },
    });
    expect(writes).toEqual([]);
  });

  it('a deprovision marks the tenant deprovisioning; add/remove-vms reserve their VMs', async () => {
    const d = setup({ lifecycle: 'failed' });
    expect(await code(d.run({ kind: 'deprovision' }))).toBe('accepted');
    expect(d.writes).toEqual(['operation:deprovision', 'lifecycle:deprovisioning', 'job:tenant-operation']);
    const mine = vm();
    const r = setup({}, { inventory: [{ ...mine, state: 'active' }] });
    expect(await code(r.run({ kind: 'remove-vms', biosUuids: [mine.biosUuid] }))).toBe('accepted');
    expect(r.writes).toEqual(['operation:remove-vms', 'vms:removing', 'job:tenant-operation']);
  });
});
