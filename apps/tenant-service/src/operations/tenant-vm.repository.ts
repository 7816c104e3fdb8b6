import { Injectable } from '@nestjs/common';
import { VmSpec } from '@tpo/contracts';
import { ChainLink, UnitOfWork } from '@tpo/persistence';

export type TenantVmState = 'active' | 'adding' | 'removing' | 'removed' | 'failed';
export interface TenantVm extends VmSpec {
  tenantId: string;
  state: TenantVmState;
  operationId: string | null;
}

const HELD = `('active', 'adding', 'removing')`;

/** The only code that touches `tenant_vm` (a tenant's VM inventory after day one). */
@Injectable()
export class TenantVmRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  async insert(
    tenantId: string,
    vms: VmSpec[],
    state: TenantVmState,
    operationId: string | null = null,
  ): Promise<void> {
    // One statement for all VMs; a BIOS id listed twice keeps its last entry, as one upsert per VM did.
    const byId = new Map(vms.map((v) => [v.biosUuid.toLowerCase(), v]));
    if (byId.size === 0) return;
    const rows = [...byId.values()];
    await this.m.query(
      `INSERT INTO tenant_vm (tenant_id, bios_uuid, name, os_family, address, state, operation_id)
       SELECT $1::uuid, v.bios_uuid, v.name, v.os_family, v.address, $6::text, $7::uuid
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS v(bios_uuid, name, os_family, address)
       ON CONFLICT (tenant_id, bios_uuid) DO UPDATE SET name = EXCLUDED.name, os_family = EXCLUDED.os_family,
         address = EXCLUDED.address, state = EXCLUDED.state, operation_id = EXCLUDED.operation_id, updated_at = now()`,
      [
        tenantId,
        rows.map((v) => v.biosUuid),
        rows.map((v) => v.name),
        rows.map((v) => v.osFamily),
        rows.map((v) => v.address),
        state,
        operationId,
      ],
    );
  }

  /**
   * `insert` (new VMs, no operation) as a link of a chained statement, named `vms`, written for the
   * rows of `gate` (the intake's tenant); undefined without VMs.
   */
  insertLink(tenantId: string, vms: VmSpec[], state: TenantVmState, gate: string): ChainLink | undefined {
    const byId = new Map(vms.map((v) => [v.biosUuid.toLowerCase(), v]));
    if (byId.size === 0) return undefined;
    const rows = [...byId.values()];
    return {
      name: 'vms',
      gate,
      text: (bind, from) =>
        `INSERT INTO tenant_vm (tenant_id, bios_uuid, name, os_family, address, state, operation_id)
         SELECT ${bind(tenantId)}::uuid, v.bios_uuid, v.name, v.os_family, v.address, ${bind(state)}::text, NULL::uuid
         FROM unnest(${bind(rows.map((v) => v.biosUuid))}::uuid[], ${bind(rows.map((v) => v.name))}::text[],
           ${bind(rows.map((v) => v.osFamily))}::text[], ${bind(rows.map((v) => v.address))}::text[]) AS v(bios_uuid, name, os_family, address)
         WHERE EXISTS (SELECT 1 FROM ${from})
         ON CONFLICT (tenant_id, bios_uuid) DO UPDATE SET name = EXCLUDED.name, os_family = EXCLUDED.os_family,
           address = EXCLUDED.address, state = EXCLUDED.state, operation_id = EXCLUDED.operation_id, updated_at = now()
         RETURNING 1`,
    };
  }

  async ofTenant(tenantId: string): Promise<TenantVm[]> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT tenant_id, bios_uuid, name, os_family, address, state, operation_id FROM tenant_vm WHERE tenant_id = $1 ORDER BY name`,
      [tenantId],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      biosUuid: r.bios_uuid as string,
      name: r.name as string,
      osFamily: r.os_family as VmSpec['osFamily'],
      address: r.address as string,
      state: r.state as TenantVmState,
      operationId: r.operation_id as string | null,
    }));
  }

  /** BIOS ids among `biosUuids` held (active or under an operation) by a tenant other than `tenantId`. */
  async heldElsewhere(tenantId: string, biosUuids: string[]): Promise<string[]> {
    const rows: { bios_uuid: string }[] = await this.m.query(
      `SELECT DISTINCT bios_uuid::text FROM tenant_vm WHERE bios_uuid = ANY($2::uuid[]) AND tenant_id <> $1 AND state IN ${HELD}`,
      [tenantId, biosUuids],
    );
    return rows.map((r) => r.bios_uuid);
  }

  async setState(
    tenantId: string,
    biosUuids: string[],
    state: TenantVmState,
    operationId: string | null,
  ): Promise<void> {
    if (biosUuids.length === 0) return;
    await this.m.query(
      `UPDATE tenant_vm SET state = $3, operation_id = $4, updated_at = now() WHERE tenant_id = $1 AND bios_uuid = ANY($2::uuid[])`,
      [tenantId, biosUuids, state, operationId],
    );
  }

  /** Everything a deprovisioned tenant held is released. */
  async releaseAll(tenantId: string): Promise<void> {
    await this.m.query(
      `UPDATE tenant_vm SET state = 'removed', updated_at = now() WHERE tenant_id = $1 AND state IN ${HELD}`,
      [tenantId],
    );
  }
}
