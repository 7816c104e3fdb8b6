import { createHash, randomUUID } from 'node:crypto';
import { SimulatorAssumptions } from '../config/assumptions';
import { emptyStorage, SettingsStorage, SsContentsStore } from './ksc-settings-storage';

/** Error raised by the KSC model; the wire layers map it (PxgError for KSC, task error for the IS). */
export class KscModelError extends Error {
  constructor(
    readonly code: KscErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KscModelError';
  }
}

/**
 * Symbolic error names with the numeric codes the simulator emits. The names STDE_* are documented
 * (ksc-openapi.md §1.4); their numeric values and the others are not [U] and are invented here.
 */
export const KSC_ERRORS = {
  STDE_NOTFOUND: { code: 1104, module: 'KLSTD' },
  STDE_NOACCESS: { code: 1106, module: 'KLSTD' },
  STDE_UNAVAIL: { code: 1117, module: 'KLSTD' },
  STDE_BADPARAM: { code: 1101, module: 'KLSTD' },
  STDE_EXIST: { code: 1105, module: 'KLSTD' },
  KLSRV_VS_LIMIT: { code: 2901, module: 'KLSRV' },
  KLSPL_USER_EXISTS: { code: 2902, module: 'KLSPL' },
  KLGRP_NOT_EMPTY: { code: 2903, module: 'KLGRP' },
} as const;
export type KscErrorCode = keyof typeof KSC_ERRORS;

export interface VServer {
  id: number;
  uid: string;
  dn: string;
  parentGroupId: number;
  groupsId: number;
  superId: number;
  unassignedId: number;
  hostUid: string;
  enabled: boolean;
  licEnabled: boolean;
  created: Date;
  description: string;
}

export interface Group {
  id: number;
  vsId: number;
  name: string;
  parentId: number;
  created: Date;
}

export interface Host {
  hostName: string;
  vsId: number;
  groupId: number;
  dn: string;
  fqdn: string;
  dnsName: string;
  dnsDomain: string;
  ip?: string;
  /** BIOS UUID of the VM (not a KSC attribute; the simulator's link to the IS and the tenant's inventory). */
  biosId?: string;
  nagentVersion?: string;
  products: string[];
  lastVisible: Date;
}

export interface User {
  id: number;
  vsId: number;
  name: string;
  passwordSha256: string;
  enabled: boolean;
  securityGroups: number[];
}

export interface SecurityGroup {
  id: number;
  vsId: number;
  name: string;
  description: string;
}

export interface Package {
  id: number;
  vsId: number;
  name: string;
  productName: string;
  productVersion: string;
  retranslatedFrom?: number;
}

/** A policy: the documented KLPOL_* attributes plus its settings storage (see ksc-policies.ts). */
export interface Policy {
  id: number;
  vsId: number;
  groupId: number;
  name: string;
  productName: string;
  productVersion: string;
  active: boolean;
  roaming: boolean;
  acceptParent: boolean;
  forceDistribToChildren: boolean;
  hideOnSlaves: boolean;
  created: Date;
  modified: Date;
  /** product → version → section → variable → `{KLPRSS_Val, KLPRSS_Mnd}` (what Ss_Apply saved). */
  settings: SettingsStorage;
}

export const NETWORK_AGENT_PRODUCT = '1103';
export const LIGHT_AGENT_PRODUCT = 'KSVLA';
export const MAIN_SERVER = 0;

/**
 * State of one simulated KSC Administration Server with its virtual servers. Both wire protocols
 * drive it: the KSC Open API directly, and the Integration Server when it creates or removes a
 * Complete tenant's virtual server and admin account.
 */
export class KscModel {
  readonly vservers = new Map<number, VServer>();
  readonly groups = new Map<number, Group>();
  readonly hosts = new Map<string, Host>();
  readonly users = new Map<number, User>();
  readonly securityGroups = new Map<number, SecurityGroup>();
  readonly packages = new Map<number, Package>();
  readonly policies = new Map<number, Policy>();
  /** Open SsContents ids (Policy.GetPolicyContents). */
  readonly ssContents = new SsContentsStore();
  private nextGroupId = 2;
  private nextVsId = 1;
  private nextUserId = 1000;
  private nextPackageId = 10;
  private nextPolicyId = 100;

