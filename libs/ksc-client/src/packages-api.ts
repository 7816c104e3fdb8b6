import { ActionOutcome, AsyncActions, WaitForActionOptions } from './async-actions';
import { kscLong } from './ksc-codec';
import { asRecord, asRecords, KscPackageInfo, requireString } from './ksc-records';
import { KscSession } from './ksc-session';

export interface RetranslateOptions {
  createStandaloneProducts?: boolean;
  createStandaloneNetworkAgent?: boolean;
  languageTag?: string;
  /** KLPKG_TYPE bits: 1 common, 2 install, 4 patch, 8 uninstall, 16 OS image, 32 published. */
  packageType?: number;
  lazy?: boolean;
}

/** PackagesApi (ksc-openapi.md §3.7) on the session's server. */
export class PackagesApi {
  constructor(
    private readonly session: KscSession,
    private readonly actions = new AsyncActions(),
  ) {}

  async getPackages(): Promise<KscPackageInfo[]> {
    return asRecords<KscPackageInfo>((await this.session.call('PackagesApi.GetPackages')).PxgRetVal);
  }

  /** KLPKG_NPI_* records; only KLPKG_NPI_PKGID is confirmed (Q10). */
  async getPackages2(): Promise<KscPackageInfo[]> {
    return asRecords<KscPackageInfo>((await this.session.call('PackagesApi.GetPackages2')).PxgRetVal);
  }

  async getPackageInfo2(packageId: number): Promise<KscPackageInfo> {
    return asRecord<KscPackageInfo>(
      (await this.session.call('PackagesApi.GetPackageInfo2', { nPackageId: packageId })).PxgRetVal,
    );
  }

  /** Id of a package whichever list form the server uses. */
  static packageId(p: KscPackageInfo): number | undefined {
    return typeof p.KLPKG_NPI_PKGID === 'number'
      ? p.KLPKG_NPI_PKGID
      : typeof p.KLPKG_ID === 'number'
        ? p.KLPKG_ID
        : undefined;
  }

  /** Copies a main-server package into a vAS; returns the request id to poll (main session, §3.7). */
  async retranslateToVServer(packageId: number, vServerId: number, o: RetranslateOptions = {}): Promise<string> {
    const r = await this.session.call('PackagesApi.RetranslateToVServerAsync', {
      nPackageId: packageId,
      nVServerId: vServerId,
      pOptions: {
        KLPKG_CREATE_STANDALONE_PRODS: o.createStandaloneProducts,
        KLPKG_CREATE_STANDALONE_NAGT: o.createStandaloneNetworkAgent,
        KLPKG_USE_LANGUAGE_TAG: o.languageTag,
        KLPKG_TYPE: o.packageType === undefined ? undefined : kscLong(o.packageType),
        KLPKG_LAZY_RETRANSLATION: o.lazy,
      },
    });
    return requireString(r, 'PxgRetVal', 'PackagesApi.RetranslateToVServerAsync');
  }

  async retranslateToVServerAndWait(
    packageId: number,
    vServerId: number,
    o: RetranslateOptions = {},
    wait?: WaitForActionOptions,
  ): Promise<ActionOutcome> {
    return this.actions.waitForAction(this.session, await this.retranslateToVServer(packageId, vServerId, o), wait);
  }
}
