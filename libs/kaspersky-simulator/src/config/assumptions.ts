/**
 * Every behaviour the vendor documents do not pin down, as a named, switchable setting. The ids
 * point to the open questions in shared/reference (integration-server-api.md §12 as IS-n,
 * ksc-openapi.md §9 as KSC-Qn). Defaults follow the references' "best-supported assumption";
 * change them per site through the config file or `PATCH /sites/:id/assumptions` to mimic a server
 * that behaves differently. `GET /assumptions` on the admin port lists them with their sources.
 */
export interface SimulatorAssumptions {
  /** IS-3: 401 for a missing/malformed Authorization header and 403 for wrong credentials, or 403 for both. */
  isAuthFailure: 'missing-401-wrong-403' | 'always-403';
  /** IS-7: tenant type when `<type>` is omitted (`required` mimics 6.3: 400 VIRMT_MandatoryParameterIsNotSpecified). */
  isDefaultTenantType: 'Simple' | 'required';
  /** IS-10: KSC_ServiceNotConfigured also fails Simple-tenant tasks. */
  isKscNotConfiguredAffectsSimple: boolean;
  /** IS-6: tenant names unique across all tenants (not only through the KSC group check). */
  isStrictTenantNameUniqueness: boolean;
  /** IS-11: register also accepts a `<vms>` list, all-or-nothing. */
  isAcceptVmsListOnRegister: boolean;
  /** IS-26: `Content-Range` form on partial report downloads. */
  isContentRangeStyle: 'rfc' | 'vendor';
  /** IS-9: `removeTenantArtifacts` when omitted. */
  isRemoveArtifactsDefault: boolean;
  /** IS-29: accept IPv6 in `preferredViisAddress`. */
  isAcceptIpv6ViisAddress: boolean;
  /** IS-5: invented code when a Complete tenant would exceed the KSC's virtual-server cap. */
  isVirtualServerLimitCode: string;
  /** IS-5: invented code when the vKSC admin account name is taken on the KSC. */
  isUserExistsCode: string;
  /** IS §6.1: protection-report data collection enabled. */
  isReportsEnabled: boolean;
  /** IS §6.2: hours a generated report file stays downloadable (404 after). */
  isReportLifetimeHours: number;
  /** IS §1.3: generating a report without `Accept: application/csv` is refused with 415 (documented only for the download). */
  isReportGenerateRequiresCsvAccept: boolean;
  /** IS-18: task records kept at least this long. */
  isTaskRetentionHours: number;
  /** Not documented: the vAS display name the IS gives a Complete tenant's virtual server. */
  isVirtualServerNameFormat: '{name}';
  /** KSC-Q1: HTTP status carried with a PxgError body. */
  kscPxgErrorHttpStatus: number;
  /** KSC-Q2: idle timeout of StartSession tokens (seconds). */
  kscSessionIdleTimeoutSeconds: number;
  /** ksc-openapi §2.6/§3.8 (S19): internal user names unique across the KSC and all its vASs. */
  kscUniqueAccountNames: boolean;
  /** ksc-openapi §3.1: AddVServerInfo makes a taken name unique with this suffix ({n} = counter). */
  kscDuplicateVServerNameSuffix: string;
  /** Key in TASK_ADDITIONAL_PARAMS of `Remote Installation` holding the package ids (addendum §1.2). */
  kscRemoteInstallPackagesKey: string;
  /** Key of the group a device moves to when installed (addendum §1.2, DOCUMENTED in the RI option set). */
  kscRemoteInstallMoveGroupKey: string;
  /** Push-install accounts of `Remote Installation`: list key, and user / protected-password keys of an entry (addendum §1.2). */
  kscRemoteInstallLoginListKey: string;
  kscRemoteInstallLoginUserKey: string;
  kscRemoteInstallLoginPasswordKey: string;
  /** Key of `Remote Deinstallation` naming the product to remove (addendum §4.1). */
  kscRemoteDeinstallProductKey: string;
  /** KSC-Q11: a host moved into a vAS gets a new host id there. */
  kscNewHostIdAfterMove: boolean;
  /** ksc-openapi §7: virtual Administration Servers per KSC. */
  kscMaxVirtualServers: number;
  /** ksc-openapi §3.5: lNextCheckDelay returned by CheckActionState (ms). */
  kscAsyncCheckDelayMs: number;
  /** ksc-openapi §3.5: polling before lNextCheckDelay elapsed answers STDE_UNAVAIL. */
  kscEnforceCheckDelay: boolean;
  /** KSC-§1.3/§3.8: typed scalars (binary, long, datetime) in PxgRetVal/out-params sent wrapped (`{"type":…}`) or bare. */
  kscTopLevelScalarsWrapped: boolean;
  /** ksc-openapi §4.1: string comparisons in `wstrFilter` ignore case. */
  kscFilterCaseInsensitive: boolean;
  /** KSC-Q3: a decodable X-KSC-VServer naming no vAS fails the login (`reject`) or selects the main server. */
  kscUnknownVServerLogin: 'reject' | 'main-server';
}

