import { createHash } from 'node:crypto';
import type { Condition } from '../conditions';
import { toDnsLabel } from '../dns-name';
import type { DetectedImage, ResolvedPipelineConfig } from '../pipeline/types';

/**
 * The image resource controller's custom resources (`automation.gitops.io/v1beta1`) as plain
 * data: ImageResourcePolicy, ResourceTemplate and ImageDetected, with the fields of the seed's
 * README (S-mishina/image-resource-controller). The detection and creation managers read and
 * write these shapes; the CRDs (constructs/image-resource-crds.ts) define them for the apiserver.
 */

/** The API group of the custom resources. */
export const IMAGE_RESOURCE_API_GROUP = 'automation.gitops.io';
/** Their version. */
export const IMAGE_RESOURCE_API_VERSION = 'v1beta1';
/** `group/version`. */
export const IMAGE_RESOURCE_API = `${IMAGE_RESOURCE_API_GROUP}/${IMAGE_RESOURCE_API_VERSION}`;

/** Plural resource names, for API paths. */
export const PLURALS = {
  ImageResourcePolicy: 'imageresourcepolicies',
  ResourceTemplate: 'resourcetemplates',
  ImageDetected: 'imagedetecteds',
} as const;

/** Label on every ImageDetected naming its policy (`<namespace>.<name>` is not a label value: the name only). */
export const POLICY_LABEL = 'automation.gitops.io/policy';

/** The default scan interval of a policy without `spec.scanInterval`. */
export const DEFAULT_SCAN_INTERVAL = '5m';

export type { Condition };

/** The metadata the managers read. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
}

/** A reference to a Secret in the same namespace. */
export interface SecretRef {
  readonly name: string;
}

/** `spec` of an ImageResourcePolicy, as stored (the CRD applies the defaults). */
export interface ImageResourcePolicySpec {
  readonly ecrRepository: {
    readonly region: string;
    readonly registryId?: string;
    readonly repositoryPattern?: string;
    readonly imageNamePattern?: string;
    readonly imagePattern?: string;
    readonly maxRepositories?: number;
    readonly maxConcurrentScans?: number;
    readonly scanTimeout?: string;
  };
  readonly policy: Readonly<Record<string, unknown>>;
  readonly templateRef: { readonly name: string; readonly namespace?: string };
  readonly aws?: { readonly roleArn?: string; readonly secretRef?: SecretRef };
  readonly suspend?: boolean;
  readonly ttlDays?: number;
  /** How often the registry is scanned, as a Go duration. @default '5m' (or the manager's --scan-interval) */
  readonly scanInterval?: string;
}

/** `status` of an ImageResourcePolicy. */
export interface ImageResourcePolicyStatus {
  readonly conditions?: Condition[];
  readonly lastScannedTime?: string;
  readonly observedGeneration?: number;
  readonly repositoriesScanned?: number;
  readonly repositoriesMatched?: number;
  readonly imagesDetected?: number;
  readonly imageDetectedCreated?: number;
}

export interface ImageResourcePolicy {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec: ImageResourcePolicySpec;
  readonly status?: ImageResourcePolicyStatus;
}

/** `spec` of a ResourceTemplate. */
export interface ResourceTemplateSpec {
  readonly template: string;
  readonly variables?: Readonly<Record<string, string>>;
  readonly gitRepository: {
    readonly url: string;
    readonly branch?: string;
    readonly path?: string;
    readonly secretRef?: SecretRef;
  };
}

export interface ResourceTemplate {
  readonly metadata: ObjectMeta;
  readonly spec: ResourceTemplateSpec;
}

/** `spec` of an ImageDetected. */
export interface ImageDetectedSpec {
  readonly imageName: string;
  readonly imageTag: string;
  readonly imageDigest: string;
  readonly fullImageName: string;
  readonly tagPrefix?: string;
  readonly sourcePolicy: { readonly name: string; readonly namespace?: string };
  readonly detectedAt: string;
}

/** What an ImageDetected is in. */
export type ImageDetectedPhase = 'Pending' | 'Processing' | 'Completed' | 'Skipped' | 'Failed';

/** The workload that made an image redundant. */
export interface ExistingResource {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly container?: string;
}

/** `status` of an ImageDetected. */
export interface ImageDetectedStatus {
  readonly conditions?: Condition[];
  readonly phase?: ImageDetectedPhase;
  readonly resourceCreated?: boolean;
  readonly gitCommitSHA?: string;
  readonly processedAt?: string;
  readonly skipReason?: string;
  readonly existingResource?: ExistingResource;
  readonly observedGeneration?: number;
}

export interface ImageDetected {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec: ImageDetectedSpec;
  readonly status?: ImageDetectedStatus;
}

/**
 * The deterministic name of the ImageDetected of `image` selected by the policy `policyName`:
 * `<serviceName>-<tag>-<hash8>`, the tag lowercased with every run of other characters as one
 * `-` (the seed's `webapp-frontend-v1-2-3-abc12345`), and a hash of the policy and the full image
 * name so that two policies or two registries never share a name. At most 63 characters (a label,
 * so the name also fits in label values).
 */
export function imageDetectedName(
  policyName: string,
  image: Pick<DetectedImage, 'imageName' | 'tag' | 'fullImageName'>,
): string {
  const hash = createHash('sha256')
    .update(`${policyName}\u0000${image.fullImageName}`)
    .digest('hex')
    .slice(0, 8);
  const base = `${image.imageName}-${image.tag}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63 - 9)
    .replace(/-+$/, '');
  return `${base || 'image'}-${hash}`;
}

/** The registry and repository of a full image name `registry/repository:tag`. */
export function splitFullImageName(fullImageName: string): {
  registry: string;
  repository: string;
  tag: string;
} {
  const slash = fullImageName.indexOf('/');
  const colon = fullImageName.lastIndexOf(':');
  if (slash < 0 || colon < slash) {
    throw new Error(
      `'spec.fullImageName' must be registry/repository:tag, got ${JSON.stringify(fullImageName)}`,
    );
  }
  return {
    registry: fullImageName.slice(0, slash),
    repository: fullImageName.slice(slash + 1, colon),
    tag: fullImageName.slice(colon + 1),
  };
}

/** The DetectedImage an ImageDetected stands for (what templates render). */
export function detectedImageOf(spec: ImageDetectedSpec): DetectedImage {
  const { registry, repository, tag } = splitFullImageName(spec.fullImageName);
  const imageName = repository.slice(repository.lastIndexOf('/') + 1);
  return {
    registry,
    repository,
    tag,
    digest: spec.imageDigest,
    pushedAt: spec.detectedAt,
    fullImageName: spec.fullImageName,
    imageName,
    serviceName: toDnsLabel([imageName]),
    ...(spec.tagPrefix !== undefined && spec.tagPrefix !== '' ? { tagPrefix: spec.tagPrefix } : {}),
  };
}

/** The namespace a reference resolves to: its own, or the referring object's. */
export function refNamespace(ref: { readonly namespace?: string }, owner: ObjectMeta): string {
  return ref.namespace && ref.namespace !== '' ? ref.namespace : (owner.namespace ?? 'default');
}

/** A resolved pipeline configuration's Git part, as the creation manager groups images by it. */
export type ResolvedGit = ResolvedPipelineConfig['git'];
