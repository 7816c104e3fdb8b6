import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ROOT_DIR } from '@tpo/tools';

/** Writes a probe file into a project, lints it with the repo's config, removes it. */
async function lintProbe(relativePath: string, source: string): Promise<string[]> {
  const file = resolve(ROOT_DIR, relativePath);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  try {
    // ESLint runs as its own process (its config loader needs native ESM, which Jest's VM lacks).
    const run = spawnSync(resolve(ROOT_DIR, 'node_modules/.bin/eslint'), ['--format', 'json', file], {
      cwd: ROOT_DIR,
      encoding: 'utf8',
    });
    const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  } finally {
    rmSync(file);
  }
}

describe('Nx module boundaries (enforced by lint)', () => {
  it("a service cannot import another service's internals", async () => {
    const errors = await lintProbe(
      'apps/activation-service/src/boundary-probe.ts',
      "import { SERVICE } from '../../tenant-service/src/app.module';\nexport const probe = SERVICE;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('the contracts lib cannot depend on platform libraries', async () => {
    const errors = await lintProbe(
      'libs/contracts/src/boundary-probe.ts',
      "import { UnitOfWork } from '@tpo/persistence';\nexport const probe = UnitOfWork;\n",
    );
    expect(errors.join()).toMatch(/type:contracts/);
  });

  it('the CLI is a REST client: it cannot import platform libraries or a service', async () => {
    expect(
      (
        await lintProbe(
          'apps/cli/src/boundary-probe.ts',
          "import { UnitOfWork } from '@tpo/persistence';\nexport const probe = UnitOfWork;\n",
        )
      ).join(),
    ).toMatch(/scope:cli/);
    expect(
      await lintProbe(
        'apps/cli/src/boundary-probe.ts',
        "import { SERVICE } from '../../tenant-service/src/app.module';\nexport const probe = SERVICE;\n",
      ),
    ).not.toEqual([]);
  });

  it("the ops console cannot import a service's internals", async () => {
    expect(
      await lintProbe(
        'apps/ops-console/src/boundary-probe.ts',
        "import { SERVICE } from '../../tenant-service/src/app.module';\nexport const probe = SERVICE;\n",
      ),
    ).not.toEqual([]);
  });

  it('shared libraries are layered: a lower layer cannot import a higher one of the same type', async () => {
    const probe = (lib: string, pkg: string, name: string) =>
      lintProbe(
        `libs/${lib}/src/boundary-probe.ts`,
        `import { ${name} } from '@tpo/${pkg}';\nexport const probe = ${name};\n`,
      );
    // type:platform libs may use each other, but only downwards
    expect((await probe('persistence', 'messaging', 'OutboxWriter')).join()).toMatch(/layer:base/);
    expect((await probe('messaging', 'service-kit', 'ServiceKitModule')).join()).toMatch(/layer:infra/);
    // type:client libs likewise
    expect((await probe('kaspersky-http', 'ksc-client', 'KscClient')).join()).toMatch(/layer:infra/);
    expect((await probe('integration-server-client', 'site-directory', 'parseSiteConnection')).join()).toMatch(
      /layer:client/,
    );
    // downwards is fine
    expect(await probe('service-kit', 'messaging', 'OutboxWriter')).toEqual([]);
  });

  it('jobs < steps < wiring, and no library imports the opt-in diagnostics', async () => {
    const probe = (lib: string, pkg: string, name: string) =>
      lintProbe(
        `libs/${lib}/src/boundary-probe.ts`,
        `import { ${name} } from '@tpo/${pkg}';\nexport const probe = ${name};\n`,
      );
    // the job machinery knows nothing of steps or of the wiring; steps know nothing of the wiring
    expect((await probe('jobs', 'steps', 'StepWorkRepository')).join()).toMatch(/layer:jobs/);
    expect((await probe('jobs', 'service-kit', 'ServiceKitModule')).join()).toMatch(/layer:jobs/);
    expect((await probe('steps', 'service-kit', 'ServiceKitModule')).join()).toMatch(/layer:steps/);
    // lower layers cannot reach up into jobs or steps, nor can a Kaspersky client
    expect((await probe('messaging', 'jobs', 'JobRunner')).join()).toMatch(/layer:infra/);
    expect((await probe('ksc-client', 'steps', 'StepWorkRepository')).join()).toMatch(/layer:client/);
    // the production wiring cannot pull in the diagnostic ping
    expect((await probe('service-kit', 'diagnostics', 'BackbonePingModule')).join()).toMatch(/layer:feature/);
    // downwards is fine
    expect(await probe('steps', 'jobs', 'JobRunner')).toEqual([]);
    expect(await probe('service-kit', 'jobs', 'JobRunner')).toEqual([]);
  });

  it('a service may import the opt-in diagnostics', async () => {
    const errors = await lintProbe(
      'apps/activation-service/src/boundary-probe.ts',
      "import { BackbonePingModule } from '@tpo/diagnostics';\nexport const probe = BackbonePingModule;\n",
    );
    expect(errors).toEqual([]);
  });

  it('a service may use the shared libraries', async () => {
    const errors = await lintProbe(
      'apps/activation-service/src/boundary-probe.ts',
      "import { OutboxWriter } from '@tpo/messaging';\nexport const probe = OutboxWriter;\n",
    );
    expect(errors).toEqual([]);
  });
});
