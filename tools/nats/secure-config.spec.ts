import { readFileSync } from 'node:fs';
import { consumerNameOf, EVENT_CATALOG, SERVICE_NAMES, subjectOf } from '@tpo/contracts';
import { loadTopology } from '../bootstrap/bootstrap';
import {
  defaultSecureConfigTarget,
  natsUsersOf,
  passwordVariableOf,
  renderSecureConfig,
  SECURE_CONFIG_PATH,
} from './secure-config';

interface RenderedUser {
  user: string;
  password: string;
  publishAllow: string[];
  publishDeny: string[];
  subscribeAllow: string[];
  subscribeDeny: string[];
}

/** Reads the users back out of a rendered config (the generator's own layout), so the spec checks the text, not just the model. */
function parseUsers(text: string): RenderedUser[] {
  const body = text.slice(text.indexOf('authorization {'));
  const blocks = body.split(/\n {4}\{\n/).slice(1);
  const section = (block: string, op: 'publish' | 'subscribe', kind: 'allow' | 'deny'): string[] => {
    const opBody = block.slice(block.indexOf(`${op}: {`)).split(/\n {8}\}/)[0];
    const m = opBody.match(new RegExp(`${kind}: \\[([^\\]]*)\\]`));
    return m ? [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]) : [];
  };
  return blocks.map((block) => ({
    user: block.match(/user: "([^"]+)"/)![1],
    password: block.match(/password: (\S+)/)![1],
    publishAllow: section(block, 'publish', 'allow'),
    publishDeny: section(block, 'publish', 'deny'),
    subscribeAllow: section(block, 'subscribe', 'allow'),
    subscribeDeny: section(block, 'subscribe', 'deny'),
  }));
}

const ADMIN_SUBJECTS = [
  '$JS.API.STREAM.DELETE.TPO_EVENTS',
  '$JS.API.STREAM.CREATE.TPO_EVENTS',
  '$JS.API.STREAM.UPDATE.TPO_EVENTS',
  '$JS.API.STREAM.PURGE.TPO_EVENTS',
  '$JS.API.CONSUMER.CREATE.TPO_EVENTS',
  '$JS.API.CONSUMER.DURABLE.CREATE.TPO_EVENTS.x',
  '$JS.API.CONSUMER.DELETE.TPO_EVENTS.x',
];

/** NATS subject matching (`*` one token, `>` the rest). */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

