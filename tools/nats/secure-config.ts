import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  consumerNameOf,
  DEFAULT_SUBJECT_PREFIX,
  EVENT_CATALOG,
  EventDefinition,
  SERVICE_NAMES,
  subjectOf,
} from '@tpo/contracts';
import { inboxPrefixOf, Topology } from '@tpo/messaging';
import { loadTopology } from '../bootstrap/bootstrap';
import { ROOT_DIR } from '../bootstrap/local-layout';

/**
 * Renders the least-privilege nats-server configuration (deploy/nats/nats-server.secure.conf) from
 * the contracts catalog (who produces what) and deploy/nats/topology.json (who consumes what).
 * docs/nats-security.md explains the model; tools/nats/secure-config.spec.ts keeps the committed
 * file equal to this output for the defaults.
 *
 *   npm run build && node -r ./tools/register-paths.js dist/tools/nats/secure-config.js \
 *     [--prefix tpo] [--stream TPO_EVENTS] [--host 127.0.0.1] [--port 4222] [--store-dir DIR] [--out FILE]
 */

/** Where and for which subjects the configuration is rendered. */
export interface SecureConfigTarget {
  /** Subject prefix (`<prefix>.evt.<event key>`), NATS_SUBJECT_PREFIX of the services. */
  prefix: string;
  /** JetStream stream name, NATS_STREAM of the services. */
  stream: string;
  /** Interface to listen on (`-a` on the command line overrides it). */
  host: string;
  /** Client port (`-p` overrides it). */
  port: number;
  /** JetStream file store directory (`-sd` overrides it). */
  storeDir: string;
}

export type NatsRole = 'service' | 'order-ingest' | 'dashboard' | 'ops-admin';

export interface SubjectPermissions {
  allow: string[];
  deny: string[];
}

/** One NATS user of the rendered configuration. */
export interface NatsUserPermissions {
  user: string;
  role: NatsRole;
  /** Environment variable nats-server reads the password from (`password: $VAR` in the config). */
  passwordVariable: string;
  summary: string;
  publish: SubjectPermissions;
  subscribe: SubjectPermissions;
}

/** Upstream producer whose events the `order-ingest` user may publish. */
export const ORDER_INGEST_PRODUCER = 'upstream-order-system';

/**
 * Reply subjects of one user: JetStream publish acks, API responses and pulled messages arrive on
 * the user's own inbox prefix (`_INBOX_<user>.>`, set by the client as `inboxPrefix`), never on a
 * shared `_INBOX.>`: one user cannot read another's replies.
 */
export function inboxSubjectsOf(user: string): string {
  return `${inboxPrefixOf(user)}.>`;
}

/**
 * JetStream API subjects no application user may publish, whatever its allow list says (deny wins):
 * stream create/update/delete/purge/message delete, consumer create/delete, account and cluster admin.
 * Belt and braces: the allow lists below already leave them out.
 */
export const ADMIN_API_DENY: readonly string[] = [
  '$JS.API.STREAM.>',
  '$JS.API.CONSUMER.CREATE.>',
  '$JS.API.CONSUMER.DURABLE.>',
  '$JS.API.CONSUMER.DELETE.>',
  '$JS.API.CONSUMER.PAUSE.>',
  '$JS.API.CONSUMER.LIST.>',
  '$JS.API.CONSUMER.NAMES.>',
  '$JS.API.ACCOUNT.>',
  '$JS.API.META.>',
  '$JS.API.SERVER.>',
];

/** `TPO_NATS_<ROLE>_PASSWORD`, e.g. `TPO_NATS_REGISTRATION_SERVICE_PASSWORD`, `TPO_NATS_OPS_ADMIN_PASSWORD`. */
export function passwordVariableOf(user: string): string {
  return `TPO_NATS_${user.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PASSWORD`;
}

export function defaultSecureConfigTarget(topology: Topology = loadTopology()): SecureConfigTarget {
  return {
    prefix: DEFAULT_SUBJECT_PREFIX,
    stream: topology.stream.name,
    host: '127.0.0.1',
    port: 4222,
    storeDir: '/var/lib/nats-server',
  };
}

