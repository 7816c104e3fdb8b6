import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { mintToken } from '@tpo/platform';
import { devSecrets, loadLocalLayout, ROOT_DIR } from '../bootstrap/local-layout';
import { runDemoOnboarding, seedSimulatedVms } from './demo-onboarding';
import { DEFAULT_STATE_DIR, LocalPlatform, startLocalPlatform } from './local-platform';
import { platformBanner, usageHints } from './platform-banner';

/**
 * `npm start`: the Kaspersky simulator, the five services, and a demo tenant onboarded end to end;
 * then keeps running until Ctrl-C. `npm run demo` (--once) exits 0 once the demo tenant is ready,
 * non-zero with the reason otherwise. The services' JSON logs go to .local/logs/<service>.log;
 * `--verbose` also copies them to this console.
 */
const once = process.argv.includes('--once');
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');
const LOG_DIR = resolve(ROOT_DIR, '.local', 'logs');
let platform: LocalPlatform | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  stopping = true;
  await platform?.stop();
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main(): Promise<void> {
  const layout = loadLocalLayout();
  console.log(
    `\nStarting the simulator, ${layout.services.length} services and the ops console (logs: ${relative(process.cwd(), LOG_DIR) || LOG_DIR}/<service>.log${verbose ? ', echoed here' : '; --verbose to echo them here'})`,
  );
  platform = await startLocalPlatform({
    layout,
    stateDir: DEFAULT_STATE_DIR,
    sites: Number(process.env.TPO_SIM_SITES ?? 1),
    simulatorConfig: process.env.TPO_SIM_CONFIG,
    echo: verbose,
    logDir: LOG_DIR,
    consolePort: Number(process.env.TPO_CONSOLE_PORT ?? 3100),
    onUnexpectedExit: (name, code) => {
      if (stopping) return;
      const tail =
        platform?.processes
          .find((p) => p.name === name)
          ?.output.join('')
          .trim()
          .split('\n')
          .slice(-5)
          .join('\n  ') ?? '';
      console.error(
        `\n[platform] ${name} exited unexpectedly (${code}); stopping. Its log: ${resolve(LOG_DIR, `${name}.log`)}${tail ? `\n  ${tail}` : ''}`,
      );
      void shutdown(1);
    },
  });
  const running = platform;
  for (const line of await platformBanner(
    running,
    layout.services.map((s) => s.name),
  ))
    console.log(line);
  const token = await mintToken(devSecrets().jwtSecret, {
    subject: 'demo-operator',
    roles: ['admin'],
    ttlSeconds: 3600,
  });
  console.log('');
  await runDemoOnboarding({
    tenantUrl: running.url('tenant-service'),
    simulatorAdminUrl: running.simulator.adminUrl,
    siteId: running.simulator.endpoints[0].siteId,
    token,
  });
  if (once) return void (await shutdown(0));
  // The example order of the docs and the CLI help can be placed on any site: its VMs exist everywhere.
  const example = JSON.parse(readFileSync(resolve(ROOT_DIR, 'docs', 'examples', 'tenant-order.json'), 'utf8')) as {
    vms: { biosUuid: string; name: string; address: string; osFamily: string }[];
  };
  await seedSimulatedVms(
    running.simulator.adminUrl,
    running.simulator.endpoints.map((e) => e.siteId),
    example.vms,
  );
  for (const line of usageHints(running)) console.log(line);
  console.log('\nRunning; Ctrl-C to stop.');
}

main().catch(async (e) => {
  console.error(`[platform] ${e instanceof Error ? e.message : String(e)}`);
  console.error(`[platform] the services' logs are in ${LOG_DIR}`);
  await shutdown(1);
});
