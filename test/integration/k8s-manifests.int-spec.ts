import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SERVICE_NAMES } from '@tpo/contracts';
import { validateEnv } from '@tpo/platform';
import { RemoteSiteDirectory, serviceKeyOf } from '@tpo/site-directory';
// eslint-disable-next-line @nx/enforce-module-boundaries -- each service's own env class, to run the rendered environment through it
import { ActivationServiceEnv } from '../../apps/activation-service/src/config/activation-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- each service's own env class, to run the rendered environment through it
import { AgentInstallServiceEnv } from '../../apps/agent-install-service/src/config/agent-install-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- each service's own env class, to run the rendered environment through it
import { RegistrationServiceEnv } from '../../apps/registration-service/src/config/registration-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- each service's own env class, to run the rendered environment through it
import { SvmConfigServiceEnv } from '../../apps/svm-config-service/src/config/svm-config-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- each service's own env class, to run the rendered environment through it
import { TenantServiceEnv } from '../../apps/tenant-service/src/config/tenant-service.env';
import {
  bytesOf,
  ContainerLike,
  K8S_DIR,
  K8sObject,
  podSpecOf,
  renderOverlay,
  schemaErrorOf,
} from '../support/k8s-render';

/**
 * Renders deploy/k8s overlays with `kubectl kustomize` (deploy/scripts/kubectl-up.sh makes it
 * available) and checks them against the Kubernetes schemas (kubernetes-models) and structurally:
 * probes on /health/*, requests and limits, non-root, PDB + HPA per service, default-deny policy,
 * every Secret reference resolvable, the migration Job.
 */
const sizing = JSON.parse(readFileSync(resolve(K8S_DIR, 'sizing.json'), 'utf8')) as {
  peakRssMiB: Record<string, number>;
};
const prodSecretScript = readFileSync(resolve(K8S_DIR, 'create-secrets.sh'), 'utf8');

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const allContainers = (o: K8sObject): ContainerLike[] => [
  ...podSpecOf(o).containers,
  ...(podSpecOf(o).initContainers ?? []),
];
const podLabels = (o: K8sObject) =>
  (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const ENV_CLASSES: Record<string, new () => object> = {
  'tenant-service': TenantServiceEnv,
  'svm-config-service': SvmConfigServiceEnv,
  'agent-install-service': AgentInstallServiceEnv,
  'registration-service': RegistrationServiceEnv,
  'activation-service': ActivationServiceEnv,
};

/**
 * The environment a container would see: the ConfigMaps it imports, its own variables with
 * `$(VAR)` expanded, Secret values from the rendered Secrets (dev) or a stand-in of the length
 * create-secrets.sh produces (prod).
 */
function containerEnv(objects: K8sObject[], c: ContainerLike): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const cm = named(objects, 'ConfigMap', from.configMapRef?.name ?? '');
    Object.assign(env, (cm as { data?: Record<string, string> } | undefined)?.data ?? {});
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const secret = named(objects, 'Secret', name) as { data?: Record<string, string> } | undefined;
      const data = secret?.data?.[key];
      // prod: the shape create-secrets.sh generates (master keys "id:base64(32 bytes)", else 33 letters and digits)
      const standIn =
        name === 'tpo-master-keys' ? `k1:${Buffer.alloc(32, 7).toString('base64')}` : `p${'A1'.repeat(16)}`;
      env[e.name] = data !== undefined ? Buffer.from(data, 'base64').toString('utf8') : standIn;
    } else if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? '');
    }
  }
  return env;
}

function expectHardened(o: K8sObject): void {
  const pod = podSpecOf(o);
  expect(pod.securityContext?.runAsNonRoot).toBe(true);
  expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
  for (const c of allContainers(o)) {
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
    for (const r of ['cpu', 'memory']) {
      expect(c.resources?.requests?.[r]).toBeDefined();
      expect(c.resources?.limits?.[r]).toBeDefined();
    }
    expect(bytesOf(c.resources!.limits!.memory)).toBeGreaterThanOrEqual(bytesOf(c.resources!.requests!.memory));
  }
}

