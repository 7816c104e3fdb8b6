import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from './cli-error';

/** Reads a JSON object from a file (`-` = stdin); a missing, unreadable or non-JSON file is invalid input (exit 2). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${what} file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`,
      ExitCode.InvalidInput,
      'INVALID_FILE',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `${what} file ${path} is not valid JSON: ${(e as Error).message}`,
      ExitCode.InvalidInput,
      'INVALID_FILE',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${what} file ${path} must hold one JSON object`, ExitCode.InvalidInput, 'INVALID_FILE');
  return parsed as Record<string, unknown>;
}
