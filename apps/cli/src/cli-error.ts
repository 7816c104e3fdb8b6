/** What `tpo` exit codes mean (documented in `tpo --help` and docs/operations.md). */
export enum ExitCode {
  Done = 0,
  /** The platform answered 5xx, 429, or could not be reached. */
  PlatformError = 1,
  /** Bad arguments, unreadable or invalid file, or the platform refused the request (4xx). */
  InvalidInput = 2,
  /** A watched onboarding stopped at a failed step. */
  FailedStep = 3,
  /** No credentials, or the platform refused them (401) or the role (403). */
  Auth = 4,
}

/** An error the CLI reports as it is (the platform's message, code and field paths) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code?: string,
    readonly details?: string[],
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The exit code for an HTTP status the platform answered with. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.Auth;
  if (status === 429 || status >= 500) return ExitCode.PlatformError;
  return ExitCode.InvalidInput;
}
