import type * as YAMLModule from 'yaml';
import { isDnsLabel, isDnsSubdomain } from '../dns-name';

/** `yaml`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const yamlLib = (): typeof YAMLModule => require('yaml') as typeof YAMLModule;

const KYVERNO_V1 = ['v1', 'v2beta1'] as const;
const CEL_CLUSTER = ['v1', 'v1beta1', 'v1alpha1'] as const;
const CEL_NAMESPACED = ['v1', 'v1beta1'] as const;

/** One policy kind the sync manages: its REST resource and the versions its CRD serves. */
export interface KyvernoPolicyKindInfo {
  readonly group: 'kyverno.io' | 'policies.kyverno.io';
  readonly plural: string;
  readonly namespaced: boolean;
  /** The versions the pinned Kyverno's CRD serves; a source may use any of them. */
  readonly versions: readonly string[];
  /** The version the sync lists the kind with. */
  readonly listVersion: 'v1';
}

/**
 * The Kyverno policy kinds the sync manages, with their REST resource and served versions, as
 * Kyverno 1.19's CRDs define them (`config/crds/kyverno` and `config/crds/policies.kyverno.io`).
 * The `policies.kyverno.io` kinds are Kyverno's CEL policies (Kyverno 1.14 and later).
 */
export const KYVERNO_POLICY_KINDS = {
  ClusterPolicy: {
    group: 'kyverno.io',
    plural: 'clusterpolicies',
    namespaced: false,
    versions: KYVERNO_V1,
    listVersion: 'v1',
  },
  Policy: {
    group: 'kyverno.io',
    plural: 'policies',
    namespaced: true,
    versions: KYVERNO_V1,
    listVersion: 'v1',
  },
  ValidatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'validatingpolicies',
    namespaced: false,
    versions: CEL_CLUSTER,
    listVersion: 'v1',
  },
  ImageValidatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'imagevalidatingpolicies',
    namespaced: false,
    versions: CEL_CLUSTER,
    listVersion: 'v1',
  },
  MutatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'mutatingpolicies',
    namespaced: false,
    versions: CEL_CLUSTER,
    listVersion: 'v1',
  },
  GeneratingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'generatingpolicies',
    namespaced: false,
    versions: CEL_CLUSTER,
    listVersion: 'v1',
  },
  DeletingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'deletingpolicies',
    namespaced: false,
    versions: CEL_CLUSTER,
    listVersion: 'v1',
  },
  NamespacedValidatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'namespacedvalidatingpolicies',
    namespaced: true,
    versions: CEL_NAMESPACED,
    listVersion: 'v1',
  },
  NamespacedImageValidatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'namespacedimagevalidatingpolicies',
    namespaced: true,
    versions: CEL_NAMESPACED,
    listVersion: 'v1',
  },
  NamespacedMutatingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'namespacedmutatingpolicies',
    namespaced: true,
    versions: CEL_NAMESPACED,
    listVersion: 'v1',
  },
  NamespacedGeneratingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'namespacedgeneratingpolicies',
    namespaced: true,
    versions: CEL_NAMESPACED,
    listVersion: 'v1',
  },
  NamespacedDeletingPolicy: {
    group: 'policies.kyverno.io',
    plural: 'namespaceddeletingpolicies',
    namespaced: true,
    versions: CEL_NAMESPACED,
    listVersion: 'v1',
  },
} as const satisfies Record<string, KyvernoPolicyKindInfo>;

/** A kind the sync manages: `ClusterPolicy`, `Policy`, or one of Kyverno's CEL policy kinds. */
export type KyvernoPolicyKind = keyof typeof KYVERNO_POLICY_KINDS;

/** The classic kinds (`kyverno.io`), the ones every Kyverno version serves. */
export function isClassicKind(kind: KyvernoPolicyKind): boolean {
  return KYVERNO_POLICY_KINDS[kind].group === 'kyverno.io';
}

/** True when `kind` is a kind the sync manages. */
export function isPolicyKind(kind: unknown): kind is KyvernoPolicyKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KYVERNO_POLICY_KINDS, kind);
}

