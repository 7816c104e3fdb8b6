import 'reflect-metadata';
import { mintToken } from '@tpo/platform';
import { devSecrets, loadLocalLayout } from '../bootstrap/local-layout';
import { runDemoOnboarding } from './demo-onboarding';
import { DEFAULT_STATE_DIR, LocalPlatform, startLocalPlatform } from './local-platform';

/**
 * `npm start`: the Kaspersky simulator, the five services, and a demo tenant onboarded end to end;
 * then keeps running until Ctrl-C. `npm run demo` (--once) exits 0 once the demo tenant is ready,
 * non-zero with the reason otherwise.
 */
const once = process.argv.includes('--once');
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
  platform = await startLocalPlatform({
    layout,
    stateDir: DEFAULT_STATE_DIR,
    sites: Number(process.env.TPO_SIM_SITES ?? 1),
    simulatorConfig: process.env.TPO_SIM_CONFIG,
    echo: !process.env.TPO_QUIET,
    onUnexpectedExit: (name, code) => {
      if (stopping) return;
      console.error(`[platform] ${name} exited unexpectedly (${code}); stopping`);
      void shutdown(1);
    },
  });
  console.log(`\n[platform] ready: simulator admin ${platform.simulator.adminUrl}; ${layout.services.map((s) => `${s.name} ${platform!.url(s.name)}`).join(', ')}`);
  const token = await mintToken(devSecrets().jwtSecret, { subject: 'demo-operator', roles: ['admin'], ttlSeconds: 3600 });
  await runDemoOnboarding({ tenantUrl: platform.url('tenant-service'), simulatorAdminUrl: platform.simulator.adminUrl, siteId: platform.simulator.endpoints[0].siteId, token });
  if (once) return void (await shutdown(0));
  console.log('[platform] running; Ctrl-C to stop');
}

main().catch(async (e) => {
  console.error(`[platform] ${e instanceof Error ? e.message : String(e)}`);
  await shutdown(1);
});
