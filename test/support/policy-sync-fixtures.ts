// Fixtures of the policy sync e2e tests: Kyverno policies as YAML, and direct apiserver access
// (raw API paths through the harness's kubeRequest, not the sync's own calls) to seed and inspect.
import { kubeRequest } from './kube-api';

export const OWNER_KEY = 'insights.fairwinds.com/owned-by';
export const OWNER_VALUE = 'Fairwinds Insights';

/** A valid ClusterPolicy (or namespaced Policy) requiring a label; `message` varies its spec. */
export function policyYaml(
  name: string,
  opts: { message?: string; namespace?: string; annotations?: Record<string, string> } = {},
): string {
  const kind = opts.namespace ? 'Policy' : 'ClusterPolicy';
  const annotations = opts.annotations ?? { [OWNER_KEY]: OWNER_VALUE };
  const ann = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `apiVersion: kyverno.io/v1
kind: ${kind}
metadata:
  name: ${name}
${opts.namespace ? `  namespace: ${opts.namespace}\n` : ''}${ann ? `  annotations:\n${ann}\n` : ''}spec:
  validationFailureAction: Audit
  background: true
  rules:
    - name: require-team
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: ${JSON.stringify(opts.message ?? `label team is required (${name})`)}
        pattern:
          metadata:
            labels:
              team: "?*"
`;
}

/**
 * `bad-policy`: valid to the ClusterPolicy CRD's schema, rejected by the Kyverno CLI (a validate
 * rule with two checks, `pattern` and `deny`).
 */
export const TWO_CHECKS_POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: bad-policy
spec:
  rules:
    - name: two-checks
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: "x"
        pattern:
          metadata:
            labels:
              team: "?*"
        deny: {}
`;

/** Several documents as one YAML stream. */
export const yamlStream = (docs: string[]): string => docs.join('---\n');

export interface PolicyState {
  readonly key: string;
  readonly resourceVersion: string;
  readonly annotations: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec: any;
}

/** Every policy of the given kinds (`[kind, plural]`) in one API group version, by `Kind/name` / `Kind/ns/name`. */
async function listPolicies(
  kubeconfig: string,
  groupVersion: string,
  kinds: [kind: string, plural: string][],
): Promise<Map<string, PolicyState>> {
  const out = new Map<string, PolicyState>();
  for (const [kind, plural] of kinds) {
    const res = await kubeRequest(kubeconfig, 'GET', `/apis/${groupVersion}/${plural}`);
    if (res.status !== 200) throw new Error(`list ${plural}: HTTP ${res.status} ${res.body}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    for (const item of res.json<{ items: any[] }>().items) {
      const key = item.metadata.namespace
        ? `${kind}/${item.metadata.namespace}/${item.metadata.name}`
        : `${kind}/${item.metadata.name}`;
      out.set(key, {
        key,
        resourceVersion: item.metadata.resourceVersion,
        annotations: item.metadata.annotations ?? {},
        spec: item.spec,
      });
    }
  }
  return out;
}

/** Every ClusterPolicy and Policy in the cluster, by `ClusterPolicy/name` / `Policy/ns/name`. */
export function clusterPolicies(kubeconfig: string): Promise<Map<string, PolicyState>> {
  return listPolicies(kubeconfig, 'kyverno.io/v1', [
    ['ClusterPolicy', 'clusterpolicies'],
    ['Policy', 'policies'],
  ]);
}

/**
 * Waits until the apiserver serves the Kyverno policy kinds (right after the CRDs are installed it
 * answers 429 "storage is (re)initializing" for a while).
 */
