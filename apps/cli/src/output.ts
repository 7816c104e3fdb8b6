import { CliError } from './cli-error';

/** Where a command's results go: human text, or one JSON document on stdout (`--json`). */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The command's result: printed as JSON with --json, else by `human`. */
  result(value: unknown, human: () => string[]): void {
    if (this.json) this.out.write(`${JSON.stringify(value, null, 2)}\n`);
    else for (const line of human()) this.out.write(`${line}\n`);
  }

  /** Progress and notes: stderr, and never in --json mode (stdout stays one parseable document). */
  note(line: string): void {
    if (!this.json) this.err.write(`${line}\n`);
  }

  error(e: CliError): void {
    if (this.json) {
      this.out.write(
        `${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details, status: e.status }, exitCode: e.exitCode }, null, 2)}\n`,
      );
      return;
    }
    this.err.write(`error: ${e.message}${e.code ? ` (${e.code})` : ''}\n`);
    for (const d of e.details ?? []) this.err.write(`  - ${d}\n`);
  }
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: (string | number | null | undefined)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

export function seconds(from?: string | null, to?: string | null, now = Date.now()): string {
  if (!from) return '';
  const end = to ? Date.parse(to) : now;
  return `${((end - Date.parse(from)) / 1000).toFixed(1)} s`;
}
