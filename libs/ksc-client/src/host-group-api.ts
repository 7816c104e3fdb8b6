import { AsyncActions, ActionOutcome, WaitForActionOptions } from './async-actions';
import { ChunkAccessorApi } from './chunk-accessor';
import { kscParams } from './ksc-codec';
import { asRecord, KscGroupInfo, KscHostInfo, KscRecord, requireNumber, requireString } from './ksc-records';
import { KscSession } from './ksc-session';

export interface FindOptions {
  /** `[{Name, Asc}]` sort order. */
  order?: { name: string; asc?: boolean }[];
  /** KLGRP_FIND_FROM_CUR_VS_ONLY: from a main-server session, leave vAS objects out (default true, §3.2). */
  currentServerOnly?: boolean;
  /** lMaxLifeTime of the result set in seconds (≤ 7200; default 300). */
  lifetimeSeconds?: number;
}

export interface AddHostInput {
  displayName: string;
  groupId: number;
  dnsName?: string;
  dnsDomain?: string;
  winHostName?: string;
  winDomain?: string;
  ip?: string;
}

/** RemoveGroup flags (§3.2). */
export const REMOVE_GROUP_IF_EMPTY = 1;
export const REMOVE_GROUP_WITH_SUBGROUPS = 2;
export const REMOVE_GROUP_WITH_HOSTS = 3;

/** HostGroup (ksc-openapi.md §3.2) on the session's server, with ChunkAccessor paging. */
export class HostGroupApi {
  readonly chunks: ChunkAccessorApi;

  constructor(
    private readonly session: KscSession,
    private readonly actions = new AsyncActions(),
  ) {
    this.chunks = new ChunkAccessorApi(session);
  }

  private async int(method: string, args: Record<string, unknown> = {}): Promise<number> {
    return requireNumber(await this.session.call(method, args), 'PxgRetVal', method);
  }

  groupIdGroups(): Promise<number> {
    return this.int('HostGroup.GroupIdGroups');
  }

  groupIdUnassigned(): Promise<number> {
    return this.int('HostGroup.GroupIdUnassigned');
  }

  groupIdSuper(): Promise<number> {
    return this.int('HostGroup.GroupIdSuper');
  }

  /** The child group's id, or undefined when there is none (-1 on the wire). */
  async getGroupId(parentId: number, name: string): Promise<number | undefined> {
    const id = await this.int('HostGroup.GetGroupId', { nParent: parentId, strName: name });
    return id < 0 ? undefined : id;
  }

  addGroup(name: string, parentId: number): Promise<number> {
    return this.int('HostGroup.AddGroup', { pInfo: { name, parentId } });
  }

  /** Starts RemoveGroup; returns the action guid (poll on this same session). */
  async removeGroup(groupId: number, flags = REMOVE_GROUP_IF_EMPTY): Promise<string> {
    return requireString(
      await this.session.call('HostGroup.RemoveGroup', { nGroup: groupId, nFlags: flags }),
      'strActionGuid',
      'HostGroup.RemoveGroup',
    );
  }

  async removeGroupAndWait(
    groupId: number,
    flags = REMOVE_GROUP_IF_EMPTY,
    opts?: WaitForActionOptions,
  ): Promise<ActionOutcome> {
    return this.actions.waitForAction(this.session, await this.removeGroup(groupId, flags), opts);
  }

  private async find(
    method: string,
    filter: string,
    fields: string[],
    opts: FindOptions,
  ): Promise<{ accessor: string; count: number }> {
    const r = await this.session.call(method, {
      wstrFilter: filter,
      vecFieldsToReturn: fields,
      vecFieldsToOrder: (opts.order ?? []).map((o) => kscParams({ Name: o.name, Asc: o.asc ?? true })),
      pParams: { KLGRP_FIND_FROM_CUR_VS_ONLY: opts.currentServerOnly ?? true },
      lMaxLifeTime: opts.lifetimeSeconds ?? 300,
    });
    return { accessor: requireString(r, 'strAccessor', method), count: requireNumber(r, 'PxgRetVal', method) };
  }

  /** FindHosts: a result set to page with `chunks` (release it!) — or use iterateHosts. */
  findHosts(filter: string, fields: string[], opts: FindOptions = {}) {
    return this.find('HostGroup.FindHosts', filter, fields, opts);
  }

  findGroups(filter: string, fields: string[], opts: FindOptions = {}) {
    return this.find('HostGroup.FindGroups', filter, fields, opts);
  }

  /** FindHosts → GetItemsChunk loop → Release (in finally). */
  async *iterateHosts(
    filter: string,
    fields: string[],
    pageSize = 100,
    opts: FindOptions = {},
  ): AsyncGenerator<KscHostInfo> {
    const { accessor, count } = await this.findHosts(filter, fields, opts);
    yield* this.chunks.iterate<KscHostInfo>(accessor, count, pageSize);
  }

  async *iterateGroups(
    filter: string,
    fields: string[],
    pageSize = 100,
    opts: FindOptions = {},
  ): AsyncGenerator<KscGroupInfo> {
    const { accessor, count } = await this.findGroups(filter, fields, opts);
    yield* this.chunks.iterate<KscGroupInfo>(accessor, count, pageSize);
  }

  async getHostInfo(hostName: string, fields: string[] = []): Promise<KscHostInfo> {
    return asRecord<KscHostInfo>(
      (await this.session.call('HostGroup.GetHostInfo', { strHostName: hostName, pFields2Return: fields })).PxgRetVal,
    );
  }

  /** Installed products as `{<product>: {<version>: {...}}}`. */
  async getHostProducts(hostName: string): Promise<KscRecord> {
    return asRecord((await this.session.call('HostGroup.GetHostProducts', { strHostName: hostName })).PxgRetVal);
  }

  /** Creates a device record (installs nothing); returns its KLHST_WKS_HOSTNAME. */
  async addHost(h: AddHostInput): Promise<string> {
    const r = await this.session.call('HostGroup.AddHost', {
      pInfo: {
        KLHST_WKS_DN: h.displayName,
        KLHST_WKS_GROUPID: h.groupId,
        KLHST_WKS_WINHOSTNAME: h.winHostName ?? '',
        KLHST_WKS_WINDOMAIN: h.winDomain ?? '',
        KLHST_WKS_DNSNAME: h.dnsName ?? h.displayName,
        KLHST_WKS_DNSDOMAIN: h.dnsDomain ?? '',
        KLHST_WKS_IP: h.ip,
      },
    });
    return requireString(r, 'PxgRetVal', 'HostGroup.AddHost');
  }

  async moveHostsToGroup(groupId: number, hostNames: string[]): Promise<void> {
    await this.session.call('HostGroup.MoveHostsToGroup', { nGroup: groupId, pHostNames: hostNames });
  }

  async removeHost(hostName: string): Promise<void> {
    await this.session.call('HostGroup.RemoveHost', { strHostName: hostName });
  }

  /** Server facts such as KLADMSRV_VSID (which server this session is bound to). */
  async getStaticInfo(values: string[]): Promise<KscRecord> {
    return asRecord((await this.session.call('HostGroup.GetStaticInfo', { pValues: values })).PxgRetVal);
  }
}
