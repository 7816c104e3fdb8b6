/** One state-changing call the simulator accepted: which operation, on what (a tenant name, a BIOS id…), when. */
export interface CallRecord {
  at: string;
  op: string;
  key: string;
}

/**
 * Per-call log of state-changing operations, so a checker can count external effects per
 * resource (e.g. two CreateTenant calls for one tenant name is a duplicate effect). Bounded.
 */
export class CallLog {
  private readonly records: CallRecord[] = [];

  constructor(private readonly max = 100_000) {}

  record(op: string, key: string): void {
    if (this.records.length >= this.max) this.records.shift();
    this.records.push({ at: new Date().toISOString(), op, key });
  }

  snapshot(): CallRecord[] {
    return [...this.records];
  }
}