/** Keys of the events `producer` may publish, in catalog order. */
export function producedEventKeys(producer: string, catalog: readonly EventDefinition[] = EVENT_CATALOG): string[] {
  return catalog.filter((d) => (d.producers as readonly string[]).includes(producer)).map((d) => d.key);
}

/** JetStream API subjects a service needs for one of its durable pull consumers (nats.js `consumers.get` + `consume`/`fetch` + acks). */
export function consumerApiSubjects(stream: string, consumer: string): string[] {
  return [
    `$JS.API.CONSUMER.INFO.${stream}.${consumer}`, // js.consumers.get(), readiness check, consume() after missed heartbeats
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, // pull requests
    `$JS.ACK.${stream}.${consumer}.>`, // ack / nak / term / working
  ];
}

/** Every user of the configuration with its permissions, derived from the catalog and the topology. */
export function natsUsersOf(
  target: Pick<SecureConfigTarget, 'prefix' | 'stream'>,
  topology: Topology = loadTopology(),
  catalog: readonly EventDefinition[] = EVENT_CATALOG,
): NatsUserPermissions[] {
  validateTarget(target);
  const subject = (key: string) => subjectOf({ key }, target.prefix);
  const byKey = new Map(catalog.map((d) => [d.key, d]));
  for (const [service, keys] of Object.entries(topology.consumers)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(service))
      throw new Error(`topology names an unknown service: ${service}`);
    const unknown = keys.filter((k) => !byKey.has(k));
    if (unknown.length > 0) throw new Error(`topology consumes events missing from the catalog: ${unknown.join(', ')}`);
  }
  const user = (
    name: string,
    role: NatsRole,
    summary: string,
    publish: SubjectPermissions,
    subscribe: SubjectPermissions,
  ): NatsUserPermissions => ({
    user: name,
    role,
    passwordVariable: passwordVariableOf(name),
    summary,
    publish,
    subscribe,
  });

  const services = SERVICE_NAMES.map((service) => {
    const produced = producedEventKeys(service, catalog);
    const consumed = topology.consumers[service] ?? [];
    return user(
      service,
      'service',
      `publishes ${produced.join(', ') || 'nothing'}; pulls ${consumed.map((k) => consumerNameOf(service, { key: k })).join(', ') || 'nothing'}`,
      {
        allow: [
          ...produced.map(subject),
          '$JS.API.INFO', // nc.jetstreamManager() (readiness check) asks for the account info first
          ...consumed.flatMap((key) => consumerApiSubjects(target.stream, consumerNameOf(service, { key }))),
        ],
        deny: [...ADMIN_API_DENY],
      },
      { allow: [inboxSubjectsOf(service)], deny: [] },
    );
  });

  const ingested = producedEventKeys(ORDER_INGEST_PRODUCER, catalog);
  return [
    ...services,
    user(
      'order-ingest',
      'order-ingest',
      `upstream order systems: publishes ${ingested.join(', ')} (JetStream publish, ack on its inbox); reads nothing else`,
      { allow: ingested.map(subject), deny: [...ADMIN_API_DENY] },
      { allow: [inboxSubjectsOf('order-ingest')], deny: [] },
    ),
    user(
      'dashboard',
      'dashboard',
      `read-only: subscribes to ${target.prefix}.evt.> (live events); publishes nothing, no JetStream API`,
      { allow: [], deny: ['>'] },
      { allow: [`${target.prefix}.evt.>`], deny: [] },
    ),
    user(
      'ops-admin',
      'ops-admin',
      'JetStream administration (the bootstrap: stream and consumer create/update/info/delete); the only user allowed $JS.API.STREAM.DELETE.>',
      { allow: ['$JS.API.>'], deny: [] },
      { allow: [inboxSubjectsOf('ops-admin'), '$JS.EVENT.>'], deny: [] },
    ),
  ];
}

