/**
 * Every KSC Open API method the clients in this library send, with the top-level parameter names
 * they send. Each entry is DOCUMENTED (an official Kaspersky page, cited through
 * shared/reference/ksc-openapi.md `§n` or ksc-openapi-addendum.md `addendum §n`) or an ASSUMPTION
 * (with where to confirm it on a lab server). `method-catalog.spec.ts` scans the sources and fails
 * when a call or parameter is missing here.
 *
 * Adding a method: one entry, its status and source; parameter names exactly as sent (they are
 * case-sensitive on the wire, ksc-openapi.md §1.1). Never add a name only because a test needs it.
 */
export interface KscMethodEntry {
  status: 'DOCUMENTED' | 'ASSUMPTION';
  /** Reference section (DOCUMENTED) or where to capture / verify it (ASSUMPTION). */
  source: string;
  /** Top-level parameter names the client sends (subset of the method's inputs). */
  params: readonly string[];
}

const doc = (source: string, ...params: string[]): KscMethodEntry => ({ status: 'DOCUMENTED', source, params });
const assumed = (source: string, ...params: string[]): KscMethodEntry => ({ status: 'ASSUMPTION', source, params });

export const KSC_METHOD_CATALOG: Readonly<Record<string, KscMethodEntry>> = {
  // Sessions (§2.3, §2.5)
  'Session.StartSession': doc('§2.3'),
  'Session.EndSession': doc('§2.5'),
  'Session.Ping': doc('§2.3'),
  'Session.CreateToken': doc('§2.3'),
  // Asynchronous actions and iterators (§3.5, §4)
  'AsyncActionStateChecker.CheckActionState': doc('§3.5', 'wstrActionGuid'),
  'ChunkAccessor.GetItemsCount': doc('§4.1', 'strAccessor'),
  'ChunkAccessor.GetItemsChunk': doc('§4.1', 'strAccessor', 'nStart', 'nCount'),
  'ChunkAccessor.Release': doc('§4.1', 'strAccessor'),
  'EventProcessing.GetRecordCount': doc('§4.3', 'strIteratorId'),
  'EventProcessing.GetRecordRange': doc('§4.3', 'strIteratorId', 'nStart', 'nEnd'),
  'EventProcessing.ReleaseIterator': doc('§4.3', 'strIteratorId'),
  // Virtual servers (§3.1)
  'VServers.GetVServers': doc('§3.1', 'lParentGroup'),
  'VServers.GetVServerInfo': doc('§3.1', 'lVServer', 'pFields2Return'),
  'VServers.AddVServerInfo': doc('§3.1', 'strDisplayName', 'lParentGroup'),
  'VServers.UpdateVServerInfo': doc('§3.1', 'lVServer', 'pInfo'),
  'VServers.DelVServer': doc('§3.1; addendum §4.5', 'lVServer'),
  'VServers.RecallCertAndCloseConnections': doc('§3.1; addendum §4.5', 'lVServer'),
  // Groups and hosts (§3.2, §3.10)
  'HostGroup.GroupIdGroups': doc('§3.2'),
  'HostGroup.GroupIdUnassigned': doc('§3.2'),
  'HostGroup.GroupIdSuper': doc('§3.2'),
  'HostGroup.GetGroupId': doc('§3.2', 'nParent', 'strName'),
  'HostGroup.AddGroup': doc('§3.2', 'pInfo'),
  'HostGroup.RemoveGroup': doc('§3.2', 'nGroup', 'nFlags'),
  'HostGroup.FindHosts': doc(
    '§3.2, §4.1',
    'wstrFilter',
    'vecFieldsToReturn',
    'vecFieldsToOrder',
    'pParams',
    'lMaxLifeTime',
  ),
  'HostGroup.FindGroups': doc(
    '§3.2, §4.1',
    'wstrFilter',
    'vecFieldsToReturn',
    'vecFieldsToOrder',
    'pParams',
    'lMaxLifeTime',
  ),
  'HostGroup.GetHostInfo': doc('§3.2', 'strHostName', 'pFields2Return'),
  'HostGroup.GetHostProducts': doc('§3.2', 'strHostName'),
  'HostGroup.AddHost': doc('§3.2', 'pInfo'),
  'HostGroup.MoveHostsToGroup': doc('§3.2', 'nGroup', 'pHostNames'),
  'HostGroup.RemoveHost': doc('§3.2; addendum §4.3', 'strHostName'),
  'HostGroup.GetStaticInfo': doc('§3.10', 'pValues'),
  // Installation packages (§3.7, addendum §1.6)
  'PackagesApi.GetPackages': doc('§3.7'),
  'PackagesApi.GetPackages2': doc('§3.7; addendum §1.6'),
  'PackagesApi.GetPackageInfo2': doc('§3.7', 'nPackageId'),
  'PackagesApi.RetranslateToVServerAsync': doc('§3.7', 'nPackageId', 'nVServerId', 'pOptions'),
  // Tasks (§3.6, addendum §1)
  'Tasks.AddTask': doc('§3.6; addendum §1.3', 'pData'),
  'Tasks.GetTask': doc('§3.6', 'strTask'),
  'Tasks.GetTaskData': doc('§3.6', 'strTask'),
  'Tasks.UpdateTask': doc('§3.6', 'strTask', 'pData'),
  'Tasks.RunTask': doc('§3.6', 'strTask'),
  'Tasks.CancelTask': doc('§3.6', 'strTask'),
  'Tasks.DeleteTask': doc('§3.6; addendum §4.4', 'strTask'),
  'Tasks.AddHostToTask': doc('§3.6; addendum §1.3', 'strTask', 'strHostName'),
  'Tasks.GetTaskStatistics2': doc('§3.6', 'strTask'),
  'Tasks.GetTaskHistory': doc('§3.6, §4.3', 'strTask', 'pFields2Return', 'pSortFields', 'strHostName', 'pFilter'),
  'Tasks.ProtectPassword': doc('§3.6; addendum §1.2', 'strPassword'),
  'Tasks.ResetHostIteratorForTaskStatusEx': doc(
    'addendum §1.5 (KSC15/a00588)',
    'strTask',
    'pFields2Return',
    'pFields2Order',
    'nHostStateMask',
    'nLifetime',
  ),
  'Tasks.GetHostStatusRecordsCount': doc('addendum §1.5', 'strHostIteratorId'),
  'Tasks.GetHostStatusRecordRange': doc('addendum §1.5 (KSC14/a00585)', 'strHostIteratorId', 'nStart', 'nEnd'),
  'Tasks.ReleaseHostStatusIterator': doc('addendum §1.5', 'strHostIteratorId'),
  // Accounts (§3.8)
  'DataProtectionApi.ProtectUtf16StringGlobally': doc('§3.8', 'szwPlainText'),
  'SecurityPolicy.AddUser': doc('§3.8', 'pUser'),
  'SecurityPolicy.DeleteUser': doc('§3.8', 'lUserId'),
  'SecurityPolicy.GetUsers': assumed(
    'not in ksc-openapi.md: verify GetUsers(lUserId, lVsId) on a lab server',
    'lUserId',
    'lVsId',
  ),
  'SecurityPolicy3.AddSecurityGroup': doc('§3.8', 'pGrpParams', 'lVsId'),
  'SecurityPolicy3.AddUserIntoSecurityGroup': doc('§3.8', 'lUserId', 'lGrpId'),
  'SecurityPolicy3.CloseUserConnections': doc('§3.8', 'lUserId'),
  // Licences (addendum §3.2)
  'LicenseKeys.EnumKeys': doc(
    'addendum §3.2 (KSC13/a00502, KSC16/a00569)',
    'pFields',
    'pFieldsToOrder',
    'pOptions',
    'lTimeoutSec',
  ),
  'LicenseKeys.GetKeyData': doc('addendum §3.2', 'pKeyInfo'),
  'GroupSyncIterator.GetNextItems': doc('§4.2; addendum §3.2', 'szwIterator', 'nCount'),
  'GroupSyncIterator.ReleaseIterator': doc('§4.2; addendum §3.2', 'szwIterator'),
  // Policies (addendum §2.1, DOCUMENTED KSC14/a00556, KSC15/a00559): only the documented KLPOL_* attributes travel inside pPolicyData / pExtraData
  'Policy.AddPolicy': doc('addendum §2.1 (KSC14/a00556_a0876a19…)', 'pPolicyData'),
  'Policy.GetPolicyData': doc('addendum §2.1', 'nPolicy'),
  'Policy.UpdatePolicyData': doc('addendum §2.1 (KSC15.1/a00570_a6998cc…)', 'nPolicy', 'pPolicyData'),
  'Policy.DeletePolicy': doc('addendum §2.1, §4.4', 'nPolicy'),
  'Policy.GetPoliciesForGroup': doc('addendum §2.1', 'nGroupId'),
  'Policy.CopyOrMovePolicy': doc('addendum §2.1, §2.5', 'nPolicy', 'nNewGroupId', 'bDeleteOrigin', 'pExtraData'),
  'Policy.MakePolicyActive': doc('addendum §2.1', 'nPolicy', 'bActive'),
  'Policy.GetPolicyContents': doc('addendum §2.1', 'nPolicy', 'nRevisionId', 'nLifeTime'),
  // Settings storages (addendum §2.2, DOCUMENTED KSC13/a00550; names case-sensitive). `pNewData` is
  // DOCUMENTED for Ss_Replace (addendum §2.4 example); for Ss_Update / Ss_Add it is an ASSUMPTION of the same shape.
  'SsContents.SS_GetNames': doc('addendum §2.2', 'wstrID', 'wstrProduct', 'wstrVersion'),
  'SsContents.Ss_Read': doc('addendum §2.2', 'wstrID', 'wstrProduct', 'wstrVersion', 'wstrSection'),
  'SsContents.Ss_Replace': doc(
    'addendum §2.2, §2.4',
    'wstrID',
    'wstrProduct',
    'wstrVersion',
    'wstrSection',
    'pNewData',
  ),
  'SsContents.Ss_Update': assumed(
    'method DOCUMENTED (addendum §2.2); data parameter name pNewData assumed from Ss_Replace (§2.4): verify on a lab server',
    'wstrID',
    'wstrProduct',
    'wstrVersion',
    'wstrSection',
    'pNewData',
  ),
  'SsContents.Ss_Add': assumed(
    'method DOCUMENTED (addendum §2.2); data parameter name pNewData assumed from Ss_Replace (§2.4): verify on a lab server',
    'wstrID',
    'wstrProduct',
    'wstrVersion',
    'wstrSection',
    'pNewData',
  ),
  'SsContents.Ss_CreateSection': doc('addendum §2.2', 'wstrID', 'wstrProduct', 'wstrVersion', 'wstrSection'),
  'SsContents.Ss_Apply': doc('addendum §2.2', 'wstrID'),
  'SsContents.Ss_Release': doc('addendum §2.2', 'wstrID'),
};

/**
 * TASK_NAME values the clients send, with the product / version / component that executes them.
 * Remote Installation / Deinstallation are DOCUMENTED; the Network Agent reconnection task name is
 * documented (§3.3) but its product triple is an ASSUMPTION taken from the official "show message"
 * sample (1103 / 1.0.0.0 / 86).
 */
export const KSC_TASK_TYPE_CATALOG: Readonly<
  Record<string, KscMethodEntry & { product: string; version: string; component: string }>
> = {
  'Remote Installation': {
    ...doc('addendum §1.1 (KSC15/a00259, KSC16/a00266)'),
    product: '1093',
    version: '1.0.0.0',
    component: '87',
  },
  'Remote Deinstallation': { ...doc('addendum §1.1, §4.1'), product: '1093', version: '1.0.0.0', component: '87' },
  KLNAG_TASK_RECONNECTION: {
    ...assumed(
      '§3.3: name DOCUMENTED (KSC13.2/a00261), triple from the show-message sample; capture with Tasks.GetTaskData',
    ),
    product: '1103',
    version: '1.0.0.0',
    component: '86',
  },
};
