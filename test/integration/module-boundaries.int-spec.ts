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
    const run = spawnSync(resolve(ROOT_DIR, 'node_modules/.bin/eslint'), ['--format', 'json', file], { cwd: ROOT_DIR, encoding: 'utf8' });
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
    const errors = await lintProbe('libs/contracts/src/boundary-probe.ts', "import { UnitOfWork } from '@tpo/persistence';\nexport const probe = UnitOfWork;\n");
    expect(errors.join()).toMatch(/type:contracts/);
  });

  it('the CLI is a REST client: it cannot import platform libraries or a service', async () => {
    expect((await lintProbe('apps/cli/src/boundary-probe.ts', "import { UnitOfWork } from '@tpo/persistence';\nexport const probe = UnitOfWork;\n")).join()).toMatch(/scope:cli/);
    expect(await lintProbe('apps/cli/src/boundary-probe.ts', "import { SERVICE } from '../../tenant-service/src/app.module';\nexport const probe = SERVICE;\n")).not.toEqual([]);
  });

  it("the ops console cannot import a service's internals", async () => {
    expect(await lintProbe('apps/ops-console/src/boundary-probe.ts', "import { SERVICE } from '../../tenant-service/src/app.module';\nexport const probe = SERVICE;\n")).not.toEqual([]);
  });

  it('shared libraries are layered: a lower layer cannot import a higher one', async () => {
    // base (platform) → feature (service-kit)
    expect((await lintProbe('libs/platform/src/boundary-probe.ts', "import { JobRunner } from '@tpo/service-kit';\nexport const probe = JobRunner;\n")).join()).toMatch(/layer:base/);
    // infra (messaging) → client (ksc-client)
    expect((await lintProbe('libs/messaging/src/boundary-probe.ts', "import { KscClient } from '@tpo/ksc-client';\nexport const probe = KscClient;\n")).join()).toMatch(/layer:infra/);
    // client (ksc-client) → feature (vendor-failures)
    expect((await lintProbe('libs/ksc-client/src/boundary-probe.ts', "import { classifyVendorError } from '@tpo/vendor-failures';\nexport const probe = classifyVendorError;\n")).join()).toMatch(/layer:client/);
    // and downwards is fine: feature (service-kit) → infra (messaging)
    expect(await lintProbe('libs/service-kit/src/boundary-probe.ts', "import { OutboxWriter } from '@tpo/messaging';\nexport const probe = OutboxWriter;\n")).toEqual([]);
  });

  it('a service may use the shared libraries', async () => {
    const errors = await lintProbe('apps/activation-service/src/boundary-probe.ts', "import { OutboxWriter } from '@tpo/messaging';\nexport const probe = OutboxWriter;\n");
    expect(errors).toEqual([]);
  });
});