export async function waitForPolicyApi(kubeconfig: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await kubeRequest(kubeconfig, 'GET', '/apis/kyverno.io/v1/clusterpolicies');
    const b = await kubeRequest(kubeconfig, 'GET', '/apis/kyverno.io/v1/policies');
    if (a.status === 200 && b.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`Kyverno policy API not ready: HTTP ${a.status} ${a.body} / ${b.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Resource versions by key: equal before and after means nothing was written. */
export async function resourceVersions(kubeconfig: string): Promise<Record<string, string>> {
  return Object.fromEntries([...(await clusterPolicies(kubeconfig))].map(([k, v]) => [k, v.resourceVersion]));
}

/** Creates a policy directly (e.g. an unowned one). */
export async function createPolicy(kubeconfig: string, obj: Record<string, unknown>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const md = (obj as any).metadata;
  const path = md.namespace
    ? `/apis/kyverno.io/v1/namespaces/${md.namespace}/policies`
    : '/apis/kyverno.io/v1/clusterpolicies';
  const res = await kubeRequest(kubeconfig, 'POST', path, obj);
  if (res.status !== 201) throw new Error(`create ${md.name}: HTTP ${res.status} ${res.body}`);
}

/** Deletes every ClusterPolicy and Policy, every CEL-kind policy, and the sync's Leases in `default`. */
export async function resetPolicies(kubeconfig: string): Promise<void> {
  await resetCelPolicies(kubeconfig);
  for (const [key] of await clusterPolicies(kubeconfig)) {
    const parts = key.split('/');
    const path =
      parts[0] === 'ClusterPolicy'
        ? `/apis/kyverno.io/v1/clusterpolicies/${parts[1]}`
        : `/apis/kyverno.io/v1/namespaces/${parts[1]}/policies/${parts[2]}`;
    const res = await kubeRequest(kubeconfig, 'DELETE', path);
    if (res.status !== 200 && res.status !== 404)
      throw new Error(`delete ${key}: HTTP ${res.status} ${res.body}`);
  }
  const leases = await kubeRequest(
    kubeconfig,
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/default/leases',
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  for (const l of leases.json<{ items: any[] }>().items) {
    await kubeRequest(
      kubeconfig,
      'DELETE',
      `/apis/coordination.k8s.io/v1/namespaces/default/leases/${l.metadata.name}`,
    );
  }
}

/** Creates a namespace if absent. */
export async function ensureNamespace(kubeconfig: string, name: string): Promise<void> {
  const res = await kubeRequest(kubeconfig, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`namespace ${name}: HTTP ${res.status} ${res.body}`);
}

/** Kyverno's CEL policy kinds (policies.kyverno.io) the e2e tests use, with their resource. */
export const CEL_KINDS = {
  ValidatingPolicy: { plural: 'validatingpolicies', namespaced: false },
  NamespacedValidatingPolicy: { plural: 'namespacedvalidatingpolicies', namespaced: true },
  MutatingPolicy: { plural: 'mutatingpolicies', namespaced: false },
  GeneratingPolicy: { plural: 'generatingpolicies', namespaced: false },
  DeletingPolicy: { plural: 'deletingpolicies', namespaced: false },
  NamespacedDeletingPolicy: { plural: 'namespaceddeletingpolicies', namespaced: true },
  ImageValidatingPolicy: { plural: 'imagevalidatingpolicies', namespaced: false },
  NamespacedImageValidatingPolicy: { plural: 'namespacedimagevalidatingpolicies', namespaced: true },
  NamespacedMutatingPolicy: { plural: 'namespacedmutatingpolicies', namespaced: true },
  NamespacedGeneratingPolicy: { plural: 'namespacedgeneratingpolicies', namespaced: true },
} as const;
export type CelKind = keyof typeof CEL_KINDS;

const MATCH_PODS = `  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
`;

/** A valid policy of one of Kyverno's CEL kinds (as in Kyverno's own conformance tests); `message` varies its spec. */
export function celPolicyYaml(
  kind: CelKind,
  name: string,
  opts: {
    message?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    apiVersion?: string;
  } = {},
): string {
  const annotations = opts.annotations ?? { [OWNER_KEY]: OWNER_VALUE };
  const ann = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const message = JSON.stringify(opts.message ?? `label team is required (${name})`);
  // Images of ghcr.io/example only (never the Kyverno CLI's probe pod): verified by a public key.
  const imageValidating = `${MATCH_PODS}  matchImageReferences:
    - glob: ghcr.io/example/*
  attestors:
    - name: cosign
      cosign:
        key:
          data: |
            -----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6QsNef3SKYhJVYSVj+ZfbPwJd0pv
            DLYNHXITZkhIzfE+apcxDjCCkDPcJ3A3zvhPATYOOsCxYUsA6VPaUVoZ7w==
            -----END PUBLIC KEY-----
  validations:
    - expression: "images.containers.map(image, verifyImageSignatures(image, [attestors.cosign])).all(e, e > 0)"
      message: ${message}
`;
  const mutating = `${MATCH_PODS}  mutations:
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: 'Object{metadata: Object.metadata{labels: {"mutated-by": ${JSON.stringify(JSON.stringify(opts.message ?? name))}}}}'
`;
  const spec: Record<CelKind, string> = {
    ImageValidatingPolicy: imageValidating,
    NamespacedImageValidatingPolicy: imageValidating,
    NamespacedMutatingPolicy: mutating,
    NamespacedGeneratingPolicy: `  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [configmaps]
  generate:
    - expression: ${JSON.stringify(`generator.apply([{"kind": dyn("Secret"), "apiVersion": dyn("v1"), "metadata": dyn({"name": "${opts.message ?? name}"})}])`)}
`,
    ValidatingPolicy: `${MATCH_PODS}  validationActions: [Audit]
  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: ${message}
`,
    NamespacedValidatingPolicy: `${MATCH_PODS}  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: ${message}
`,
    MutatingPolicy: `${MATCH_PODS}  mutations:
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: 'Object{metadata: Object.metadata{labels: {"mutated-by": ${JSON.stringify(JSON.stringify(opts.message ?? name))}}}}'
`,
    GeneratingPolicy: `  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [namespaces]
  variables:
    - name: nsName
      expression: object.metadata.name
  generate:
    - expression: ${JSON.stringify(`generator.apply(variables.nsName, [{"kind": dyn("ConfigMap"), "apiVersion": dyn("v1"), "metadata": dyn({"name": "${opts.message ?? name}", "namespace": string(variables.nsName)})}])`)}
`,
    DeletingPolicy: `  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        resources: [configmaps]
  conditions:
    - name: expired
      expression: ${JSON.stringify(`object.metadata.name == "${opts.message ?? name}"`)}
  schedule: "*/5 * * * *"
`,
    NamespacedDeletingPolicy: `  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        resources: [configmaps]
  conditions:
    - name: expired
      expression: ${JSON.stringify(`object.metadata.name == "${opts.message ?? name}"`)}
  schedule: "*/5 * * * *"
`,
  };
  return `apiVersion: ${opts.apiVersion ?? 'policies.kyverno.io/v1'}
kind: ${kind}
metadata:
  name: ${name}
${opts.namespace ? `  namespace: ${opts.namespace}\n` : ''}${ann ? `  annotations:\n${ann}\n` : ''}spec:
${spec[kind]}`;
}

/** Every CEL-kind policy in the cluster, by `Kind/name` / `Kind/ns/name`. */
export function celPolicies(kubeconfig: string): Promise<Map<string, PolicyState>> {
  return listPolicies(
    kubeconfig,
    'policies.kyverno.io/v1',
    Object.entries(CEL_KINDS).map(([kind, { plural }]) => [kind, plural]),
  );
}

/** Resource versions of the CEL-kind policies by key. */
export async function celResourceVersions(kubeconfig: string): Promise<Record<string, string>> {
  return Object.fromEntries([...(await celPolicies(kubeconfig))].map(([k, v]) => [k, v.resourceVersion]));
}

/** Waits until the apiserver serves the CEL kinds, then deletes every object of them. */
export async function resetCelPolicies(kubeconfig: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const { plural } of Object.values(CEL_KINDS)) {
    for (;;) {
      const res = await kubeRequest(kubeconfig, 'GET', `/apis/policies.kyverno.io/v1/${plural}`);
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${plural} not served: HTTP ${res.status} ${res.body}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  for (const [key] of await celPolicies(kubeconfig)) {
    const [kind, a, b] = key.split('/');
    const { plural, namespaced } = CEL_KINDS[kind as CelKind];
    const path = namespaced
      ? `/apis/policies.kyverno.io/v1/namespaces/${a}/${plural}/${b}`
      : `/apis/policies.kyverno.io/v1/${plural}/${a}`;
    const res = await kubeRequest(kubeconfig, 'DELETE', path);
    if (res.status !== 200 && res.status !== 404)
      throw new Error(`delete ${key}: HTTP ${res.status} ${res.body}`);
  }
}
