import { createHash } from 'node:crypto';

/**
 * The latest whole period that ended at least `settleSeconds` ago, periods aligned on the epoch
 * (86,400 s = UTC days). The vendor recommends day granularity and a period ending at least 60
 * minutes before now for reliable data (integration-server-api.md §4.1). Whole seconds: the
 * Integration Server's `from`/`to` have no fractions (§1.4).
 */
export function latestClosedPeriod(now: Date, periodSeconds: number, settleSeconds: number): { from: Date; to: Date } {
  const p = periodSeconds * 1000;
  const end = Math.floor((now.getTime() - settleSeconds * 1000) / p) * p;
  return { from: new Date(end - p), to: new Date(end) };
}

export interface ReportSummary {
  rows: number;
  protectedVms: number;
  bytes: number;
  sha256: string;
}

/**
 * Figures of a report CSV: `{tenant ID};{tenant name};{VM ID};{VM name};{enabled at};{disabled at}`
 * per protection period, no header (§4.2; CRLF or LF). Distinct VMs by the VM id column.
 */
export function summarizeReport(content: Buffer): ReportSummary {
  const vms = new Set<string>();
  let rows = 0;
  for (const line of content.toString('utf8').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    rows++;
    const vm = line.split(';')[2]?.trim();
    if (vm) vms.add(vm.toLowerCase());
  }
  return {
    rows,
    protectedVms: vms.size,
    bytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}
