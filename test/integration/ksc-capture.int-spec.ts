import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RunningSimulator,
  SEED_LA_REFERENCE_VALUES,
  SEED_LA_SECTION,
  SEED_LA_VARIABLES,
  SEED_LIGHT_AGENT,
  SEED_REFERENCE_POLICY_IDS,
  simulatorSiteDeployment,
} from '@tpo/kaspersky-simulator';
import { KscClient, PackagesApi, TasksApi } from '@tpo/ksc-client';
import { SiteConnection, StaticSiteDirectory } from '@tpo/site-directory';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the capture command's own entry points, run in-process
import { parseCaptureArgs, runCapture } from '../../tools/ksc-capture/ksc-capture';
import { SIM_KSC_ACCOUNT, startTestSimulator } from '../support/simulator';
import { parsedSiteConnectionOf } from '../support/sites';

/** `npm run ksc:capture` against a seeded simulated site over HTTPS: what it reads, what it writes, what it never writes. */
describe('ksc:capture (reference policies and a Remote Installation task from the site KSC)', () => {
  let sim: RunningSimulator;
  let site: SiteConnection;
  let taskId: string;
  const dir = mkdtempSync(join(tmpdir(), 'ksc-capture-'));

  beforeAll(async () => {
    sim = await startTestSimulator([{}], { tls: 'self-signed' });
    site = parsedSiteConnectionOf(sim);
    // What the provider's admin made in the console: one Remote Installation task (with a protected push-install password).
    const client = new KscClient({
      baseUrl: site.ksc.url,
      credentials: { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password },
      tls: site.ksc.tls,
      timeoutMs: 5000,
    });
    const session = await client.startSession();
    const tasks = new TasksApi(session);
    const [pkg] = await new PackagesApi(session).getPackages2();
    taskId = await tasks.addRemoteInstallTask({
      packageIds: [PackagesApi.packageId(pkg)!],
      target: { groupId: 1 },
      displayName: 'Console RI',
      accounts: [{ user: 'LAB\\installer', protectedPassword: await tasks.protectPassword('Sup3r-Secret!') }],
    });
    await session.endSession();
    await client.close();
  });

  afterAll(() => sim?.close());

  const directory = () => new StaticSiteDirectory([site]);

  it('reads the configured reference policies and their whole settings storages, checks the captured names, and proposes the deployment', async () => {
    const out = join(dir, 'capture.json');
    const args = parseCaptureArgs(['--site', site.id, '--out', out, '--task', taskId]);
    const template = await runCapture(args, directory(), { allowAddresses: ['loopback'] });
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written).toEqual(JSON.parse(JSON.stringify(template)));
    expect(written).toMatchObject({
      kind: 'tpo-ksc-capture',
      site: { id: site.id },
      review: expect.stringContaining('Never applied automatically'),
    });
    // A seeded site's capture proposes exactly the deployment it is configured with.
    expect(written.deployment.osFamilies).toEqual(JSON.parse(JSON.stringify(simulatorSiteDeployment().osFamilies)));
    expect(written.deployment.protectionProfiles).toEqual(simulatorSiteDeployment().protectionProfiles);
    const linux = written.referencePolicies.find((p: { key: string }) => p.key === 'linux');
    expect(linux).toMatchObject({
      role: 'lightAgent',
      policyId: SEED_REFERENCE_POLICY_IDS.linux,
      attributes: { KLPOL_PRODUCT: SEED_LIGHT_AGENT.linux.product },
    });
    expect(
      linux.settings[SEED_LIGHT_AGENT.linux.product][SEED_LIGHT_AGENT.linux.version][SEED_LA_SECTION][
        SEED_LA_VARIABLES.integrationServerAddress
      ],
    ).toEqual({
      KLPRSS_Val: SEED_LA_REFERENCE_VALUES[SEED_LA_VARIABLES.integrationServerAddress],
      KLPRSS_Mnd: false,
    });
    expect(written.referencePolicies.map((p: { key: string }) => p.key).sort()).toEqual([
      'linux',
      'standard',
      'windows',
    ]);
    expect(written.packages.length).toBeGreaterThan(0);
    expect(written.findings.filter((f: string) => /not in policy|could not be read/.test(f))).toEqual([]);
    // The Remote Installation task, with its keys, and never a secret.
    expect(written.remoteInstallTask).toMatchObject({
      taskId,
      isRemoteInstallation: true,
      data: { TASK_NAME: 'Remote Installation', TASKID_COMPONENT_NAME: '87' },
    });
    expect(written.remoteInstallTask.additionalParamKeys.length).toBeGreaterThan(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('Sup3r-Secret!');
    expect(text).not.toContain(Buffer.from('Sup3r-Secret!').toString('base64'));
    expect(text).not.toContain(SIM_KSC_ACCOUNT.password);
  });

  it('a first capture (no deployment yet) reads the named policies and locates the variables holding the values the admin typed', async () => {
    site = { ...site, deployment: undefined } as SiteConnection;
    let stdout = '';
    const args = parseCaptureArgs([
      '--site',
      site.id,
      '--la-policy',
      `windows=${SEED_REFERENCE_POLICY_IDS.windows}`,
      '--hint-is-address',
      '192.0.2.1',
      '--hint-is-port',
      '7271',
    ]);
    const t = await runCapture(args, directory(), { allowAddresses: ['loopback'], write: (s) => (stdout += s) });
    expect(JSON.parse(stdout).referencePolicies).toHaveLength(1);
    const [win] = t.deployment.osFamilies as {
      lightAgentSettings: Record<string, unknown>;
      lightAgentPolicy: unknown;
    }[];
    expect(win.lightAgentPolicy).toEqual({
      policyId: SEED_REFERENCE_POLICY_IDS.windows,
      product: SEED_LIGHT_AGENT.windows.product,
      version: SEED_LIGHT_AGENT.windows.version,
    });
    expect(win.lightAgentSettings).toMatchObject({
      integrationServerAddress: { section: SEED_LA_SECTION, variable: SEED_LA_VARIABLES.integrationServerAddress },
      integrationServerPort: { section: SEED_LA_SECTION, variable: SEED_LA_VARIABLES.integrationServerPort },
    });
    expect(t.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/linux: no Light Agent reference policy/),
        expect.stringMatching(/no Remote Installation task captured/),
      ]),
    );
  });

  it('a policy id that does not exist is a finding, not a crash; bad arguments are refused', async () => {
    const t = await runCapture(parseCaptureArgs(['--site', site.id, '--la-policy', 'linux=4242']), directory(), {
      allowAddresses: ['loopback'],
      write: () => undefined,
    });
    expect(t.findings).toEqual(expect.arrayContaining([expect.stringMatching(/policy 4242 could not be read/)]));
    expect(() => parseCaptureArgs([])).toThrow(/usage/);
    expect(() => parseCaptureArgs(['--site', 's', '--la-policy', 'macos=1'])).toThrow(/windows or linux/);
    await expect(runCapture(parseCaptureArgs(['--site', 'nope']), directory())).rejects.toThrow(/not registered/);
  });
});
