import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { defaultSecureConfigTarget, natsUsersOf } from './secure-config';
import { HELM_VALUES_PATH, NATS_USERS_SECRET, renderHelmValues } from './helm-values';

interface Values {
  config: {
    cluster: { enabled: boolean; replicas: number };
    jetstream: { enabled: boolean };
    merge: { authorization: { users: { user: string; password: string; permissions: unknown }[] } };
  };
  container: { env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }> };
}

/** The generator leaves empty allow/deny lists out (as the nats-server config does). */
const nonEmpty = (p: { allow: string[]; deny: string[] }) => ({
  ...(p.allow.length ? { allow: p.allow } : {}),
  ...(p.deny.length ? { deny: p.deny } : {}),
});

describe('NATS Helm chart values (deploy/k8s/nats/values.yaml)', () => {
  const committed = readFileSync(HELM_VALUES_PATH, 'utf8');
  const values = parse(committed) as Values;
  const users = natsUsersOf(defaultSecureConfigTarget());

  it('is the generator output (re-render after changing contracts or topology)', () => {
    expect(committed).toBe(renderHelmValues());
  });

  it('asks for a 3-node JetStream cluster', () => {
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
  });

  it('carries exactly the least-privilege users and permissions of the secure nats-server config', () => {
    expect(values.config.merge.authorization.users.map((u) => u.user)).toEqual(users.map((u) => u.user));
    for (const u of users) {
      const rendered = values.config.merge.authorization.users.find((r) => r.user === u.user)!;
      expect(rendered.permissions).toEqual({
        publish: nonEmpty(u.publish),
        subscribe: nonEmpty(u.subscribe),
      });
    }
  });

  it('keeps passwords out of the file: each is a variable filled from the Secret', () => {
    for (const u of users) {
      const rendered = values.config.merge.authorization.users.find((r) => r.user === u.user)!;
      expect(rendered.password).toBe(`<< $${u.passwordVariable} >>`);
      expect(values.container.env[u.passwordVariable].valueFrom.secretKeyRef).toEqual({
        name: NATS_USERS_SECRET,
        key: u.user,
      });
    }
  });
});