/** The API version the sync lists and writes `kyverno.io` policies with. */
export const KYVERNO_POLICY_VERSION = 'v1';

/**
 * The version of `apiVersion` when it is exactly `<group>/<version>` of a version the kind's CRD
 * serves; undefined otherwise (`kyverno.io/v1#x`, `kyverno.io/v1?x=`, `kyverno.io/v1/x`, another group).
 */
export function knownVersionOf(kind: KyvernoPolicyKind, apiVersion: unknown): string | undefined {
  const info: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[kind];
  return info.versions.find((v) => apiVersion === `${info.group}/${v}`);
}

/** The `apiVersion` values a kind accepts, for error messages. */
export function acceptedApiVersions(kind: KyvernoPolicyKind): string[] {
  const info: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[kind];
  return info.versions.map((v) => `${info.group}/${v}`);
}

/** Identity of one policy: kind, namespace (namespaced kinds only) and name. */
export interface PolicyRef {
  readonly kind: KyvernoPolicyKind;
  readonly name: string;
  /** Namespace of a namespaced `Policy`; absent for a `ClusterPolicy`. */
  readonly namespace?: string;
}

/** Object metadata the sync reads and writes. */
export interface PolicyMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  [key: string]: unknown;
}

/** A Kyverno policy object as plain JSON. */
export interface KyvernoPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: PolicyMetadata;
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Which annotation marks a policy as owned by the sync. */
export interface PolicyOwnership {
  /** @default 'insights.fairwinds.com/owned-by' */
  readonly annotationKey: string;
  /** @default 'Fairwinds Insights' */
  readonly annotationValue: string;
}

/** The annotation the Fairwinds runner uses: `insights.fairwinds.com/owned-by: "Fairwinds Insights"`. */
export const DEFAULT_OWNERSHIP: PolicyOwnership = {
  annotationKey: 'insights.fairwinds.com/owned-by',
  annotationValue: 'Fairwinds Insights',
};

