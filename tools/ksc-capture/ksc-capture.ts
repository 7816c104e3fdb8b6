import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { AddressClass } from '@tpo/kaspersky-http';
import { serviceKeyOf, KasperskyClients, RemoteSiteDirectory, SiteDirectory } from '@tpo/site-directory';
import { devSecrets } from '../bootstrap/local-layout';
import { CaptureOptions, captureSite, CaptureTemplate } from './capture';

export interface CaptureArgs {
  site: string;
  out?: string;
  options: CaptureOptions;
}

const USAGE =
  'usage: npm run ksc:capture -- --site <id> [--out file] [--la-policy windows=<id>] [--la-policy linux=<id>] [--ps-policy <profile>=<id>] ' +
  '[--task <id> [--task-vserver <vAS name>]] [--hint-is-address <ip>] [--hint-is-port <port>] [--hint-discovery <value>]';

export function parseCaptureArgs(argv: string[]): CaptureArgs {
  const values = (name: string) =>
    argv.flatMap((a, i) => (a === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]] : []));
  const one = (name: string) => values(name).at(-1);
  const site = one('site');
  if (!site) throw new Error(USAGE);
  const pairs = (name: string) =>
    Object.fromEntries(
      values(name).map((v) => {
        const m = /^([a-z0-9-]+)=(\d+)$/.exec(v);
        if (!m) throw new Error(`--${name} ${v}: expected <name>=<policy id>`);
        return [m[1], Number(m[2])];
      }),
    );
  const la = pairs('la-policy');
  for (const k of Object.keys(la))
    if (k !== 'windows' && k !== 'linux') throw new Error(`--la-policy ${k}: the OS family is windows or linux`);
  const port = one('hint-is-port');
  return {
    site,
    out: one('out'),
    options: {
      lightAgentPolicies: la,
      protectionPolicies: pairs('ps-policy'),
      taskId: one('task'),
      taskVserver: one('task-vserver'),
      hints: {
        integrationServerAddress: one('hint-is-address'),
        integrationServerPort: port === undefined ? undefined : Number(port),
        discoveryMethod: one('hint-discovery'),
      },
    },
  };
}

/** Runs a capture against the site the directory names and writes the template (stdout without --out). */
export async function runCapture(
  args: CaptureArgs,
  directory: SiteDirectory,
  opts: { allowAddresses?: readonly AddressClass[]; write?: (text: string) => void } = {},
): Promise<CaptureTemplate> {
  const clients = new KasperskyClients(directory, pino({ level: process.env.LOG_LEVEL ?? 'warn' }), {
    allowAddresses: opts.allowAddresses,
    kscConnections: 1,
  });
  try {
    const { site, client } = await clients.kscClient(args.site);
    const template = await captureSite(site, client, args.options);
    const text = `${JSON.stringify(template, null, 2)}\n`;
    if (args.out) writeFileSync(args.out, text, { mode: 0o600 });
    else (opts.write ?? ((t) => process.stdout.write(t)))(text);
    return template;
  } finally {
    await clients.close();
  }
}

/**
 * `npm run ksc:capture -- --site <id> [--out file] …`: the site comes from the platform's site
 * registry (tenant-service's internal connection endpoint, SITE_DIRECTORY_URL), read with the
 * svm-config-service identity (INTERNAL_API_KEY; locally derived from .local/dev-secrets.json) —
 * the service that uses the reference policies. Read-only on the KSC; the output is reviewed
 * before anyone registers it.
 */
async function main(): Promise<void> {
  const args = parseCaptureArgs(process.argv.slice(2));
  const service = 'svm-config-service';
  const directory = new RemoteSiteDirectory({
    baseUrl: process.env.SITE_DIRECTORY_URL ?? 'http://127.0.0.1:3101',
    service,
    key: process.env.INTERNAL_API_KEY ?? serviceKeyOf(devSecrets().internalToken, service),
    plaintext: process.env.SITE_DIRECTORY_PLAINTEXT === 'mesh-mtls' ? 'mesh-mtls' : undefined,
  });
  const allow = (process.env.SITE_URL_ALLOW ?? (process.env.SITE_DIRECTORY_URL ? '' : 'loopback'))
    .split(',')
    .filter(Boolean) as AddressClass[];
  const template = await runCapture(args, directory, { allowAddresses: allow });
  process.stderr.write(
    `captured ${template.referencePolicies.length} reference policies${template.remoteInstallTask ? ' and a Remote Installation task' : ''}; ${template.findings.length} finding(s) to review${args.out ? ` in ${args.out}` : ''}\n`,
  );
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