/** The nats-server configuration text for `target` (defaults: deploy/nats/nats-server.secure.conf). */
export function renderSecureConfig(
  target: Partial<SecureConfigTarget> = {},
  topology: Topology = loadTopology(),
  catalog: readonly EventDefinition[] = EVENT_CATALOG,
): string {
  const t: SecureConfigTarget = { ...defaultSecureConfigTarget(topology), ...target };
  validateTarget(t);
  const users = natsUsersOf(t, topology, catalog);
  const q = (s: string) => `"${s}"`;
  const list = (items: string[], indent: string) =>
    items.length === 0 ? '[]' : `[\n${items.map((s) => `${indent}  ${q(s)}`).join(',\n')}\n${indent}]`;
  const perms = (p: SubjectPermissions, indent: string) => {
    const lines = [];
    if (p.allow.length > 0) lines.push(`${indent}  allow: ${list(p.allow, `${indent}  `)}`);
    if (p.deny.length > 0) lines.push(`${indent}  deny: ${list(p.deny, `${indent}  `)}`);
    return `{\n${lines.join('\n')}\n${indent}}`;
  };
  const userBlock = (u: NatsUserPermissions) =>
    [
      `    # ${u.user} (${u.role}): ${u.summary}`,
      `    {`,
      `      user: ${q(u.user)}`,
      `      password: $${u.passwordVariable}`,
      `      permissions: {`,
      `        publish: ${perms(u.publish, '        ')}`,
      `        subscribe: ${perms(u.subscribe, '        ')}`,
      `      }`,
      `    }`,
    ].join('\n');

  return [
    '# nats-server 2.9 configuration with least-privilege users for the tenant protection orchestrator.',
    '# GENERATED by tools/nats/secure-config.ts from libs/contracts (event catalog) and',
    '# deploy/nats/topology.json: do not edit by hand, re-render (docs/nats-security.md).',
    `# Rendered for subject prefix "${t.prefix}", stream "${t.stream}".`,
    '#',
    "# Passwords are NOT in this file: each user's password is read from an environment variable of the",
    '# nats-server process (nats config `$VAR` substitution); a missing variable stops the server.',
    '# Use letters and digits only, starting with a letter (the value is parsed as a config token):',
    ...users.map((u) => `#   ${u.passwordVariable.padEnd(44)} user ${u.user}`),
    '#',
    '# Command-line flags override these values: -a <host> -p <port> -sd <store dir>.',
    '',
    `host: ${q(t.host)}`,
    `port: ${t.port}`,
    '',
    'jetstream {',
    `  store_dir: ${q(t.storeDir)}`,
    '}',
    '',
    'authorization {',
    '  users: [',
    users.map(userBlock).join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

function validateTarget(t: Partial<SecureConfigTarget>): void {
  if (t.prefix !== undefined && !t.prefix.split('.').every((tok) => TOKEN.test(tok)))
    throw new Error(`invalid subject prefix "${t.prefix}"`);
  if (t.stream !== undefined && !TOKEN.test(t.stream)) throw new Error(`invalid stream name "${t.stream}"`);
  if (t.host !== undefined && !/^[A-Za-z0-9.:_-]+$/.test(t.host)) throw new Error(`invalid host "${t.host}"`);
  if (t.port !== undefined && !(Number.isInteger(t.port) && t.port > 0 && t.port < 65536))
    throw new Error(`invalid port ${t.port}`);
  if (t.storeDir !== undefined && (t.storeDir.length === 0 || /["\\\n$]/.test(t.storeDir)))
    throw new Error(`invalid store dir "${t.storeDir}"`);
}

/** The committed rendering for the defaults. */
export const SECURE_CONFIG_PATH = resolve(ROOT_DIR, 'deploy', 'nats', 'nats-server.secure.conf');

function main(argv: string[]): void {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!flag.startsWith('--') || value === undefined)
      throw new Error(
        `usage: secure-config [--prefix P] [--stream S] [--host H] [--port N] [--store-dir DIR] [--out FILE]`,
      );
    args.set(flag.slice(2), value);
  }
  const target: Partial<SecureConfigTarget> = {};
  if (args.has('prefix')) target.prefix = args.get('prefix');
  if (args.has('stream')) target.stream = args.get('stream');
  if (args.has('host')) target.host = args.get('host');
  if (args.has('port')) target.port = Number(args.get('port'));
  if (args.has('store-dir')) target.storeDir = args.get('store-dir');
  const text = renderSecureConfig(target);
  const out = args.get('out');
  if (out) {
    writeFileSync(resolve(out), text);
    process.stderr.write(`[secure-config] wrote ${out}\n`);
  } else {
    process.stdout.write(text);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`[secure-config] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
