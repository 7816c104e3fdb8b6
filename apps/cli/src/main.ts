import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from './cli-error';
import { deadLettersCommand } from './commands/dead-letters.command';
import { sitesCommand } from './commands/sites.command';
import { tenantsCommand } from './commands/tenants.command';

const HELP_FOOTER = `
Connection (flags, then environment, then the config file, then the local platform):
  TPO_URL       tenant-service URL (default http://127.0.0.1:3101)
  TPO_TOKEN     bearer token (local: export TPO_TOKEN=$(npm run --silent token -- --role admin))
  TPO_API_KEY   API key instead of a token
  TPO_SERVICES  name=url,... of the other services (dead letters, per-VM progress)
  TPO_CONFIG    JSON config file {"url", "token" | "apiKey", "services"} (default ~/.config/tpo/config.json)

Exit codes: 0 done, 1 platform error or unreachable, 2 invalid input, 3 failed step, 4 authentication or role.`;

/** `tpo`: the platform's admin REST API from a terminal or a script (`--json`). */
export function buildProgram(): Command {
  const program = new Command('tpo')
    .description('Tenant Protection Orchestrator: order and follow tenants, sites, dead letters')
    .addOption(new Option('--json', 'print one JSON document on stdout (for scripts)'))
    .option('--url <url>', 'tenant-service URL (overrides TPO_URL)')
    .option('--config <file>', 'config file (overrides TPO_CONFIG)')
    .addHelpText('after', HELP_FOOTER)
    .showHelpAfterError('(tpo --help for usage)')
    .exitOverride();
  for (const sub of [tenantsCommand(), sitesCommand(), deadLettersCommand()]) program.addCommand(sub.exitOverride());
  for (const sub of program.commands) sub.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Done;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version / a bare group (which prints its help) end normally; usage errors are invalid input.
      const fine =
        ['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'].includes(
          e.code,
        ) || e.exitCode === 0;
      return fine ? ExitCode.Done : ExitCode.InvalidInput;
    }
    throw e;
  }
}