/** `ClusterPolicy/name` or `Policy/namespace/name`: unique per cluster. */
export function policyKey(ref: PolicyRef): string {
  return ref.namespace === undefined ? `${ref.kind}/${ref.name}` : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * The name printed in summaries: `name` for a ClusterPolicy, `namespace/name` for a Policy, and
 * for the CEL kinds the kind first: `ValidatingPolicy/name`, `NamespacedValidatingPolicy/namespace/name`.
 */
export function policyDisplayName(ref: PolicyRef): string {
  const name = ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
  return isClassicKind(ref.kind) ? name : `${ref.kind}/${name}`;
}

/** The identity of a policy object. */
export function refOf(obj: KyvernoPolicyObject): PolicyRef {
  const kind = obj.kind as KyvernoPolicyKind;
  return (KYVERNO_POLICY_KINDS[kind] as KyvernoPolicyKindInfo | undefined)?.namespaced
    ? { kind, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default' }
    : { kind, name: obj.metadata.name };
}

/** True when the object carries the ownership annotation with the expected value. */
export function isOwned(obj: KyvernoPolicyObject, ownership: PolicyOwnership): boolean {
  return obj.metadata.annotations?.[ownership.annotationKey] === ownership.annotationValue;
}

/** Thrown when a source's YAML cannot be turned into policies; nothing has been written. */
export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value))
    throw new PolicyDocumentError(`${where} must be a map of strings, got ${JSON.stringify(value)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new PolicyDocumentError(`${where}.${k} must be a string, got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** Options of {@link parsePolicyDocuments}. */
export interface ParsePolicyDocumentsOptions {
  /** Ownership annotation added to every expected policy. */
  readonly ownership: PolicyOwnership;
  /**
   * Namespace of a `Policy` document that names none.
   * @default 'default'
   */
  readonly defaultNamespace?: string;
}

/**
 * Parses a multi-document YAML stream of Kyverno policies into expected policy objects: `---`
 * separated documents and `kind: List` are accepted, empty documents skipped; only name, namespace, labels,
 * annotations and spec are kept (server-set metadata and `status` are dropped); the ownership annotation is set. Throws a
 * {@link PolicyDocumentError} naming the document and the problem for malformed YAML, an
 * unsupported kind, an invalid name, a missing spec or a duplicate policy.
 */
export function parsePolicyDocuments(
  texts: readonly { readonly origin: string; readonly yaml: string }[],
  options: ParsePolicyDocumentsOptions,
): KyvernoPolicyObject[] {
  const raw: { value: unknown; where: string }[] = [];
  for (const text of texts) collectDocuments(text.yaml, text.origin, raw);
  const seen = new Map<string, string>();
  const out: KyvernoPolicyObject[] = [];
  for (const { value, where } of raw) {
    const obj = toPolicyObject(value, where, options);
    const key = policyKey(refOf(obj));
    const first = seen.get(key);
    if (first !== undefined)
      throw new PolicyDocumentError(`${where}: duplicate ${key}, first defined in ${first}`);
    seen.set(key, where);
    out.push(obj);
  }
  return out;
}

function collectDocuments(yaml: string, origin: string, raw: { value: unknown; where: string }[]): void {
  const docs = yamlLib().parseAllDocuments(yaml, { uniqueKeys: true });
  docs.forEach((doc, i) => {
    const where = `${origin} document ${i + 1}`;
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new PolicyDocumentError(`malformed YAML in ${where}: ${e.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (isRecord(value) && value.kind === 'List') {
      if (!Array.isArray(value.items))
        throw new PolicyDocumentError(`${where}: a List needs 'items', got none`);
      value.items.forEach((item, j) => raw.push({ value: item, where: `${where} item ${j + 1}` }));
    } else {
      raw.push({ value, where });
    }
  });
}

function toPolicyObject(
  value: unknown,
  where: string,
  options: ParsePolicyDocumentsOptions,
): KyvernoPolicyObject {
  if (!isRecord(value)) {
    throw new PolicyDocumentError(
      `${where} is not a Kubernetes object, got ${JSON.stringify(value).slice(0, 80)}`,
    );
  }
  const kind = value.kind;
  if (!isPolicyKind(kind)) {
    throw new PolicyDocumentError(
      `${where}: 'kind' must be one of ${Object.keys(KYVERNO_POLICY_KINDS).join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  const apiVersion = value.apiVersion;
  if (typeof apiVersion !== 'string' || knownVersionOf(kind, apiVersion) === undefined) {
    throw new PolicyDocumentError(
      `${where}: 'apiVersion' of a ${kind} must be one of ${acceptedApiVersions(kind).join(', ')}, got ${JSON.stringify(apiVersion)}`,
    );
  }
  const md = value.metadata;
  if (!isRecord(md))
    throw new PolicyDocumentError(`${where}: 'metadata' is required, got ${JSON.stringify(md)}`);
  const name = md.name;
  if (typeof name !== 'string' || !isDnsSubdomain(name)) {
    throw new PolicyDocumentError(
      `${where}: 'metadata.name' must be a DNS-1123 subdomain, got ${JSON.stringify(name)}`,
    );
  }
  const spec = value.spec;
  if (!isRecord(spec)) {
    throw new PolicyDocumentError(
      `${where} (${kind} ${name}): 'spec' must be an object, got ${JSON.stringify(spec)}`,
    );
  }
  const metadata: PolicyMetadata = { name };
  if (KYVERNO_POLICY_KINDS[kind].namespaced) {
    const ns = md.namespace ?? options.defaultNamespace ?? 'default';
    if (typeof ns !== 'string' || !isDnsLabel(ns)) {
      throw new PolicyDocumentError(
        `${where} (${kind} ${name}): 'metadata.namespace' is invalid, got ${JSON.stringify(ns)}`,
      );
    }
    metadata.namespace = ns;
  }
  const labels = stringMap(md.labels, `${where} metadata.labels`);
  if (labels && Object.keys(labels).length > 0) metadata.labels = labels;
  metadata.annotations = {
    ...(stringMap(md.annotations, `${where} metadata.annotations`) ?? {}),
    [options.ownership.annotationKey]: options.ownership.annotationValue,
  };
  const obj: KyvernoPolicyObject = { apiVersion, kind, metadata, spec };
  return obj;
}