export const DEFAULT_ASSUMPTIONS: SimulatorAssumptions = {
  isAuthFailure: 'missing-401-wrong-403',
  isDefaultTenantType: 'Simple',
  isKscNotConfiguredAffectsSimple: true,
  isStrictTenantNameUniqueness: false,
  isAcceptVmsListOnRegister: true,
  isContentRangeStyle: 'rfc',
  isRemoveArtifactsDefault: false,
  isAcceptIpv6ViisAddress: false,
  isVirtualServerLimitCode: 'KSC_VirtualServerLimitReached',
  isUserExistsCode: 'KSC_UserAlreadyExists',
  isReportsEnabled: true,
  isReportLifetimeHours: 24,
  isReportGenerateRequiresCsvAccept: true,
  isTaskRetentionHours: 24,
  isVirtualServerNameFormat: '{name}',
  kscPxgErrorHttpStatus: 200,
  kscSessionIdleTimeoutSeconds: 1800,
  kscUniqueAccountNames: true,
  kscDuplicateVServerNameSuffix: ' ({n})',
  kscRemoteInstallPackagesKey: 'KLTSK_RI_PACKAGES_IDS',
  kscRemoteInstallMoveGroupKey: 'KLTSK_RI_GROUP_TO_MOVE_HOST',
  kscRemoteInstallLoginListKey: 'LoginList',
  kscRemoteInstallLoginUserKey: 'UserName',
  kscRemoteInstallLoginPasswordKey: 'Password',
  kscRemoteDeinstallProductKey: 'ProductName',
  kscNewHostIdAfterMove: true,
  kscMaxVirtualServers: 500,
  kscAsyncCheckDelayMs: 1000,
  kscEnforceCheckDelay: true,
  kscTopLevelScalarsWrapped: true,
  kscFilterCaseInsensitive: true,
  kscUnknownVServerLogin: 'reject',
};

export const ASSUMPTION_SOURCES: Record<keyof SimulatorAssumptions, string> = {
  isAuthFailure: 'integration-server-api.md §1.2, §12.3',
  isDefaultTenantType: 'integration-server-api.md §12.7',
  isKscNotConfiguredAffectsSimple: 'integration-server-api.md §12.10',
  isStrictTenantNameUniqueness: 'integration-server-api.md §12.6',
  isAcceptVmsListOnRegister: 'integration-server-api.md §3.7, §12.11',
  isContentRangeStyle: 'integration-server-api.md §4.2, §12.26',
  isRemoveArtifactsDefault: 'integration-server-api.md §3.9, §12.9',
  isAcceptIpv6ViisAddress: 'integration-server-api.md §9.3, §12.29',
  isVirtualServerLimitCode: 'integration-server-api.md §12.5 (invented code)',
  isUserExistsCode: 'integration-server-api.md §12.5 (invented code)',
  isReportsEnabled: 'integration-server-api.md §6.1, §12.25',
  isReportLifetimeHours: 'integration-server-api.md §6.2, §12.24',
  isReportGenerateRequiresCsvAccept:
    'integration-server-api.md §1.3 (415 documented for the download only; assumed for generation too)',
  isTaskRetentionHours: 'integration-server-api.md §12.18',
  isVirtualServerNameFormat: 'not documented: vAS display name of a Complete tenant',
  kscPxgErrorHttpStatus: 'ksc-openapi.md §1.4, Q1',
  kscSessionIdleTimeoutSeconds: 'ksc-openapi.md §2.5, Q2',
  kscUniqueAccountNames: 'ksc-openapi.md §3.8 (S19 note)',
  kscDuplicateVServerNameSuffix: 'ksc-openapi.md §3.1 (suffix format unknown)',
  kscRemoteInstallPackagesKey:
    'ksc-openapi-addendum.md §1.2 (DOCUMENTED for CreateExecutablePkgAsync; in the task ASSUMPTION)',
  kscRemoteInstallMoveGroupKey: 'ksc-openapi-addendum.md §1.2 (DOCUMENTED in the RI option set)',
  kscRemoteInstallLoginListKey: 'ksc-openapi-addendum.md §1.2 (ASSUMPTION: old header KLTSK_RI_LOGIN_LIST)',
  kscRemoteInstallLoginUserKey: 'ksc-openapi-addendum.md §1.2 (ASSUMPTION: old header KLTSK_RI_USER_NAME)',
  kscRemoteInstallLoginPasswordKey: 'ksc-openapi-addendum.md §1.2 (ASSUMPTION: not found anywhere)',
  kscRemoteDeinstallProductKey: 'ksc-openapi-addendum.md §4.1 (ASSUMPTION: old header KLTSK_RU_PRODUCT_NAME)',
  kscNewHostIdAfterMove: 'ksc-openapi.md Q11',
  kscMaxVirtualServers: 'ksc-openapi.md §7 / integration-server-api.md §8.0',
  kscAsyncCheckDelayMs: 'ksc-openapi.md §3.5',
  kscEnforceCheckDelay: 'ksc-openapi.md §3.5 (STDE_UNAVAIL)',
  kscTopLevelScalarsWrapped: 'ksc-openapi.md §1.3, §3.8 (reply form of ProtectUtf16StringGlobally unknown)',
  kscFilterCaseInsensitive: 'ksc-openapi.md §4.1 (not documented)',
  kscUnknownVServerLogin: 'ksc-openapi.md §2.4, Q3',
};