  constructor(
    readonly assumptions: () => SimulatorAssumptions,
    readonly providerAccount: { name: string; password: string },
  ) {
    this.groups.set(0, { id: 0, vsId: MAIN_SERVER, name: 'Managed devices', parentId: -1, created: new Date() });
    this.groups.set(1, { id: 1, vsId: MAIN_SERVER, name: 'Unassigned devices', parentId: -1, created: new Date() });
    this.addPackage(MAIN_SERVER, 'Kaspersky Security Center Network Agent (15.1.0)', NETWORK_AGENT_PRODUCT, '15.1.0.20748');
    this.addPackage(MAIN_SERVER, 'Kaspersky Security for Virtualization Light Agent (6.2)', LIGHT_AGENT_PRODUCT, '6.2.0.1');
  }

  // ---- virtual servers -------------------------------------------------------------------

  rootGroupOf(vsId: number): number {
    return vsId === MAIN_SERVER ? 0 : this.requireVServer(vsId).groupsId;
  }

  unassignedGroupOf(vsId: number): number {
    return vsId === MAIN_SERVER ? 1 : this.requireVServer(vsId).unassignedId;
  }

  requireVServer(id: number): VServer {
    const vs = this.vservers.get(id);
    if (!vs) throw new KscModelError('STDE_NOTFOUND', `virtual server ${id} not found`);
    return vs;
  }

  findVServerByDn(dn: string): VServer | undefined {
    return [...this.vservers.values()].find((v) => v.dn === dn);
  }

  /** AddVServerInfo: never fails on a taken name, it makes the name unique (ksc-openapi §3.1). */
  addVServer(displayName: string, parentGroupId: number): VServer {
    if (this.vservers.size >= this.assumptions().kscMaxVirtualServers) {
      throw new KscModelError('KLSRV_VS_LIMIT', `the Administration Server already has ${this.vservers.size} virtual servers (limit ${this.assumptions().kscMaxVirtualServers})`);
    }
    if (!this.groups.has(parentGroupId) || this.groups.get(parentGroupId)!.vsId !== MAIN_SERVER) {
      throw new KscModelError('STDE_NOTFOUND', `group ${parentGroupId} not found on the main server`);
    }
    let dn = displayName;
    for (let n = 1; this.findVServerByDn(dn); n++) dn = `${displayName}${this.assumptions().kscDuplicateVServerNameSuffix.replace('{n}', String(n))}`;
    const id = this.nextVsId++;
    const uid = `VSRV${randomUUID()}`;
    const superId = this.nextGroupId++;
    const groupsId = this.nextGroupId++;
    const unassignedId = this.nextGroupId++;
    const vs: VServer = { id, uid, dn, parentGroupId, groupsId, superId, unassignedId, hostUid: uid, enabled: true, licEnabled: true, created: new Date(), description: '' };
    this.vservers.set(id, vs);
    this.groups.set(superId, { id: superId, vsId: id, name: 'Administration Server', parentId: -1, created: new Date() });
    this.groups.set(groupsId, { id: groupsId, vsId: id, name: 'Managed devices', parentId: -1, created: new Date() });
    this.groups.set(unassignedId, { id: unassignedId, vsId: id, name: 'Unassigned devices', parentId: -1, created: new Date() });
    return vs;
  }

  /** DelVServer: the vAS and everything inside it; its devices lose their server (KSC-Q15). */
  deleteVServer(id: number): void {
    this.requireVServer(id);
    for (const [k, g] of this.groups) if (g.vsId === id) this.groups.delete(k);
    for (const [k, h] of this.hosts) if (h.vsId === id) this.hosts.delete(k);
    for (const [k, u] of this.users) if (u.vsId === id) this.users.delete(k);
    for (const [k, g] of this.securityGroups) if (g.vsId === id) this.securityGroups.delete(k);
    for (const [k, p] of this.packages) if (p.vsId === id) this.packages.delete(k);
    for (const [k, p] of this.policies) if (p.vsId === id) this.policies.delete(k);
    this.vservers.delete(id);
  }

  // ---- groups ------------------------------------------------------------------------------

