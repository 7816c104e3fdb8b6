import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FaultConfig, SEED_PUSH_INSTALL_ACCOUNT, SimulatorAssumptions, startSimulator } from '@tpo/kaspersky-simulator';
import { EnvValidationError, validateEnv } from '@tpo/platform';
import { SimulatorEnv } from './simulator.env';

interface SimulatorFile {
  sites?: {
    id?: string;
    kscConfigured?: boolean;
    assumptions?: Partial<SimulatorAssumptions>;
    faults?: Partial<FaultConfig>;
  }[];
}

/**
 * Faithful stand-ins for the Integration Server REST API and the KSC Open API, one pair per site.
 * Start: `npm run simulator` (or `npx nx run kaspersky-simulator:serve`).
 */
async function main(): Promise<void> {
  let env: SimulatorEnv;
  try {
    env = validateEnv(SimulatorEnv);
  } catch (e) {
    process.stderr.write(`kaspersky-simulator: ${e instanceof EnvValidationError ? e.message : String(e)}\n`);
    process.exit(78);
  }
  const file: SimulatorFile = env.SIM_CONFIG ? (JSON.parse(readFileSync(env.SIM_CONFIG, 'utf8')) as SimulatorFile) : {};
  const sim = await startSimulator({
    host: env.SIM_HOST,
    integrationServerPortBase: env.SIM_IS_PORT,
    kscPortBase: env.SIM_KSC_PORT,
    adminPort: env.SIM_ADMIN_PORT,
    tls: env.SIM_TLS,
    sites: Array.from({ length: env.SIM_SITES }, (_, k) => {
      const s = file.sites?.[k] ?? {};
      return {
        id: s.id ?? `site-${k + 1}`,
        isPassword: env.SIM_IS_PASSWORD,
        kscAccount: { name: env.SIM_KSC_USER, password: env.SIM_KSC_PASSWORD },
        kscConfigured: s.kscConfigured,
        pushInstallAccount:
          env.SIM_PUSH_INSTALL_USER || env.SIM_PUSH_INSTALL_PASSWORD
            ? {
                username: env.SIM_PUSH_INSTALL_USER ?? SEED_PUSH_INSTALL_ACCOUNT.username,
                password: env.SIM_PUSH_INSTALL_PASSWORD ?? SEED_PUSH_INSTALL_ACCOUNT.password,
              }
            : undefined,
        assumptions: s.assumptions,
        faults: s.faults,
      };
    }),
  });
  const dir = resolve(env.SIM_STATE_DIR);
  mkdirSync(dir, { recursive: true });
  if (sim.tls) writeFileSync(resolve(dir, 'certificate.pem'), sim.tls.certPem);
  writeFileSync(
    resolve(dir, 'endpoints.json'),
    JSON.stringify(
      { endpoints: sim.endpoints, adminUrl: sim.adminUrl, certificateSha256: sim.tls?.fingerprint256 },
      null,
      2,
    ),
  );
  for (const e of sim.endpoints) {
    process.stdout.write(
      `${JSON.stringify({ level: 'info', service: 'kaspersky-simulator', msg: 'site ready', ...e })}\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ level: 'info', service: 'kaspersky-simulator', msg: 'admin API ready', adminUrl: sim.adminUrl, certificateSha256: sim.tls?.fingerprint256, stateDir: dir })}\n`,
  );
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`kaspersky-simulator: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
