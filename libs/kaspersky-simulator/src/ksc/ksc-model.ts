import { createHash, randomUUID } from 'node:crypto';
import { SimulatorAssumptions } from '../config/assumptions';
import {
  SEED_LIGHT_AGENT,
  SEED_NETWORK_AGENT_PACKAGES,
  SEED_NETWORK_AGENT_PRODUCT,
  SEED_OS_FAMILIES,
  SeedOsFamily,
} from '../config/seed';
import { KscLicenseKeys } from './ksc-licenses';
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
  /** Operating system family of the machine (a package for another one fails to install). */
  osFamily?: SeedOsFamily;
  nagentVersion?: string;
  products: string[];
  /** Every product a Remote Installation actually installed here, in order (tests count second installs). */
  installs?: string[];
  /** Restarts a task forced on the device (never without the task's reboot options). */
  reboots?: number;
  lastVisible: Date;
}

/** A machine on the tenant network that no Administration Server manages (yet): reachable by its address only. */
export interface NetworkMachine {
  ip: string;
  name: string;
  fqdn: string;
  biosId?: string;
  osFamily?: SeedOsFamily;
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
  /** The OS family the package installs on (both Network Agent packages report product 1103). */
  osFamily?: SeedOsFamily;
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

/** DOCUMENTED: Network Agent product id (ksc-openapi-addendum.md §1.6). */
export const NETWORK_AGENT_PRODUCT = SEED_NETWORK_AGENT_PRODUCT;
/** The seeded Light Agent products (simulator stand-ins, see config/seed.ts). */
export const LIGHT_AGENT_PRODUCTS: readonly string[] = SEED_OS_FAMILIES.map((f) => SEED_LIGHT_AGENT[f].product);
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
  /** Machines reachable on the tenant networks, by IPv4 address (not KSC state: what a push install reaches). */
  readonly network = new Map<string, NetworkMachine>();
  /** Key storage (LicenseKeys); a seeded main server holds one valid key. */
  readonly licenseKeys = new KscLicenseKeys();
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
    // What the provider's admin prepared in the console (config/seed.ts): per OS family a Network
    // Agent package and a Light Agent package on the main server.
    for (const f of SEED_OS_FAMILIES) {
      const na = SEED_NETWORK_AGENT_PACKAGES[f];
      this.addPackage(MAIN_SERVER, na.packageName, NETWORK_AGENT_PRODUCT, na.version, undefined, f);
    }
    for (const f of SEED_OS_FAMILIES) {
      const la = SEED_LIGHT_AGENT[f];
      this.addPackage(MAIN_SERVER, la.packageName, la.product, la.version, undefined, f);
    }
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
      throw new KscModelError(
        'KLSRV_VS_LIMIT',
        `the Administration Server already has ${this.vservers.size} virtual servers (limit ${this.assumptions().kscMaxVirtualServers})`,
      );
    }
    if (!this.groups.has(parentGroupId) || this.groups.get(parentGroupId)!.vsId !== MAIN_SERVER) {
      throw new KscModelError('STDE_NOTFOUND', `group ${parentGroupId} not found on the main server`);
    }
    let dn = displayName;
    for (let n = 1; this.findVServerByDn(dn); n++)
      dn = `${displayName}${this.assumptions().kscDuplicateVServerNameSuffix.replace('{n}', String(n))}`;
    const id = this.nextVsId++;
    const uid = `VSRV${randomUUID()}`;
    const superId = this.nextGroupId++;
    const groupsId = this.nextGroupId++;
    const unassignedId = this.nextGroupId++;
    const vs: VServer = {
      id,
      uid,
      dn,
      parentGroupId,
      groupsId,
      superId,
      unassignedId,
      hostUid: uid,
      enabled: true,
      licEnabled: true,
      created: new Date(),
      description: '',
    };
    this.vservers.set(id, vs);
    this.groups.set(superId, {
      id: superId,
      vsId: id,
      name: 'Administration Server',
      parentId: -1,
      created: new Date(),
    });
    this.groups.set(groupsId, { id: groupsId, vsId: id, name: 'Managed devices', parentId: -1, created: new Date() });
    this.groups.set(unassignedId, {
      id: unassignedId,
      vsId: id,
      name: 'Unassigned devices',
      parentId: -1,
      created: new Date(),
    });
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
    if (this.childGroup(vsId, parentId, name))
      throw new KscModelError('STDE_EXIST', `group "${name}" already exists in group ${parentId}`);
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

  addHost(
    vsId: number,
    h: Omit<Host, 'hostName' | 'vsId' | 'products' | 'lastVisible'> & { products?: string[] },
  ): Host {
    const group = this.groups.get(h.groupId);
    if (!group || group.vsId !== vsId) throw new KscModelError('STDE_NOTFOUND', `group ${h.groupId} not found`);
    // A record made for an address (HostGroup.AddHost with KLHST_WKS_IP) is that machine on the network.
    const machine = h.ip !== undefined ? this.network.get(h.ip) : undefined;
    const host: Host = {
      ...h,
      biosId: h.biosId ?? machine?.biosId,
      osFamily: h.osFamily ?? machine?.osFamily,
      hostName: randomUUID(),
      vsId,
      products: h.products ?? [],
      lastVisible: new Date(),
    };
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

  /**
   * Reconnection with an empty KLNAG_VS_NAME (ksc-openapi-addendum.md §4.2, DOCUMENTED): the agent
   * switches to the current physical server; the device lands in its Unassigned devices.
   */
  reconnectHostToMainServer(host: Host): Host {
    this.hosts.delete(host.hostName);
    const moved: Host = {
      ...host,
      hostName: this.assumptions().kscNewHostIdAfterMove ? randomUUID() : host.hostName,
      vsId: MAIN_SERVER,
      groupId: this.unassignedGroupOf(MAIN_SERVER),
      lastVisible: new Date(),
    };
    this.hosts.set(moved.hostName, moved);
    return moved;
  }

  /** A machine on the network without a Network Agent (the admin API seeds these). */
  addNetworkMachine(m: NetworkMachine): NetworkMachine {
    this.network.set(m.ip, m);
    return m;
  }

  // ---- users -------------------------------------------------------------------------------

  addUser(vsId: number, name: string, password: string): User {
    const clash = [...this.users.values()].find(
      (u) =>
        u.name.toLowerCase() === name.toLowerCase() && (this.assumptions().kscUniqueAccountNames || u.vsId === vsId),
    );
    if (
      clash ||
      (this.assumptions().kscUniqueAccountNames && name.toLowerCase() === this.providerAccount.name.toLowerCase())
    ) {
      throw new KscModelError(
        'KLSPL_USER_EXISTS',
        `an account named "${name}" already exists on this Administration Server or one of its virtual servers`,
      );
    }
    const user: User = {
      id: this.nextUserId++,
      vsId,
      name,
      passwordSha256: sha256(password),
      enabled: true,
      securityGroups: [],
    };
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
    if (!u || u.vsId !== vsId || !g || g.vsId !== vsId)
      throw new KscModelError('STDE_NOTFOUND', 'user and security group must exist on the same server');
    if (!u.securityGroups.includes(groupId)) u.securityGroups.push(groupId);
  }

  // ---- packages and policies ---------------------------------------------------------------

  addPackage(
    vsId: number,
    name: string,
    productName: string,
    productVersion: string,
    retranslatedFrom?: number,
    osFamily?: SeedOsFamily,
  ): Package {
    const p = { id: this.nextPackageId++, vsId, name, productName, productVersion, osFamily, retranslatedFrom };
    this.packages.set(p.id, p);
    return p;
  }

  packagesOf(vsId: number): Package[] {
    return [...this.packages.values()].filter((p) => p.vsId === vsId);
  }

  /** RetranslateToVServerAsync: the vAS gets its own copy (a new id) unless it already has one. */
  retranslatePackage(packageId: number, vsId: number): Package {
    const source = this.packages.get(packageId);
    if (!source || source.vsId !== MAIN_SERVER)
      throw new KscModelError('STDE_NOTFOUND', `package ${packageId} not found on the main server`);
    this.requireVServer(vsId);
    const existing = this.packagesOf(vsId).find((p) => p.retranslatedFrom === packageId);
    return (
      existing ??
      this.addPackage(vsId, source.name, source.productName, source.productVersion, packageId, source.osFamily)
    );
  }

  /** A policy with the documented defaults (inactive, accepts parent) and an empty settings storage for its product/version. */
  addPolicy(
    vsId: number,
    p: Pick<Policy, 'groupId' | 'name' | 'productName' | 'productVersion'> &
      Partial<Omit<Policy, 'id' | 'vsId' | 'created' | 'modified'>>,
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
      network: [...this.network.values()],
      licenseKeys: this.licenseKeys.snapshot(),
    };
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