  addGroup(vsId: number, name: string, parentId: number): Group {
    const parent = this.groups.get(parentId);
    if (!parent || parent.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `parent group ${parentId} not found`);
    if (this.childGroup(vsId, parentId, name)) throw new KscModelError('STDE_EXIST', `group "${name}" already exists in group ${parentId}`);
    const g: Group = { id: this.nextGroupId++, vsId, name, parentId, created: new Date() };
    this.groups.set(g.id, g);
    return g;
  }

  childGroup(vsId: number, parentId: number, name: string): Group | undefined {
    return [...this.groups.values()].find((g) => g.vsId === vsId && g.parentId === parentId && g.name === name);
  }

  /** RemoveGroup flags: 1 only if empty, 2 with subgroups/policies/tasks, 3 also with hosts. */
  removeGroup(vsId: number, id: number, flags: number): void {
    const g = this.groups.get(id);
    if (!g || g.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `group ${id} not found`);
    const subgroups = [...this.groups.values()].filter((x) => x.parentId === id);
    const hosts = [...this.hosts.values()].filter((h) => h.groupId === id);
    if (flags < 2 && subgroups.length > 0) throw new KscModelError('KLGRP_NOT_EMPTY', 'Group is not empty');
    if (flags < 3 && hosts.length > 0) throw new KscModelError('KLGRP_NOT_EMPTY', 'Group contains devices');
    for (const s of subgroups) this.removeGroup(vsId, s.id, flags);
    for (const h of hosts) this.hosts.delete(h.hostName);
    for (const [k, p] of this.policies) if (p.groupId === id) this.policies.delete(k);
    this.groups.delete(id);
  }

  groupsOf(vsId: number): Group[] {
    return [...this.groups.values()].filter((g) => g.vsId === vsId);
  }

  // ---- hosts -------------------------------------------------------------------------------

  addHost(vsId: number, h: Omit<Host, 'hostName' | 'vsId' | 'products' | 'lastVisible'> & { products?: string[] }): Host {
    const group = this.groups.get(h.groupId);
    if (!group || group.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `group ${h.groupId} not found`);
    const host: Host = { ...h, hostName: randomUUID(), vsId, products: h.products ?? [], lastVisible: new Date() };
    this.hosts.set(host.hostName, host);
    return host;
  }

  hostsOf(vsId: number): Host[] {
    return [...this.hosts.values()].filter((h) => h.vsId === vsId);
  }

  requireHost(vsId: number, hostName: string): Host {
    const h = this.hosts.get(hostName);
    if (!h || h.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `host ${hostName} not found`);
    return h;
  }

  moveHostsToGroup(vsId: number, groupId: number, hostNames: string[]): void {
    const g = this.groups.get(groupId);
    if (!g || g.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `group ${groupId} not found`);
    const hosts = hostNames.map((n) => this.requireHost(vsId, n));
    for (const h of hosts) h.groupId = groupId;
  }

  /** Network Agent reconnection: the host leaves its server and lands in the vAS's Unassigned devices. */
  reconnectHostToVServer(host: Host, vServerName: string): Host {
    const vs = this.findVServerByDn(vServerName);
    if (!vs) throw new KscModelError('STDE_NOTFOUND', `virtual server "${vServerName}" not found`);
    this.hosts.delete(host.hostName);
    const moved: Host = {
      ...host,
      hostName: this.assumptions().kscNewHostIdAfterMove ? randomUUID() : host.hostName,
      vsId: vs.id,
      groupId: vs.unassignedId,
      lastVisible: new Date(),
    };
    this.hosts.set(moved.hostName, moved);
    return moved;
  }

  // ---- users -------------------------------------------------------------------------------

  addUser(vsId: number, name: string, password: string): User {
    const clash = [...this.users.values()].find((u) => u.name.toLowerCase() === name.toLowerCase() && (this.assumptions().kscUniqueAccountNames || u.vsId === vsId));
    if (clash || (this.assumptions().kscUniqueAccountNames && name.toLowerCase() === this.providerAccount.name.toLowerCase())) {
      throw new KscModelError('KLSPL_USER_EXISTS', `an account named "${name}" already exists on this Administration Server or one of its virtual servers`);
    }
    const user: User = { id: this.nextUserId++, vsId, name, passwordSha256: sha256(password), enabled: true, securityGroups: [] };
    this.users.set(user.id, user);
    return user;
  }

