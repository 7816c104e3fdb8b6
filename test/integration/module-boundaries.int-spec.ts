import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ROOT_DIR } from '@tpo/tools';

interface Probe {
  file: string;
  source: string;
}

/**
 * Every probe of this file: one source file placed inside a project, importing something it may or
 * may not use. All of them are written first and linted by ONE eslint process with the repo's config
 * (eslint runs as its own process: its config loader needs native ESM, which Jest's VM lacks; one run
 * instead of one per probe keeps this spec at seconds, not minutes, on a loaded machine).
 */
const probes: Probe[] = [];
let lintMessages: Map<string, string[]> | undefined;

function importProbe(project: string, from: string, name: string): Probe {
  const probe = {
    file: resolve(ROOT_DIR, `${project}/src/boundary-probe-${probes.length}.ts`),
    source: `import { ${name} } from '${from}';\nexport const probe = ${name};\n`,
  };
  probes.push(probe);
  return probe;
}
const lib = (dir: string, pkg: string, name: string) => importProbe(`libs/${dir}`, `@tpo/${pkg}`, name);

function lintAll(): Map<string, string[]> {
  for (const p of probes) {
    mkdirSync(dirname(p.file), { recursive: true });
    writeFileSync(p.file, p.source);
  }
  try {
    // The boundary rule reads Nx's cached project graph and is skipped (with a warning) without one:
    // compute it first, so this spec never depends on a lint having run before it.
    const graph = spawnSync(resolve(ROOT_DIR, 'node_modules/.bin/nx'), ['show', 'projects'], {
      cwd: ROOT_DIR,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (graph.status !== 0) throw new Error(`nx could not compute the project graph: ${graph.stderr}`);
    const run = spawnSync(
      resolve(ROOT_DIR, 'node_modules/.bin/eslint'),
      ['--format', 'json', ...probes.map((p) => p.file)],
      { cwd: ROOT_DIR, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const results = JSON.parse(run.stdout) as { filePath: string; messages: { ruleId: string; message: string }[] }[];
    return new Map(
      results.map((r) => [
        r.filePath,
        r.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message),
      ]),
    );
  } finally {
    for (const p of probes) rmSync(p.file, { force: true });
  }
}

/** The boundary-rule messages eslint gave for a probe. */
function errorsOf(probe: Probe): string[] {
  lintMessages ??= lintAll();
  const messages = lintMessages.get(probe.file);
  if (!messages) throw new Error(`eslint did not lint ${probe.file}`);
  return messages;
}

const fromTenantService = '../../tenant-service/src/app.module';

describe('Nx module boundaries (enforced by lint)', () => {
  // Declared at collection time, so the single eslint run sees them all.
  const serviceIntoService = importProbe('apps/activation-service', fromTenantService, 'SERVICE');
  const contractsIntoPersistence = lib('contracts', 'persistence', 'UnitOfWork');
  const cliIntoPersistence = importProbe('apps/cli', '@tpo/persistence', 'UnitOfWork');
  const cliIntoService = importProbe('apps/cli', fromTenantService, 'SERVICE');
  const consoleIntoService = importProbe('apps/ops-console', fromTenantService, 'SERVICE');
  const layered = {
    persistenceIntoMessaging: lib('persistence', 'messaging', 'OutboxWriter'),
    messagingIntoServiceKit: lib('messaging', 'service-kit', 'ServiceKitModule'),
    httpIntoKscClient: lib('kaspersky-http', 'ksc-client', 'KscClient'),
    isClientIntoSiteDirectory: lib('integration-server-client', 'site-directory', 'parseSiteConnection'),
    serviceKitIntoMessaging: lib('service-kit', 'messaging', 'OutboxWriter'),
  };
  const jobsAndSteps = {
    jobsIntoSteps: lib('jobs', 'steps', 'StepWorkRepository'),
    jobsIntoServiceKit: lib('jobs', 'service-kit', 'ServiceKitModule'),
    stepsIntoServiceKit: lib('steps', 'service-kit', 'ServiceKitModule'),
    messagingIntoJobs: lib('messaging', 'jobs', 'JobRunner'),
    kscClientIntoSteps: lib('ksc-client', 'steps', 'StepWorkRepository'),
    serviceKitIntoDiagnostics: lib('service-kit', 'diagnostics', 'BackbonePingModule'),
    stepsIntoJobs: lib('steps', 'jobs', 'JobRunner'),
    serviceKitIntoJobs: lib('service-kit', 'jobs', 'JobRunner'),
  };
  const serviceIntoDiagnostics = importProbe('apps/activation-service', '@tpo/diagnostics', 'BackbonePingModule');
  const serviceIntoMessaging = importProbe('apps/activation-service', '@tpo/messaging', 'OutboxWriter');

  it("a service cannot import another service's internals", () => {
    expect(errorsOf(serviceIntoService).length).toBeGreaterThan(0);
  });

  it('the contracts lib cannot depend on platform libraries', () => {
    expect(errorsOf(contractsIntoPersistence).join()).toMatch(/type:contracts/);
  });

  it('the CLI is a REST client: it cannot import platform libraries or a service', () => {
    expect(errorsOf(cliIntoPersistence).join()).toMatch(/scope:cli/);
    expect(errorsOf(cliIntoService)).not.toEqual([]);
  });

  it("the ops console cannot import a service's internals", () => {
    expect(errorsOf(consoleIntoService)).not.toEqual([]);
  });

  it('shared libraries are layered: a lower layer cannot import a higher one of the same type', () => {
    // type:platform libs may use each other, but only downwards
    expect(errorsOf(layered.persistenceIntoMessaging).join()).toMatch(/layer:base/);
    expect(errorsOf(layered.messagingIntoServiceKit).join()).toMatch(/layer:infra/);
    // type:client libs likewise
    expect(errorsOf(layered.httpIntoKscClient).join()).toMatch(/layer:infra/);
    expect(errorsOf(layered.isClientIntoSiteDirectory).join()).toMatch(/layer:client/);
    // downwards is fine
    expect(errorsOf(layered.serviceKitIntoMessaging)).toEqual([]);
  });

  it('jobs < steps < wiring, and no library imports the opt-in diagnostics', () => {
    // the job machinery knows nothing of steps or of the wiring; steps know nothing of the wiring
    expect(errorsOf(jobsAndSteps.jobsIntoSteps).join()).toMatch(/layer:jobs/);
    expect(errorsOf(jobsAndSteps.jobsIntoServiceKit).join()).toMatch(/layer:jobs/);
    expect(errorsOf(jobsAndSteps.stepsIntoServiceKit).join()).toMatch(/layer:steps/);
    // lower layers cannot reach up into jobs or steps, nor can a Kaspersky client
    expect(errorsOf(jobsAndSteps.messagingIntoJobs).join()).toMatch(/layer:infra/);
    expect(errorsOf(jobsAndSteps.kscClientIntoSteps).join()).toMatch(/layer:client/);
    // the production wiring cannot pull in the diagnostic ping
    expect(errorsOf(jobsAndSteps.serviceKitIntoDiagnostics).join()).toMatch(/layer:feature/);
    // downwards is fine
    expect(errorsOf(jobsAndSteps.stepsIntoJobs)).toEqual([]);
    expect(errorsOf(jobsAndSteps.serviceKitIntoJobs)).toEqual([]);
  });

  it('a service may import the opt-in diagnostics', () => {
    expect(errorsOf(serviceIntoDiagnostics)).toEqual([]);
  });

  it('a service may use the shared libraries', () => {
    expect(errorsOf(serviceIntoMessaging)).toEqual([]);
  });
});