describe('secure nats-server config (tools/nats/secure-config)', () => {
  const topology = loadTopology();
  const defaults = defaultSecureConfigTarget(topology);
  const committed = readFileSync(SECURE_CONFIG_PATH, 'utf8');
  const users = parseUsers(committed);
  const userNamed = (name: string) => users.find((u) => u.user === name)!;

  it('the committed deploy/nats/nats-server.secure.conf equals the rendering for the defaults (re-render after changing the catalog or topology)', () => {
    expect(committed).toBe(renderSecureConfig());
    expect(defaults).toMatchObject({ prefix: 'tpo', stream: 'TPO_EVENTS', port: 4222, host: '127.0.0.1' });
  });

  it('has exactly the five services, order-ingest, dashboard and ops-admin', () => {
    expect(users.map((u) => u.user).sort()).toEqual(
      [...SERVICE_NAMES, 'order-ingest', 'dashboard', 'ops-admin'].sort(),
    );
  });

  it('commits no password: every user reads $TPO_NATS_<ROLE>_PASSWORD from the environment', () => {
    for (const u of users) expect(u.password).toBe(`$${passwordVariableOf(u.user)}`);
    expect(passwordVariableOf('registration-service')).toBe('TPO_NATS_REGISTRATION_SERVICE_PASSWORD');
    expect(passwordVariableOf('ops-admin')).toBe('TPO_NATS_OPS_ADMIN_PASSWORD');
    expect(committed).not.toMatch(/password:\s*"/);
  });

  it.each(SERVICE_NAMES)('%s may publish exactly the events the catalog lists it as producer of', (service) => {
    const produced = EVENT_CATALOG.filter((d) => (d.producers as readonly string[]).includes(service)).map((d) =>
      subjectOf(d, 'tpo'),
    );
    const rendered = userNamed(service).publishAllow.filter((s) => s.startsWith('tpo.evt.'));
    expect(rendered.sort()).toEqual(produced.sort());
    expect(rendered).toEqual(expect.arrayContaining(['tpo.evt.backbone-ping.v1', 'tpo.evt.onboarding-step-failed.v1']));
  });

  it('the per-service event lists are the ones of the onboarding design', () => {
    const events = (service: string) =>
      userNamed(service)
        .publishAllow.filter((s) => s.startsWith('tpo.evt.'))
        .map((s) => s.slice('tpo.evt.'.length))
        .filter((k) => k !== 'backbone-ping.v1' && k !== 'onboarding-step-failed.v1')
        .sort();
    expect(events('tenant-service')).toEqual([
      'agents-install-requested.v1',
      'agents-release-requested.v1',
      'onboarding-retry-requested.v1',
      'site-preflight-completed.v1',
      'tenant-created.v1',
      'tenant-deprovisioned.v1',
      'tenant-operation-failed.v1',
      'tenant-operation-rejected.v1',
      'tenant-ready.v1',
      'tenant-request-duplicate.v1',
      'tenant-request-rejected.v1',
      'tenant-resumed.v1',
      'tenant-suspended.v1',
      'vms-added.v1',
      'vms-removed.v1',
    ]);
    expect(events('svm-config-service')).toEqual(['svm-configured.v1']);
    expect(events('agent-install-service')).toEqual(['agents-installed.v1', 'agents-released.v1']);
    expect(events('registration-service')).toEqual(['vms-registered.v1']);
    expect(events('activation-service')).toEqual([
      'license-expiring.v1',
      'license-limit-reached.v1',
      'license-limit-reached.v2',
      'protection-report-ready.v1',
      'tenant-activated.v1',
    ]);
  });

  it.each(SERVICE_NAMES)(
    '%s gets the JetStream API of its own consumers only, and replies on its own inbox prefix only',
    (service) => {
      const u = userNamed(service);
      const own = (topology.consumers[service] ?? []).map((key) => consumerNameOf(service, { key }));
      const api = u.publishAllow.filter((s) => s.startsWith('$JS.'));
      const expected = [
        '$JS.API.INFO',
        ...own.flatMap((c) => [
          `$JS.API.CONSUMER.INFO.TPO_EVENTS.${c}`,
          `$JS.API.CONSUMER.MSG.NEXT.TPO_EVENTS.${c}`,
          `$JS.ACK.TPO_EVENTS.${c}.>`,
        ]),
      ];
      expect(api.sort()).toEqual(expected.sort());
      expect(u.publishAllow.length).toBe(
        api.length + EVENT_CATALOG.filter((d) => (d.producers as readonly string[]).includes(service)).length,
      );
      expect(u.subscribeAllow).toEqual([`_INBOX_${service}.>`]);
    },
  );

  it("issue 9: no user may subscribe to another user's replies (no shared _INBOX.>)", () => {
    for (const u of users) {
      for (const other of users.filter((x) => x.user !== u.user)) {
        const reply = `_INBOX_${other.user}.abc.1`;
        expect({ user: u.user, reply, readable: u.subscribeAllow.some((p) => matches(p, reply)) }).toEqual({
          user: u.user,
          reply,
          readable: false,
        });
      }
      expect({ user: u.user, shared: u.subscribeAllow.some((p) => matches(p, '_INBOX.abc.1')) }).toEqual({
        user: u.user,
        shared: false,
      });
    }
  });

  it('no user but ops-admin may publish any stream or consumer admin subject (allowed and not denied)', () => {
    const may = (u: RenderedUser, subject: string) =>
      u.publishAllow.some((p) => matches(p, subject)) && !u.publishDeny.some((p) => matches(p, subject));
    for (const u of users) {
      for (const subject of ADMIN_SUBJECTS)
        expect({ user: u.user, subject, allowed: may(u, subject) }).toEqual({
          user: u.user,
          subject,
          allowed: u.user === 'ops-admin',
        });
    }
    expect(userNamed('ops-admin').publishAllow).toEqual(['$JS.API.>']);
  });

  it("order-ingest may publish only the order systems' requests (TenantRequested, lifecycle requests) and subscribe only to its inbox", () => {
    const u = userNamed('order-ingest');
    expect(u.publishAllow).toEqual([
      'tpo.evt.tenant-requested.v1',
      'tpo.evt.tenant-suspend-requested.v1',
      'tpo.evt.tenant-resume-requested.v1',
      'tpo.evt.tenant-deprovision-requested.v1',
      'tpo.evt.vms-add-requested.v1',
      'tpo.evt.vms-remove-requested.v1',
    ]);
    expect(u.subscribeAllow).toEqual(['_INBOX_order-ingest.>']);
    expect(u.subscribeAllow.some((p) => matches(p, 'tpo.evt.tenant-created.v1'))).toBe(false);
  });

  it('dashboard may subscribe to events only and publish nothing', () => {
    const u = userNamed('dashboard');
    expect(u.publishAllow).toEqual([]);
    expect(u.publishDeny).toEqual(['>']);
    expect(u.subscribeAllow).toEqual(['tpo.evt.>']);
  });

  it('renders another prefix, stream, port and store dir (tests and parallel environments)', () => {
    const text = renderSecureConfig({ prefix: 'it1', stream: 'IT_1', port: 14222, storeDir: '/tmp/x' });
    const u = parseUsers(text);
    expect(text).toContain('port: 14222');
    expect(text).toContain('store_dir: "/tmp/x"');
    expect(u.find((x) => x.user === 'order-ingest')!.publishAllow).toContain('it1.evt.tenant-requested.v1');
    expect(u.find((x) => x.user === 'order-ingest')!.publishAllow.every((s) => s.startsWith('it1.evt.'))).toBe(true);
    expect(u.find((x) => x.user === 'dashboard')!.subscribeAllow).toEqual(['it1.evt.>']);
    expect(u.find((x) => x.user === 'registration-service')!.publishAllow).toContain(
      '$JS.API.CONSUMER.MSG.NEXT.IT_1.registration-service--agents-installed-v1',
    );
    expect(text).not.toContain('TPO_EVENTS');
  });

  it('refuses targets that would break the config or widen a subject', () => {
    expect(() => renderSecureConfig({ prefix: 'tpo.>' })).toThrow(/prefix/);
    expect(() => renderSecureConfig({ prefix: 'a b' })).toThrow(/prefix/);
    expect(() => renderSecureConfig({ stream: 'A.B' })).toThrow(/stream/);
    expect(() => renderSecureConfig({ stream: '*' })).toThrow(/stream/);
    expect(() => renderSecureConfig({ port: 0 })).toThrow(/port/);
    expect(() => renderSecureConfig({ storeDir: '/tmp/"x' })).toThrow(/store dir/);
  });

  it('refuses a topology that consumes an event missing from the catalog', () => {
    expect(() => natsUsersOf(defaults, { ...topology, consumers: { 'tenant-service': ['nope.v1'] } })).toThrow(
      /missing from the catalog/,
    );
  });
});
