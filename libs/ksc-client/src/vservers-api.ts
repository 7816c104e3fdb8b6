import { ActionOutcome, AsyncActions, WaitForActionOptions } from './async-actions';
import { KscMethodError, KscProtocolError } from './errors';
import { asRecord, asRecords, KscVServerInfo, requireString } from './ksc-records';
import { KscSession } from './ksc-session';

export type VServerUpdate = Partial<
  Pick<
    KscVServerInfo,
    | 'KLVSRV_DN'
    | 'KLVSRV_ENABLED'
    | 'KLVSRV_LIC_ENABLED'
    | 'KLVSRV_VS_DESCR'
    | 'KLVSRV_CUSTOM_INFO'
    | 'KLVSRV_NF_CUSTOM_URL'
    | 'KLVSRV_NEW_HOSTS_PROHIBITED'
  >
>;

/** VServers (ksc-openapi.md §3.1); needs a main-server session. */
export class VServersApi {
  constructor(
    private readonly session: KscSession,
    private readonly actions = new AsyncActions(),
  ) {}

  /** All virtual servers (parentGroup -1) or those placed in one main-server group. */
  async getVServers(parentGroup = -1): Promise<KscVServerInfo[]> {
    return asRecords<KscVServerInfo>(
      (await this.session.call('VServers.GetVServers', { lParentGroup: parentGroup })).PxgRetVal,
    );
  }

  /**
   * How many virtual servers the KSC already holds (`GetVServers(-1)`, ksc-openapi.md §3.1), whoever
   * made them: the 500-per-server cap counts them all, not only this platform's tenants.
   */
  async countVServers(): Promise<number> {
    return (await this.getVServers(-1)).length;
  }

  /**
   * The virtual server named `dn` (display names are unique on a KSC, §3.1). With `knownId`, the id
   * an earlier step read for it, one `GetVServerInfo` answers when that server still has this name;
   * otherwise (gone, renamed, an error the method reports) the whole `GetVServers(-1)` list decides,
   * as without it. The list grows with every vAS of the server (up to 500, ~300 bytes each), the
   * single read does not.
   */
  async findByDisplayName(dn: string, knownId?: number): Promise<KscVServerInfo | undefined> {
    if (knownId !== undefined && Number.isSafeInteger(knownId) && knownId > 0) {
      try {
        const info = await this.getVServerInfo(knownId, ['KLVSRV_ID', 'KLVSRV_DN']);
        if (info.KLVSRV_DN === dn) return { ...info, KLVSRV_ID: knownId };
      } catch (e) {
        if (!(e instanceof KscMethodError)) throw e;
      }
    }
    return (await this.getVServers()).find((v) => v.KLVSRV_DN === dn);
  }

  async getVServerInfo(id: number, fields: string[] = []): Promise<KscVServerInfo> {
    return asRecord<KscVServerInfo>(
      (await this.session.call('VServers.GetVServerInfo', { lVServer: id, pFields2Return: fields })).PxgRetVal,
    );
  }

  /**
   * AddVServerInfo. A taken name is silently made unique by the server (§3.1): use the returned
   * KLVSRV_DN for X-KSC-VServer and agent addresses. Not retried (it is not idempotent).
   */
  async addVServer(
    displayName: string,
    parentGroup: number,
  ): Promise<KscVServerInfo & { KLVSRV_ID: number; KLVSRV_DN: string }> {
    const info = asRecord<KscVServerInfo>(
      (await this.session.call('VServers.AddVServerInfo', { strDisplayName: displayName, lParentGroup: parentGroup }))
        .PxgRetVal,
    );
    if (typeof info.KLVSRV_ID !== 'number')
      throw new KscProtocolError('VServers.AddVServerInfo: no KLVSRV_ID in the answer');
    // KLVSRV_DN is promised by the docs; read it back if a server leaves it out.
    const dn =
      typeof info.KLVSRV_DN === 'string'
        ? info.KLVSRV_DN
        : (await this.getVServerInfo(info.KLVSRV_ID, ['KLVSRV_DN'])).KLVSRV_DN;
    if (typeof dn !== 'string')
      throw new KscProtocolError('VServers.AddVServerInfo: no KLVSRV_DN for the new virtual server');
    return { ...info, KLVSRV_ID: info.KLVSRV_ID, KLVSRV_DN: dn };
  }

  // ASSUMPTION (ksc-openapi.md §3.1 / Q8): only KLVSRV_DN is documented as writable; pausing a
  // tenant with KLVSRV_ENABLED=false is inferred from the attribute table.
  async updateVServerInfo(id: number, info: VServerUpdate): Promise<void> {
    await this.session.call('VServers.UpdateVServerInfo', { lVServer: id, pInfo: info });
  }

  /** Starts DelVServer; returns the action guid (poll on this same session). */
  async delVServer(id: number): Promise<string> {
    return requireString(
      await this.session.call('VServers.DelVServer', { lVServer: id }),
      'strActionGuid',
      'VServers.DelVServer',
    );
  }

  async delVServerAndWait(id: number, opts?: WaitForActionOptions): Promise<ActionOutcome> {
    return this.actions.waitForAction(this.session, await this.delVServer(id), opts);
  }

  /** Revokes the vAS's Network Agent certificate and drops agent connections (offboarding). */
  async recallCertAndCloseConnections(id: number): Promise<void> {
    await this.session.call('VServers.RecallCertAndCloseConnections', { lVServer: id });
  }
}