describe.each(['dev', 'prod'])('deploy/k8s overlay %s', (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderOverlay(overlay);
  });

  it('renders only objects the Kubernetes schemas accept (custom resources: CloudNativePG Cluster only)', () => {
    const unknown: string[] = [];
    for (const o of objects) {
      const error = schemaErrorOf(o);
      if (error === 'unknown-kind') unknown.push(`${o.apiVersion}/${o.kind}`);
      else
        expect({ object: `${o.kind}/${o.metadata.name}`, error }).toEqual({
          object: `${o.kind}/${o.metadata.name}`,
          error: undefined,
        });
    }
    expect(unknown).toEqual(['postgresql.cnpg.io/v1/Cluster']);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(
      new Set([overlay === 'prod' ? 'tpo' : 'tpo-dev']),
    );
  });

  it.each([...SERVICE_NAMES])(
    '%s: Deployment with probes on /health/*, limits, non-root, pinned image; Service, PDB, HPA',
    (service) => {
      const deployment = named(objects, 'Deployment', service)!;
      expect(deployment).toBeDefined();
      expectHardened(deployment);
      const [container] = podSpecOf(deployment).containers;
      expect(container.args).toEqual([service]);
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(container.image).toMatch(/^[^:]+:[\w.-]+$/);
      expect(container.image).not.toMatch(/:latest$/);
      expect(bytesOf(container.resources!.requests!.memory)).toBeGreaterThanOrEqual(
        sizing.peakRssMiB[service] * 1024 ** 2,
      );
      const env = new Map((container.env ?? []).map((e) => [e.name, e]));
      for (const name of ['DATABASE_URL', 'DATABASE_SCHEMA', 'NATS_USER', 'NATS_PASSWORD', 'HTTP_PORT'])
        expect(env.has(name)).toBe(true);
      expect(env.get('NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'tpo-nats-users', key: service });

      const labels = podLabels(deployment);
      const svc = named(objects, 'Service', service)!;
      expect(selects((svc.spec as { selector: Record<string, string> }).selector, labels)).toBe(true);
      const pdb = named(objects, 'PodDisruptionBudget', service)!;
      expect(
        selects((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, labels),
      ).toBe(true);
      const hpa = named(objects, 'HorizontalPodAutoscaler', service)!;
      const hpaSpec = hpa.spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpaSpec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: service });
      expect(hpaSpec.maxReplicas).toBeGreaterThan(hpaSpec.minReplicas);
      if (overlay === 'prod') {
        expect(hpaSpec.minReplicas).toBeGreaterThanOrEqual(2);
        expect((pdb.spec as { minAvailable: number }).minAvailable).toBeGreaterThanOrEqual(1);
      }
    },
  );

  it.each([...SERVICE_NAMES])("%s: the rendered environment passes the service's own boot checks", (service) => {
    const deployment = named(objects, 'Deployment', service)!;
    const env = containerEnv(objects, podSpecOf(deployment).containers[0]);
    const config = validateEnv(ENV_CLASSES[service], env) as Record<string, string | undefined>;
    if (service === 'tenant-service') return;
    // what the step service does at boot with it: refuses plain HTTP to a non-loopback site directory unless a mesh is declared
    expect(
      () =>
        new RemoteSiteDirectory({
          baseUrl: config.SITE_DIRECTORY_URL!,
          service,
          key: config.INTERNAL_API_KEY!,
          plaintext: config.SITE_DIRECTORY_PLAINTEXT as 'mesh-mtls' | undefined,
        }),
    ).not.toThrow();
    // it holds its own derived key, never the master token
    expect(config.INTERNAL_API_TOKEN).toBeUndefined();
    if (overlay === 'dev') {
      const tenantEnv = containerEnv(objects, podSpecOf(named(objects, 'Deployment', 'tenant-service')!).containers[0]);
      expect(config.INTERNAL_API_KEY).toBe(serviceKeyOf(tenantEnv.INTERNAL_API_TOKEN, service));
    }
  });

  it('has no Deployment beyond the five services, and the default-deny policy covers every pod', () => {
    expect(
      byKind(objects, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual([...SERVICE_NAMES].sort());
    const deny = named(objects, 'NetworkPolicy', 'tpo-default-deny')!;
    const denySpec = deny.spec as {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress?: unknown;
      egress?: unknown;
    };
    expect(denySpec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(denySpec.ingress).toBeUndefined();
    expect(denySpec.egress).toBeUndefined();
    for (const o of [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')])
      expect(selects(denySpec.podSelector.matchLabels, podLabels(o))).toBe(true);
    const vendor = named(objects, 'NetworkPolicy', 'tpo-egress-vendor-sites')!;
    const peers = (vendor.spec as { egress: { to: { ipBlock?: { cidr: string } }[] }[] }).egress[0].to;
    expect(peers.length).toBeGreaterThan(0);
    for (const p of peers) expect(p.ipBlock?.cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it('runs the migrations as a Job (bootstrap: roles, schemas, R3 stream and consumers) before rollout', () => {
    const job = named(objects, 'Job', 'tpo-migrate')!;
    expect(job).toBeDefined();
    expectHardened(job);
    const [container] = podSpecOf(job).containers;
    expect(container.args).toEqual(['bootstrap']);
    expect(container.env?.find((e) => e.name === 'TPO_JS_REPLICAS')?.value).toBe('3');
    expect(job.metadata.labels?.['app.kubernetes.io/component']).toBe('migrate');
    expect(job.metadata.annotations?.['argocd.argoproj.io/hook']).toBe('PreSync');
  });

  it('references only Secrets that the overlay renders (dev) or that deploy/k8s/create-secrets.sh / CloudNativePG create (prod)', () => {
    const refs = new Set<string>();
    for (const o of [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')]) {
      for (const c of allContainers(o))
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    }
    expect(refs.size).toBeGreaterThan(10);
    const secrets = byKind(objects, 'Secret');
    for (const ref of refs) {
      const [name, key] = ref.split('/');
      if (name === 'tpo-pg-superuser') continue; // created by the CloudNativePG operator
      if (overlay === 'dev') {
        const secret = secrets.find((s) => s.metadata.name === name);
        expect({
          ref,
          found: Boolean(
            secret && (secret.data?.[key] ?? (secret as { stringData?: Record<string, string> }).stringData?.[key]),
          ),
        }).toEqual({ ref, found: true });
      } else {
        expect(prodSecretScript).toContain(`create ${name} `);
      }
    }
    if (overlay === 'prod') expect(secrets).toEqual([]);
  });

  it('declares PostgreSQL through a CloudNativePG Cluster', () => {
    const cluster = named(objects, 'Cluster', 'tpo-pg')!;
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    const spec = cluster.spec as { instances: number; enableSuperuserAccess: boolean; storage: { size: string } };
    expect(spec.instances).toBe(overlay === 'prod' ? 3 : 1);
    expect(spec.enableSuperuserAccess).toBe(true);
    expect(spec.storage.size).toMatch(/Gi$/);
  });
});
