import { Command, InvalidArgumentError } from 'commander';
import { resolveConfig } from '../cli-config';
import { CliError, ExitCode } from '../cli-error';
import { Output } from '../output';
import { PlatformClient } from '../platform-client';

export interface GlobalFlags {
  json?: boolean;
  url?: string;
  config?: string;
}

export interface CommandContext {
  client: PlatformClient;
  out: Output;
  services: string[];
}

/** Wraps an action: builds the client from the global flags, maps any failure to its exit code. */
export function action<A extends unknown[]>(run: (ctx: CommandContext, ...args: A) => Promise<ExitCode | void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const flags = command.optsWithGlobals<GlobalFlags>();
    const out = new Output(Boolean(flags.json));
    try {
      const config = resolveConfig(flags);
      const code = await run(
        { client: new PlatformClient(config), out, services: Object.keys(config.services) },
        ...(args.slice(0, -1) as A),
      );
      process.exitCode = code ?? ExitCode.Done;
    } catch (e) {
      const error =
        e instanceof CliError
          ? e
          : new CliError(`unexpected: ${(e as Error).message ?? String(e)}`, ExitCode.PlatformError, 'UNEXPECTED');
      out.error(error);
      process.exitCode = error.exitCode;
    }
  };
}

/** A positive whole number option (`--limit 20`); anything else is invalid input. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--${name} must be a positive whole number`);
    return n;
  };
}
