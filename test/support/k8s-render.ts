import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = resolve(__dirname, '..', '..', 'deploy', 'k8s');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** `kubectl kustomize <overlay>` (TPO_KUBECTL overrides the binary), parsed. */
export function renderOverlay(overlay: string): K8sObject[] {
  const out = execFileSync(process.env.TPO_KUBECTL ?? 'kubectl', ['kustomize', resolve(K8S_DIR, 'overlays', overlay)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

type Validatable = new (data: object) => { validate(): void };

/**
 * The object checked against the Kubernetes OpenAPI schema (kubernetes-models), or `undefined` for
 * a kind it does not know (custom resources such as CloudNativePG's Cluster).
 */
export function schemaErrorOf(o: K8sObject): string | undefined | 'unknown-kind' {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`;
  let Model: Validatable | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Model = (require(path) as Record<string, Validatable>)[o.kind];
  } catch {
    return 'unknown-kind';
  }
  if (!Model) return 'unknown-kind';
  try {
    new Model(o).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface PodSpecLike {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
}

export interface ContainerLike {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
  };
}

export function podSpecOf(o: K8sObject): PodSpecLike {
  const template = (o.spec as { template: { spec: PodSpecLike } }).template;
  return template.spec;
}

/** `512Mi` -> bytes (the units the manifests use). */
export function bytesOf(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1;
  return Number(m[1]) * unit;
}