  deleteUser(vsId: number, id: number): void {
    const u = this.users.get(id);
    if (!u || u.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `user ${id} not found`);
    this.users.delete(id);
  }

  findUser(vsId: number, name: string): User | undefined {
    return [...this.users.values()].find((u) => u.vsId === vsId && u.name === name);
  }

  /** Checks a login; vsId of the session the credentials open. */
  authenticate(name: string, password: string, vsId: number): 'provider' | User | undefined {
    if (name === this.providerAccount.name && password === this.providerAccount.password) return 'provider';
    const u = this.findUser(vsId, name);
    return u && u.enabled && u.passwordSha256 === sha256(password) ? u : undefined;
  }

  addSecurityGroup(vsId: number, name: string, description: string): SecurityGroup {
    const id = this.nextUserId++;
    const g = { id, vsId, name, description };
    this.securityGroups.set(id, g);
    return g;
  }

  addUserToSecurityGroup(vsId: number, userId: number, groupId: number): void {
    const u = this.users.get(userId);
    const g = this.securityGroups.get(groupId);
    if (!u || u.vsId !== vsId || !g || g.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', 'user and security group must exist on the same server');
    if (!u.securityGroups.includes(groupId)) u.securityGroups.push(groupId);
  }

  // ---- packages and policies ---------------------------------------------------------------

  addPackage(vsId: number, name: string, productName: string, productVersion: string, retranslatedFrom?: number): Package {
    const p = { id: this.nextPackageId++, vsId, name, productName, productVersion, retranslatedFrom };
    this.packages.set(p.id, p);
    return p;
  }

  packagesOf(vsId: number): Package[] {
    return [...this.packages.values()].filter((p) => p.vsId === vsId);
  }

  /** RetranslateToVServerAsync: the vAS gets its own copy (a new id) unless it already has one. */
  retranslatePackage(packageId: number, vsId: number): Package {
    const source = this.packages.get(packageId);
    if (!source || source.vsId !== MAIN_SERVER) throw new KscModelError('STDE_NOTFOUND', `package ${packageId} not found on the main server`);
    this.requireVServer(vsId);
    const existing = this.packagesOf(vsId).find((p) => p.retranslatedFrom === packageId);
    return existing ?? this.addPackage(vsId, source.name, source.productName, source.productVersion, packageId);
  }

  /** A policy with the documented defaults (inactive, accepts parent) and an empty settings storage for its product/version. */
  addPolicy(
    vsId: number,
    p: Pick<Policy, 'groupId' | 'name' | 'productName' | 'productVersion'> & Partial<Omit<Policy, 'id' | 'vsId' | 'created' | 'modified'>>,
    id?: number,
  ): Policy {
    const g = this.groups.get(p.groupId);
    if (!g || g.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `group ${p.groupId} not found`);
    if (id !== undefined && this.policies.has(id)) throw new KscModelError('STDE_EXIST', `policy ${id} already exists`);
    let newId = id;
    while (newId === undefined || this.policies.has(newId)) newId = this.nextPolicyId++;
    const now = new Date();
    const policy: Policy = {
      active: false,
      roaming: false,
      acceptParent: true,
      forceDistribToChildren: false,
      hideOnSlaves: false,
      settings: emptyStorage(p.productName, p.productVersion),
      ...p,
      id: newId,
      vsId,
      created: now,
      modified: now,
    };
    this.policies.set(policy.id, policy);
    return policy;
  }

  requirePolicy(vsId: number, id: number): Policy {
    const p = this.policies.get(id);
    if (!p || p.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `policy ${id} not found`);
    return p;
  }

  /** What tests check: counts per server, orphans, and everything in plain JSON. */
  snapshot() {
    return {
      virtualServers: [...this.vservers.values()],
      groups: [...this.groups.values()],
      hosts: [...this.hosts.values()],
      users: [...this.users.values()].map(({ passwordSha256: _p, ...u }) => u),
      securityGroups: [...this.securityGroups.values()],
      packages: [...this.packages.values()],
      policies: [...this.policies.values()],
    };
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
