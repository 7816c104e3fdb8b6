import { seconds, table } from '../output';
import { Handover, TenantDetail } from '../tenant-view';

export function detailLines(t: TenantDetail): string[] {
  return [
    `${t.name} (${t.id})`,
    `  order ${t.orderId}, site ${t.siteId}, status ${t.status}, step ${t.currentStep}`,
    ...(t.failure
      ? [
          `  failed at ${t.failure.step}: ${t.failure.code}: ${t.failure.message}${t.failure.retryable ? ' (retryable: tpo tenants retry)' : ''}`,
        ]
      : []),
    ...(t.virtualAdministrationServer?.connectionString
      ? [`  virtual Administration Server ${t.virtualAdministrationServer.connectionString}`]
      : []),
    `  admin account ${t.adminAccountName}, initial password ${t.initialAdminPassword.state}`,
    `  VMs ${Object.entries(t.vms)
      .filter(([, v]) => !Array.isArray(v) || v.length > 0)
      .map(([k, v]) => `${Array.isArray(v) ? v.length : String(v)} ${k}`)
      .join(', ')}`,
    '',
    ...table(
      ['step', 'status', 'attempt', 'elapsed', 'error'],
      t.timeline.map((s) => [
        s.step,
        s.status,
        s.attempt ?? '',
        seconds(s.startedAt, s.endedAt),
        s.errorCode ? `${s.errorCode}: ${s.errorMessage}` : '',
      ]),
    ).map((l) => `  ${l}`),
  ];
}

export function handoverLines(h: Handover): string[] {
  return [
    'Handover (shown once; a second reveal answers 410 Gone):',
    `  virtual Administration Server  ${h.administrationServer.connectionString}`,
    `  admin account                  ${h.adminAccountName}`,
    `  initial password               ${h.password}`,
    `  ${h.advice}`,
  ];
}
