// The one container / pod / job model behind KubernetesJob, KubernetesCronJob and DaemonJob:
// props, validation, the supporting objects (Namespace, ConfigMaps, Secrets, ServiceAccount) and
// the Job spec. Each workload adds only what is its own (schedule, per-node pinning, ...).
import { Names } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import {
  validateAnnotations,
  validateDnsLabel,
  validateDnsSubdomain,
  validateLabels,
  isDnsLabel,
  isLabelValue,
  isQualifiedName,
  toDnsLabel,
} from '../core/dns-name';
import { parseImageReference } from '../core/image-reference';
import { parseQuantity } from '../core/quantity';
import { NodeToleration } from '../core/node-inventory';
import { NetworkPolicyOptions, addNetworkPolicy, validateNetworkPolicyOptions } from './network-policy';

/** The name of the Job's main container (podFailurePolicy rules and logs refer to it). */
export const MAIN_CONTAINER_NAME = 'main';

/** How completions are tracked: any `completions` successes, or one success per index. */
export type CompletionMode = 'NonIndexed' | 'Indexed';

/** What the kubelet does when a container of the Job's pod fails. */
export type JobRestartPolicy = 'Never' | 'OnFailure';

/** A key of an existing Secret, exposed to the container as an environment variable. */
export interface SecretKeyReference {
  /** The Secret's name (in the Job's namespace). */
  readonly secretName: string;
  /** The key inside the Secret. */
  readonly key: string;
  /** Start the container even when the Secret or key is missing. @default false */
  readonly optional?: boolean;
  /**
   * Mount the key as a read-only file (`/var/run/secrets/jobforge/<secretName>/<key>`) instead of
   * putting its value in the environment; the variable then holds the file's path (name it e.g.
   * `API_KEY_FILE`). For programs that can read a secret from a file.
   * @default false
   */
  readonly asFile?: boolean;
}

/** Where `secretEnv` entries with `asFile` are mounted: one directory per Secret. */
export const SECRET_FILES_DIR = '/var/run/secrets/jobforge';

/** How the kubelet pulls an image. */
export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/**
 * The pull policy jobforge sets when none is given: `IfNotPresent` for an image pinned by digest
 * (the digest names one immutable image), `Always` for a tag (tags move; `Always` only re-checks
 * the manifest, layers already on the node are not downloaded again).
 */
export function defaultImagePullPolicy(image: string): ImagePullPolicy {
  return parseImageReference(image).digest === undefined ? 'Always' : 'IfNotPresent';
}

/** CPU, memory and ephemeral storage quantities (`500m`, `256Mi`, ...). */
export interface ResourceQuantities {
  /** @default - none */
  readonly cpu?: string;
  /** @default - none */
  readonly memory?: string;
  /** @default - none */
  readonly ephemeralStorage?: string;
}

/** Container resource requests and limits. */
export interface ContainerResources {
  /** @default - none */
  readonly requests?: ResourceQuantities;
  /** @default - none */
  readonly limits?: ResourceQuantities;
}

/** The resources a container gets when `resources` is not given. */
export const DEFAULT_RESOURCES: ContainerResources = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};

/** Options of an EmptyDir volume. */
export interface EmptyDirOptions {
  /** `Memory` for a tmpfs. @default - the node's disk */
  readonly medium?: 'Memory';
  /** @default - no limit */
  readonly sizeLimit?: string;
}

/**
 * A volume and where the main container mounts it. Exactly one source (`configMap`, `secret`,
 * `persistentVolumeClaim`, `hostPath`, `emptyDir`) is set.
 */
export interface VolumeMount {
  /** Absolute path in the container. */
  readonly mountPath: string;
  /** The volume's name (init containers mount it by this name). @default - `<source>-<index>` */
  readonly name?: string;
  /** @default - read-only for configMap and secret, read-write otherwise */
  readonly readOnly?: boolean;
  /** Mount one path of the volume. @default - the whole volume */
  readonly subPath?: string;
  /** A ConfigMap's name (one of `configMaps`, or an existing one). */
  readonly configMap?: string;
  /** A Secret's name. */
  readonly secret?: string;
  /** A PersistentVolumeClaim's name. */
  readonly persistentVolumeClaim?: string;
  /** A path on the node. Not allowed by the baseline and restricted Pod Security Standards. */
  readonly hostPath?: string;
  /** @default - no check of what is at hostPath */
  readonly hostPathType?:
    'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';
  /** A scratch directory that lives as long as the pod. */
  readonly emptyDir?: EmptyDirOptions;
}

/** Where an init container mounts one of the Job's volumes. */
export interface InitContainerVolumeMount {
  /** The name of a volume from `volumeMounts`. */
  readonly name: string;
  readonly mountPath: string;
  /** @default false */
  readonly readOnly?: boolean;
  /** @default - the whole volume */
  readonly subPath?: string;
}

/** A container that runs to completion before the main container starts. */
export interface InitContainer {
  /** DNS-1123 label, unique in the pod, not `main`. */
  readonly name: string;
  /** A full image reference. */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's cmd */
  readonly args?: string[];
  /** @default {} */
  readonly env?: Record<string, string>;
  /** @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /** Merged over the restricted defaults. @default - restricted defaults */
  readonly securityContext?: k8s.SecurityContext;
  /** @default [] */
  readonly volumeMounts?: InitContainerVolumeMount[];
}

/**
 * The pod's image pull Secret: an existing Secret's `name`, or registry credentials (`registry`,
 * `username`, `password`) that become a kubernetes.io/dockerconfigjson Secret.
 */
export interface ImagePullSecret {
  /** The existing Secret, or the name of the created one. @default - `<name>-pull` when created */
  readonly name?: string;
  /** Registry host, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`. @default - use an existing Secret */
  readonly registry?: string;
  /** @default - none */
  readonly username?: string;
  /** @default - none */
  readonly password?: string;
  /** @default - none */
  readonly email?: string;
}

/** The pod's ServiceAccount: create one (optionally annotated, e.g. for IRSA), or use an existing one. */
export interface JobServiceAccount {
  /** @default - the workload's name when created; required when not */
  readonly name?: string;
  /** @default true */
  readonly create?: boolean;
  /** Annotations of the created ServiceAccount, e.g. `eks.amazonaws.com/role-arn`. @default {} */
  readonly annotations?: Record<string, string>;
}

/** A podFailurePolicy rule (batch/v1 PodFailurePolicyRule; exactly one of onExitCodes and onPodConditions). */
export interface PodFailurePolicyRule {
  /** Count, FailIndex, FailJob or Ignore. */
  readonly action: string;
  readonly onExitCodes?: k8s.PodFailurePolicyOnExitCodesRequirement;
  readonly onPodConditions?: k8s.PodFailurePolicyOnPodConditionsPattern[];
}

/** How pod failures count against the Job: presets, combinable with {@link PodFailurePolicy.of}. */
export class PodFailurePolicy {
  /**
   * Pods that fail because they were disrupted (preempted, evicted, drained: the DisruptionTarget
   * condition) are retried without counting against backoffLimit.
   */
  public static ignoreDisruptions(): PodFailurePolicy {
    return new PodFailurePolicy([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  }

  /** Fail the whole Job at once, without retries, when a container exits with one of `exitCodes`. */
  public static failFastOnExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('FailJob', exitCodes, containerName)]);
  }

  /** Fail only the pod's index (Indexed Jobs with backoffLimitPerIndex) on one of `exitCodes`. */
  public static failIndexOnExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('FailIndex', exitCodes, containerName)]);
  }

  /** Retry without counting against backoffLimit when a container exits with one of `exitCodes`. */
  public static ignoreExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('Ignore', exitCodes, containerName)]);
  }

  /** Raw rules, as batch/v1 spells them. */
  public static fromRules(rules: PodFailurePolicyRule[]): PodFailurePolicy {
    return new PodFailurePolicy(rules);
  }

  /** The rules of `policies`, in order (the first matching rule wins). */
  public static of(...policies: PodFailurePolicy[]): PodFailurePolicy {
    return new PodFailurePolicy(policies.flatMap((p) => p.rules));
  }

  private static exitCodeRule(
    action: string,
    exitCodes: number[],
    containerName?: string,
  ): PodFailurePolicyRule {
    if (!Array.isArray(exitCodes) || exitCodes.length === 0) {
      throw new Error(
        `'podFailurePolicy' exit codes must be a non-empty list, got ${JSON.stringify(exitCodes)}`,
      );
    }
    for (const code of exitCodes) {
      if (!Number.isInteger(code) || code < 1 || code > 255) {
        throw new Error(
          `'podFailurePolicy' exit codes must be integers from 1 to 255, got ${JSON.stringify(code)}`,
        );
      }
    }
    // The apiserver wants the values unique and ordered.
    const values = [...new Set(exitCodes)].sort((a, b) => a - b);
    return { action, onExitCodes: { operator: 'In', values, ...(containerName ? { containerName } : {}) } };
  }

  private constructor(public readonly rules: readonly PodFailurePolicyRule[]) {}
}

/** The container and pod props every jobforge batch workload shares. */
export interface ContainerProps {
  /**
   * A full image reference that parses (`registry/repository:tag`, `...@sha256:<hex>`); a tag or a
   * digest is required (no implicit `:latest`).
   */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's cmd */
  readonly args?: string[];
  /** Plain environment variables. @default {} */
  readonly env?: Record<string, string>;
  /** Environment variables read from existing Secrets (or, with `asFile`, their file paths). @default {} */
  readonly secretEnv?: Record<string, SecretKeyReference>;
  /**
   * Pull policy of every container.
   * @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag (see defaultImagePullPolicy)
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Refuse images (main and init containers) not pinned by digest (`…@sha256:<hex>`). @default false */
  readonly requireImageDigest?: boolean;
  /**
   * Opt in to a NetworkPolicy `<name>` for the workload's pods: all ingress denied, egress only to
   * cluster DNS and `egress` (none by default: list what the Job needs).
   * @default - no NetworkPolicy
   */
  readonly networkPolicy?: NetworkPolicyOptions;
  /**
   * Secret values (for development) put in an internal Secret `<name>-secrets` and exposed as
   * environment variables of the same names. @default {}
   */
  readonly secrets?: Record<string, string>;
  /** Replaces the defaults entirely when given. @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /**
   * Merged over the restricted defaults (allowPrivilegeEscalation false, privileged false, all
   * capabilities dropped, readOnlyRootFilesystem true, runAsNonRoot true).
   * @default - restricted defaults
   */
  readonly securityContext?: k8s.SecurityContext;
  /**
   * Merged over the restricted defaults (runAsNonRoot true, seccompProfile RuntimeDefault).
   * @default - restricted defaults
   */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** Volumes and their mounts in the main container. @default [] */
  readonly volumeMounts?: VolumeMount[];
  /** @default [] */
  readonly initContainers?: InitContainer[];
  /** ConfigMaps created with the workload: name → data. @default {} */
  readonly configMaps?: Record<string, Record<string, string>>;
  /** @default - the namespace's default pull credentials */
  readonly imagePullSecret?: ImagePullSecret;
  /** @default - the namespace's default ServiceAccount */
  readonly serviceAccount?: JobServiceAccount;
  /**
   * Mount the ServiceAccount's API token: only for pods that call the Kubernetes API. IRSA does
   * not need it (EKS's webhook projects its own token).
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** @default {} */
  readonly nodeSelector?: Record<string, string>;
  /** @default [] */
  readonly tolerations?: NodeToleration[];
  /** @default - none */
  readonly affinity?: k8s.Affinity;
}

/** The Job-level props every jobforge batch workload shares. */
export interface JobBehaviourProps {
  /**
   * Create the Job(s) suspended (no pods until resumed). On a KubernetesCronJob this suspends the
   * schedule instead. @default false
   */
  readonly suspend?: boolean;
  /** @default 6 */
  readonly backoffLimit?: number;
  /** @default - no deadline */
  readonly activeDeadlineSeconds?: number;
  /** @default - finished Jobs are kept */
  readonly ttlSecondsAfterFinished?: number;
  /** @default 'NonIndexed' */
  readonly completionMode?: CompletionMode;
  /** @default 'Never' */
  readonly restartPolicy?: JobRestartPolicy;
  /** Needs restartPolicy Never. @default - every failure counts against backoffLimit */
  readonly podFailurePolicy?: PodFailurePolicy;
  /** Retries per index. Needs completionMode Indexed. @default - one backoffLimit for the Job */
  readonly backoffLimitPerIndex?: number;
  /** Needs backoffLimitPerIndex. @default - no limit */
  readonly maxFailedIndexes?: number;
}

/** Naming and placement props every jobforge batch workload shares. */
export interface WorkloadMetadataProps {
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** Create the Namespace. @default false */
  readonly createNamespace?: boolean;
  /** @default - generated from the construct path */
  readonly name?: string;
  /** Extra labels for every object (and the pods). @default {} */
  readonly labels?: Record<string, string>;
  /** Extra annotations for the Job(s). @default {} */
  readonly annotations?: Record<string, string>;
}

/** Everything a jobforge batch workload shares: metadata, container, pod and Job behaviour. */
export interface JobWorkloadProps extends WorkloadMetadataProps, ContainerProps, JobBehaviourProps {}

/** What the workload creates next to its Job(s), by name. */
export interface JobSupport {
  readonly namespace?: string;
  readonly serviceAccountName?: string;
  readonly pullSecretName?: string;
  readonly secretName?: string;
  readonly configMapNames: string[];
}

/** How one workload shapes the Job(s) it builds, for the shared validation. */
export interface JobShape {
  /** The completions the user gave (undefined when not given), and what is used. */
  readonly completionsGiven?: number;
  readonly completions: number;
  readonly parallelism: number;
  /** Maximum length of `name`. */
  readonly maxNameLength: number;
  /** What a controller appends to `name` to name the Jobs (CronJob: `-<10 digits>`). @default '' */
  readonly jobNameSuffix?: string;
}

/** An environment variable name as kube-apiserver takes it: printable ASCII, no '='. */
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
/** A Secret or ConfigMap data key (apimachinery's IsConfigMapKey): not '.', not starting with '..'. */
const isDataKey = (key: string): boolean =>
  typeof key === 'string' && /^[-._a-zA-Z0-9]{1,253}$/.test(key) && key !== '.' && !key.startsWith('..');
const INT32_MAX = 2147483647;
const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/** Throws unless `value` is undefined or an integer from `min` to int32 max. */
export function checkInteger(field: string, value: number | undefined, min = 0): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > INT32_MAX) {
    throw new Error(`'${field}' must be an integer from ${min} to ${INT32_MAX}, got ${show(value)}`);
  }
}

/**
 * Throws unless `image` is a full image reference that parses (distribution/reference grammar)
 * and names a tag or a digest: what every jobforge construct requires of a container image.
 */
export function validateContainerImage(field: string, image: string): void {
  if (typeof image !== 'string' || image === '')
    throw new Error(`'${field}' is required, got ${show(image)}`);
  let ref;
  try {
    ref = parseImageReference(image);
  } catch (err) {
    throw new Error(
      `'${field}' must be a full image reference, got ${show(image)}: ${(err as Error).message}`,
    );
  }
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new Error(`'${field}' must name a tag or a digest (no implicit :latest), got ${show(image)}`);
  }
}

/** Throws unless `resources` sets only cpu, memory and ephemeralStorage, as non-negative quantities, requests within limits. */
export function validateResources(field: string, resources: ContainerResources | undefined): void {
  if (resources === undefined) return;
  for (const kind of ['requests', 'limits'] as const) {
    for (const [res, q] of Object.entries(resources[kind] ?? {})) {
      if (q === undefined) continue;
      if (!['cpu', 'memory', 'ephemeralStorage'].includes(res)) {
        throw new Error(`'${field}.${kind}' may only set cpu, memory and ephemeralStorage, got ${show(res)}`);
      }
      const n = typeof q === 'string' ? parseQuantity(q) : undefined;
      if (n === undefined || n < 0) {
        throw new Error(
          `'${field}.${kind}.${res}' must be a non-negative quantity such as 500m or 256Mi, got ${show(q)}`,
        );
      }
    }
  }
  for (const res of ['cpu', 'memory', 'ephemeralStorage'] as const) {
    const req = resources.requests?.[res];
    const lim = resources.limits?.[res];
    if (req !== undefined && lim !== undefined && parseQuantity(req)! > parseQuantity(lim)!) {
      throw new Error(`'${field}.requests.${res}' must not exceed limits.${res} (${lim}), got ${show(req)}`);
    }
  }
}

/** True when kube-apiserver takes `name` as an environment variable name: printable ASCII but '='. */
export const isEnvVarName = (name: string): boolean => typeof name === 'string' && ENV_NAME.test(name);

/** Throws unless every name is an environment variable name kube-apiserver takes (printable ASCII but '='). */
export function validateEnvNames(field: string, names: string[]): void {
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new Error(
        `'${field}' keys must be environment variable names (printable ASCII characters except '='), got ${show(name)}`,
      );
    }
  }
}

function checkStringList(field: string, list: string[] | undefined): void {
  if (list === undefined) return;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new Error(`'${field}' must be a list of strings, got ${show(list)}`);
  }
}

function volumeSources(m: VolumeMount): string[] {
  const sources: string[] = [];
  if (m.configMap !== undefined) sources.push('configMap');
  if (m.secret !== undefined) sources.push('secret');
  if (m.persistentVolumeClaim !== undefined) sources.push('persistentVolumeClaim');
  if (m.hostPath !== undefined) sources.push('hostPath');
  if (m.emptyDir !== undefined) sources.push('emptyDir');
  return sources;
}

const VOLUME_PREFIX: Record<string, string> = {
  configMap: 'config',
  secret: 'secret',
  persistentVolumeClaim: 'pvc',
  hostPath: 'host',
  emptyDir: 'scratch',
};

/** The volume name of the `index`-th mount. */
function volumeName(m: VolumeMount, index: number): string {
  return m.name ?? `${VOLUME_PREFIX[volumeSources(m)[0]]}-${index}`;
}

function checkTolerations(tolerations: NodeToleration[] | undefined): void {
  if (tolerations === undefined) return;
  for (const t of tolerations) {
    const operator = t.operator ?? 'Equal';
    if ((t.key ?? '') !== '' && (typeof t.key !== 'string' || !isQualifiedName(t.key))) {
      throw new Error(
        `'tolerations' key must be a label key (an optional DNS subdomain prefix and '/', then a name), got ${show(t.key)}`,
      );
    }
    if (operator !== 'Equal' && operator !== 'Exists') {
      throw new Error(`'tolerations' operator must be Equal or Exists, got ${show(t.operator)}`);
    }
    if ((t.key ?? '') === '' && operator !== 'Exists') {
      throw new Error(`'tolerations' without a key must use operator Exists, got ${show(t.operator)}`);
    }
    if (operator === 'Equal' && (typeof (t.value ?? '') !== 'string' || !isLabelValue(t.value ?? ''))) {
      throw new Error(`'tolerations' value must be a label value with operator Equal, got ${show(t.value)}`);
    }
    if (operator === 'Exists' && (t.value ?? '') !== '') {
      throw new Error(`'tolerations' value must be empty with operator Exists, got ${show(t.value)}`);
    }
    if (t.effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      throw new Error(
        `'tolerations' effect must be NoSchedule, PreferNoSchedule or NoExecute, got ${show(t.effect)}`,
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      throw new Error(`'tolerations' tolerationSeconds needs effect NoExecute, got ${show(t.effect)}`);
    }
  }
}

/** kube-apiserver's validatePathNoBacksteps: no '..' path component. */
function checkNoBacksteps(field: string, path: string): void {
  if (path.split('/').includes('..')) throw new Error(`'${field}' must not contain '..', got ${show(path)}`);
}

/**
 * The mounts of one container: absolute mount paths (the container runtime refuses relative
 * ones), each used once, and sub-paths relative without '..'.
 */
function checkMounts(field: string, mounts: readonly { mountPath: string; subPath?: string }[]): void {
  const seen = new Set<string>();
  mounts.forEach((m, i) => {
    if (typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/')) {
      throw new Error(`'${field}[${i}].mountPath' must be an absolute path, got ${show(m.mountPath)}`);
    }
    if (seen.has(m.mountPath)) {
      throw new Error(`'${field}[${i}].mountPath' must be unique in the container, got ${show(m.mountPath)}`);
    }
    seen.add(m.mountPath);
    if (m.subPath !== undefined && m.subPath !== '') {
      if (typeof m.subPath !== 'string' || m.subPath.startsWith('/')) {
        throw new Error(`'${field}[${i}].subPath' must be a relative path, got ${show(m.subPath)}`);
      }
      checkNoBacksteps(`${field}[${i}].subPath`, m.subPath);
    }
  });
}

const PROFILE_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'];

function checkProfile(field: string, profile: { type: string; localhostProfile?: string } | undefined): void {
  if (profile === undefined) return;
  if (!PROFILE_TYPES.includes(profile.type)) {
    throw new Error(
      `'${field}.type' must be RuntimeDefault, Unconfined or Localhost, got ${show(profile.type)}`,
    );
  }
  const local = profile.localhostProfile;
  if (profile.type === 'Localhost') {
    if (local === undefined) {
      throw new Error(`'${field}.localhostProfile' is required when type is Localhost, got undefined`);
    }
    if (local.startsWith('/')) {
      throw new Error(`'${field}.localhostProfile' must be a relative path, got ${show(local)}`);
    }
    checkNoBacksteps(`${field}.localhostProfile`, local);
  } else if (local !== undefined) {
    throw new Error(`'${field}.localhostProfile' needs type Localhost, got type ${show(profile.type)}`);
  }
}

/** The container's security context as it will be synthesized (user values over the restricted defaults). */
function checkContainerSecurityContext(field: string, sc: k8s.SecurityContext): void {
  checkInteger(`${field}.runAsUser`, sc.runAsUser);
  checkInteger(`${field}.runAsGroup`, sc.runAsGroup);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      throw new Error(
        `'${field}.privileged' true needs allowPrivilegeEscalation true (the restricted default is false), got privileged true`,
      );
    }
    if ((sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN')) {
      throw new Error(
        `'${field}.capabilities.add' CAP_SYS_ADMIN needs allowPrivilegeEscalation true (the restricted default is false), got ${show(sc.capabilities?.add)}`,
      );
    }
  }
  if (sc.procMount !== undefined && sc.procMount !== 'Default') {
    // Unmasked needs the pod's hostUsers false, which jobforge pods do not set.
    throw new Error(
      `'${field}.procMount' must be Default (Unmasked needs hostUsers false), got ${show(sc.procMount)}`,
    );
  }
  checkProfile(`${field}.seccompProfile`, sc.seccompProfile);
}

function checkPodSecurityContext(sc: k8s.PodSecurityContext): void {
  const field = 'podSecurityContext';
  checkInteger(`${field}.runAsUser`, sc.runAsUser);
  checkInteger(`${field}.runAsGroup`, sc.runAsGroup);
  checkInteger(`${field}.fsGroup`, sc.fsGroup);
  (sc.supplementalGroups ?? []).forEach((g, i) => checkInteger(`${field}.supplementalGroups[${i}]`, g));
  if (
    sc.fsGroupChangePolicy !== undefined &&
    !['OnRootMismatch', 'Always'].includes(sc.fsGroupChangePolicy)
  ) {
    throw new Error(
      `'${field}.fsGroupChangePolicy' must be OnRootMismatch or Always, got ${show(sc.fsGroupChangePolicy)}`,
    );
  }
  checkProfile(`${field}.seccompProfile`, sc.seccompProfile);
}

/**
 * Throws when two objects the workload creates would get one kind and name (the second would
 * replace the first on apply), naming both fields.
 */
function checkCreatedNames(props: JobWorkloadProps, name: string): void {
  const secrets = new Map<string, string>();
  const add = (field: string, secretName: string): void => {
    const other = secrets.get(secretName);
    if (other !== undefined) {
      throw new Error(
        `'${other}' and '${field}' both create Secret ${show(secretName)}; give one of them another name`,
      );
    }
    secrets.set(secretName, field);
  };
  if (Object.keys(props.secrets ?? {}).length > 0) add('secrets', `${name}-secrets`);
  const pull = props.imagePullSecret;
  if (pull?.registry !== undefined) add('imagePullSecret.name', pull.name ?? `${name}-pull`);
}

/**
 * Every check the shared model makes, before anything is created (bad input never leaves
 * half-built constructs behind). Throws an Error naming the field and the value received.
 */
export function validateJobWorkload(props: JobWorkloadProps, name: string, shape: JobShape): void {
  // Names
  // A DNS label, not merely a subdomain: pods take their hostname from the Job's name, and a
  // hostname with a dot fails at pod start.
  validateDnsLabel('name', name, shape.maxNameLength);
  if (props.namespace !== undefined) validateDnsLabel('namespace', props.namespace);
  if (props.createNamespace && props.namespace === undefined) {
    throw new Error(`'namespace' is required when createNamespace is true, got undefined`);
  }
  validateLabels('labels', props.labels);
  validateAnnotations('annotations', props.annotations);

  // Container
  validateContainerImage('image', props.image);
  if (props.requireImageDigest !== undefined && typeof props.requireImageDigest !== 'boolean') {
    throw new Error(`'requireImageDigest' must be a boolean, got ${show(props.requireImageDigest)}`);
  }
  if (props.requireImageDigest) requireImageDigest('image', props.image);
  const pullPolicy = props.imagePullPolicy;
  if (pullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pullPolicy)) {
    throw new Error(`'imagePullPolicy' must be Always, IfNotPresent or Never, got ${show(pullPolicy)}`);
  }
  validateNetworkPolicyOptions('networkPolicy', props.networkPolicy);
  checkStringList('command', props.command);
  checkStringList('args', props.args);
  validateResources('resources', props.resources);
  const envNames = Object.keys(props.env ?? {});
  const secretNames = Object.keys(props.secrets ?? {});
  const secretEnvNames = Object.keys(props.secretEnv ?? {});
  validateEnvNames('env', envNames);
  validateEnvNames('secrets', secretNames);
  validateEnvNames('secretEnv', secretEnvNames);
  for (const [k, v] of Object.entries(props.env ?? {})) {
    if (typeof v !== 'string') throw new Error(`'env.${k}' must be a string, got ${show(v)}`);
  }
  for (const [k, v] of Object.entries(props.secrets ?? {})) {
    if (!isDataKey(k)) {
      throw new Error(
        `'secrets' keys must also be Secret keys ([-._a-zA-Z0-9]+, not '.' or '..'), got ${show(k)}`,
      );
    }
    if (typeof v !== 'string')
      throw new Error(`'secrets.${k}' must be a string, got a value of type ${typeof v}`);
  }
  const secretEnvSet = new Set(secretEnvNames);
  for (const key of secretNames) {
    if (secretEnvSet.has(key)) {
      throw new Error(
        `'secrets' and 'secretEnv' both define ${show(key)}; an environment variable has one source`,
      );
    }
  }
  const envSet = new Set(envNames);
  for (const [field, keys] of [
    ['secrets', secretNames],
    ['secretEnv', secretEnvNames],
  ] as const) {
    for (const key of keys) {
      if (envSet.has(key)) {
        throw new Error(
          `'env' and '${field}' both define ${show(key)}; an environment variable has one source`,
        );
      }
    }
  }
  for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
    if (ref === null || typeof ref !== 'object')
      throw new Error(`'secretEnv.${k}' must be { secretName, key }, got ${show(ref)}`);
    validateDnsSubdomain(`secretEnv.${k}.secretName`, ref.secretName);
    if (!isDataKey(ref.key)) {
      throw new Error(
        `'secretEnv.${k}.key' must be a Secret key ([-._a-zA-Z0-9]+, not '.' or '..'), got ${show(ref.key)}`,
      );
    }
    if (ref.asFile !== undefined && typeof ref.asFile !== 'boolean') {
      throw new Error(`'secretEnv.${k}.asFile' must be a boolean, got ${show(ref.asFile)}`);
    }
  }

  // ConfigMaps
  for (const [cmName, data] of Object.entries(props.configMaps ?? {})) {
    validateDnsSubdomain('configMaps', cmName);
    for (const [key, value] of Object.entries(data ?? {})) {
      if (!isDataKey(key)) {
        throw new Error(
          `'configMaps.${cmName}' keys must match [-._a-zA-Z0-9]+ (not '.' or '..'), got ${show(key)}`,
        );
      }
      if (typeof value !== 'string')
        throw new Error(`'configMaps.${cmName}.${key}' must be a string, got ${show(value)}`);
    }
  }

  // Volumes
  const volumeNames = new Set<string>();
  (props.volumeMounts ?? []).forEach((m, i) => {
    const sources = volumeSources(m);
    if (sources.length !== 1) {
      throw new Error(
        `'volumeMounts[${i}]' must set exactly one of configMap, secret, persistentVolumeClaim, hostPath, emptyDir, got ${show(sources)}`,
      );
    }
    const vName = volumeName(m, i);
    validateDnsLabel(`volumeMounts[${i}].name`, vName);
    if (volumeNames.has(vName))
      throw new Error(`'volumeMounts[${i}].name' must be unique, got ${show(vName)}`);
    volumeNames.add(vName);
    if (m.configMap !== undefined) validateDnsSubdomain(`volumeMounts[${i}].configMap`, m.configMap);
    if (m.secret !== undefined) validateDnsSubdomain(`volumeMounts[${i}].secret`, m.secret);
    if (m.persistentVolumeClaim !== undefined) {
      validateDnsSubdomain(`volumeMounts[${i}].persistentVolumeClaim`, m.persistentVolumeClaim);
    }
    if (m.hostPath !== undefined) {
      if (typeof m.hostPath !== 'string' || !m.hostPath.startsWith('/')) {
        throw new Error(`'volumeMounts[${i}].hostPath' must be an absolute path, got ${show(m.hostPath)}`);
      }
      checkNoBacksteps(`volumeMounts[${i}].hostPath`, m.hostPath);
    }
    const sizeLimit = m.emptyDir?.sizeLimit;
    if (sizeLimit !== undefined) {
      const n = typeof sizeLimit === 'string' ? parseQuantity(sizeLimit) : undefined;
      if (n === undefined || n < 0) {
        throw new Error(
          `'volumeMounts[${i}].emptyDir.sizeLimit' must be a non-negative quantity such as 1Gi, got ${show(sizeLimit)}`,
        );
      }
    }
  });
  checkMounts('volumeMounts', props.volumeMounts ?? []);
  // The directories of `secretEnv` files are mounts of their own.
  const fileMounts = new Map(secretFileVolumes(props).map((v) => [v.mountPath, v.volumeName]));
  (props.volumeMounts ?? []).forEach((m, i) => {
    const vName = volumeName(m, i);
    const clash = [...fileMounts].find(
      ([dir, vol]) =>
        vol === vName ||
        m.mountPath.replace(/\/+$/, '') === dir ||
        dir.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`),
    );
    if (clash) {
      throw new Error(
        `'volumeMounts[${i}]' collides with the secretEnv files mounted at ${show(clash[0])} (volume ${show(clash[1])}), got mountPath ${show(m.mountPath)} name ${show(vName)}`,
      );
    }
  });

  // Init containers
  const containerNames = new Set<string>([MAIN_CONTAINER_NAME]);
  (props.initContainers ?? []).forEach((c, i) => {
    validateDnsLabel(`initContainers[${i}].name`, c.name);
    if (containerNames.has(c.name))
      throw new Error(`'initContainers[${i}].name' must be unique and not 'main', got ${show(c.name)}`);
    containerNames.add(c.name);
    validateContainerImage(`initContainers[${i}].image`, c.image);
    if (props.requireImageDigest) requireImageDigest(`initContainers[${i}].image`, c.image);
    checkStringList(`initContainers[${i}].command`, c.command);
    checkStringList(`initContainers[${i}].args`, c.args);
    validateEnvNames(`initContainers[${i}].env`, Object.keys(c.env ?? {}));
    validateResources(`initContainers[${i}].resources`, c.resources);
    for (const vm of c.volumeMounts ?? []) {
      if (!volumeNames.has(vm.name)) {
        throw new Error(
          `'initContainers[${i}].volumeMounts' must name a volume from volumeMounts, got ${show(vm.name)}`,
        );
      }
    }
    checkMounts(`initContainers[${i}].volumeMounts`, c.volumeMounts ?? []);
    checkContainerSecurityContext(`initContainers[${i}].securityContext`, {
      ...RESTRICTED_CONTAINER,
      ...c.securityContext,
    });
  });
  checkContainerSecurityContext('securityContext', { ...RESTRICTED_CONTAINER, ...props.securityContext });
  checkPodSecurityContext({ ...RESTRICTED_POD, ...props.podSecurityContext });

  // Pull secret and ServiceAccount
  const pull = props.imagePullSecret;
  if (pull !== undefined) {
    if (pull.registry === undefined) {
      if (pull.username !== undefined || pull.password !== undefined) {
        throw new Error(`'imagePullSecret.registry' is required with username and password, got undefined`);
      }
      if (pull.name === undefined) {
        // Never echo credentials: name the keys that were given.
        throw new Error(
          `'imagePullSecret' needs a name (existing Secret) or registry credentials, got keys ${show(Object.keys(pull))}`,
        );
      }
    } else {
      if (typeof pull.registry !== 'string' || pull.registry === '' || /[\s/]/.test(pull.registry)) {
        throw new Error(`'imagePullSecret.registry' must be a registry host, got ${show(pull.registry)}`);
      }
      if (!pull.username)
        throw new Error(`'imagePullSecret.username' is required with registry, got ${show(pull.username)}`);
      if (!pull.password)
        throw new Error(`'imagePullSecret.password' is required with registry, got ${show(pull.password)}`);
    }
    if (pull.name !== undefined) validateDnsSubdomain('imagePullSecret.name', pull.name);
  }
  const sa = props.serviceAccount;
  if (sa !== undefined) {
    if (sa.create === false) {
      if (sa.name === undefined)
        throw new Error(`'serviceAccount.name' is required when create is false, got undefined`);
      if (sa.annotations !== undefined) {
        throw new Error(
          `'serviceAccount.annotations' need create: true (an existing ServiceAccount is not changed), got ${show(sa.annotations)}`,
        );
      }
    }
    if (sa.name !== undefined) validateDnsSubdomain('serviceAccount.name', sa.name);
    validateAnnotations('serviceAccount.annotations', sa.annotations);
  }
  validateLabels('nodeSelector', props.nodeSelector);
  checkTolerations(props.tolerations);
  checkCreatedNames(props, name);

  // Job behaviour
  checkInteger('parallelism', shape.parallelism);
  checkInteger('completions', shape.completions);
  checkInteger('backoffLimit', props.backoffLimit);
  checkInteger('activeDeadlineSeconds', props.activeDeadlineSeconds);
  checkInteger('ttlSecondsAfterFinished', props.ttlSecondsAfterFinished);
  checkInteger('backoffLimitPerIndex', props.backoffLimitPerIndex);
  checkInteger('maxFailedIndexes', props.maxFailedIndexes);
  const mode = props.completionMode ?? 'NonIndexed';
  if (mode !== 'NonIndexed' && mode !== 'Indexed') {
    throw new Error(`'completionMode' must be NonIndexed or Indexed, got ${show(props.completionMode)}`);
  }
  const restart = props.restartPolicy ?? 'Never';
  if (restart !== 'Never' && restart !== 'OnFailure') {
    throw new Error(`'restartPolicy' must be Never or OnFailure, got ${show(props.restartPolicy)}`);
  }
  if (mode === 'Indexed') {
    if (shape.completionsGiven === undefined) {
      throw new Error(`'completions' is required when completionMode is Indexed, got undefined`);
    }
    if (shape.parallelism > 100_000) {
      throw new Error(
        `'parallelism' must be at most 100000 when completionMode is Indexed, got ${shape.parallelism}`,
      );
    }
    if (
      shape.completions > 100_000 &&
      props.backoffLimitPerIndex !== undefined &&
      props.maxFailedIndexes === undefined
    ) {
      throw new Error(
        `'maxFailedIndexes' is required when completions is above 100000 with backoffLimitPerIndex, got undefined`,
      );
    }
    if (shape.completions > 0) {
      const hostname = `${name}${shape.jobNameSuffix ?? ''}-${shape.completions - 1}`;
      if (!isDnsLabel(hostname)) {
        throw new Error(
          `'name' must leave room for the pod hostname ${show(hostname)} (a DNS-1123 label of at most 63 characters) when completionMode is Indexed, got ${show(name)}`,
        );
      }
    }
  } else {
    if (props.backoffLimitPerIndex !== undefined) {
      throw new Error(
        `'backoffLimitPerIndex' requires completionMode Indexed, got completionMode ${show(mode)}`,
      );
    }
    if (props.maxFailedIndexes !== undefined) {
      throw new Error(`'maxFailedIndexes' requires completionMode Indexed, got completionMode ${show(mode)}`);
    }
  }
  if (props.maxFailedIndexes !== undefined) {
    if (props.backoffLimitPerIndex === undefined) {
      throw new Error(`'backoffLimitPerIndex' is required when maxFailedIndexes is set, got undefined`);
    }
    if (props.maxFailedIndexes > 100_000) {
      throw new Error(`'maxFailedIndexes' must be at most 100000, got ${props.maxFailedIndexes}`);
    }
    if (props.maxFailedIndexes > shape.completions) {
      throw new Error(
        `'maxFailedIndexes' must not exceed completions (${shape.completions}), got ${props.maxFailedIndexes}`,
      );
    }
  }
  const pfp = props.podFailurePolicy;
  if (pfp !== undefined) {
    if (restart !== 'Never') {
      throw new Error(`'podFailurePolicy' requires restartPolicy Never, got restartPolicy ${show(restart)}`);
    }
    if (pfp.rules.length === 0 || pfp.rules.length > 20) {
      throw new Error(`'podFailurePolicy' must have 1 to 20 rules, got ${pfp.rules.length}`);
    }
    for (const rule of pfp.rules) {
      if (!['Count', 'FailIndex', 'FailJob', 'Ignore'].includes(rule.action)) {
        throw new Error(
          `'podFailurePolicy' rule action must be Count, FailIndex, FailJob or Ignore, got ${show(rule.action)}`,
        );
      }
      if (rule.action === 'FailIndex' && props.backoffLimitPerIndex === undefined) {
        throw new Error(`'podFailurePolicy' action FailIndex requires backoffLimitPerIndex, got undefined`);
      }
      if ((rule.onExitCodes === undefined) === ((rule.onPodConditions ?? []).length === 0)) {
        throw new Error(
          `'podFailurePolicy' rules need exactly one of onExitCodes and onPodConditions, got ${show(rule)}`,
        );
      }
      const c = rule.onExitCodes?.containerName;
      if (c !== undefined && !containerNames.has(c)) {
        throw new Error(
          `'podFailurePolicy' containerName must be 'main' or an init container, got ${show(c)}`,
        );
      }
    }
  }
}

/**
 * The name a workload gets when `name` is not given: cdk8s' name for the construct path (with a
 * hash of the path), made a DNS-1123 label of at most `maxLength` characters.
 */
export function defaultWorkloadName(scope: Construct, maxLength: number): string {
  return toDnsLabel([Names.toDnsLabel(scope, { maxLen: maxLength })], maxLength);
}

/** The labels every object of a workload carries. */
export function workloadLabels(name: string, extra?: Record<string, string>): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'jobforge', ...extra };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Creates what the Job(s) of a workload need next to them, in apply order: the Namespace, the
 * ConfigMaps, the internal Secret, the pull Secret, the ServiceAccount. Call after
 * {@link validateJobWorkload}.
 */
export function addJobSupport(scope: Construct, props: JobWorkloadProps, name: string): JobSupport {
  const namespace = props.namespace;
  const labels = workloadLabels(name, props.labels);
  if (props.createNamespace) {
    new k8s.KubeNamespace(scope, 'Namespace', { metadata: { name: namespace, labels } });
  }
  const configMapNames: string[] = [];
  for (const [cmName, data] of Object.entries(props.configMaps ?? {})) {
    new k8s.KubeConfigMap(scope, `ConfigMap-${cmName}`, {
      metadata: { name: cmName, namespace, labels },
      data: { ...data },
    });
    configMapNames.push(cmName);
  }
  let secretName: string | undefined;
  const secrets = props.secrets ?? {};
  const secretKeys = Object.keys(secrets);
  if (secretKeys.length > 0) {
    secretName = `${name}-secrets`;
    const data: Record<string, string> = {};
    for (const key of secretKeys) data[key] = b64(secrets[key]);
    new k8s.KubeSecret(scope, 'Secret', {
      metadata: { name: secretName, namespace, labels },
      type: 'Opaque',
      data,
    });
  }
  let pullSecretName: string | undefined;
  const pull = props.imagePullSecret;
  if (pull !== undefined) {
    pullSecretName = pull.name ?? `${name}-pull`;
    if (pull.registry !== undefined) {
      const auth = {
        username: pull.username!,
        password: pull.password!,
        ...(pull.email ? { email: pull.email } : {}),
        auth: b64(`${pull.username}:${pull.password}`),
      };
      new k8s.KubeSecret(scope, 'PullSecret', {
        metadata: { name: pullSecretName, namespace, labels },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [pull.registry]: auth } })) },
      });
    }
  }
  let serviceAccountName: string | undefined;
  const sa = props.serviceAccount;
  if (sa !== undefined) {
    serviceAccountName = sa.name ?? name;
    if (sa.create !== false) {
      new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
        metadata: { name: serviceAccountName, namespace, labels, annotations: sa.annotations },
        automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      });
    }
  }
  addWorkloadNetworkPolicy(scope, props, name);
  return { namespace, serviceAccountName, pullSecretName, secretName, configMapNames };
}

const q = (r: ResourceQuantities | undefined): Record<string, k8s.Quantity> | undefined => {
  if (r === undefined) return undefined;
  const out: Record<string, k8s.Quantity> = {};
  if (r.cpu !== undefined) out.cpu = k8s.Quantity.fromString(r.cpu);
  if (r.memory !== undefined) out.memory = k8s.Quantity.fromString(r.memory);
  if (r.ephemeralStorage !== undefined)
    out['ephemeral-storage'] = k8s.Quantity.fromString(r.ephemeralStorage);
  return out;
};

function toKubeResources(r: ContainerResources | undefined): k8s.ResourceRequirements {
  const res = r ?? DEFAULT_RESOURCES;
  return { requests: q(res.requests), limits: q(res.limits) };
}

const RESTRICTED_CONTAINER: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

const RESTRICTED_POD: k8s.PodSecurityContext = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

function envVars(env: Record<string, string> | undefined): k8s.EnvVar[] {
  const out: k8s.EnvVar[] = [];
  if (env) for (const k of Object.keys(env)) out.push({ name: k, value: env[k] });
  return out;
}

function toKubeVolume(m: VolumeMount, name: string): k8s.Volume {
  if (m.configMap !== undefined) return { name, configMap: { name: m.configMap } };
  if (m.secret !== undefined) return { name, secret: { secretName: m.secret } };
  if (m.persistentVolumeClaim !== undefined) {
    return { name, persistentVolumeClaim: { claimName: m.persistentVolumeClaim, readOnly: m.readOnly } };
  }
  if (m.hostPath !== undefined) return { name, hostPath: { path: m.hostPath, type: m.hostPathType } };
  return {
    name,
    emptyDir: {
      medium: m.emptyDir?.medium,
      sizeLimit:
        m.emptyDir?.sizeLimit === undefined ? undefined : k8s.Quantity.fromString(m.emptyDir.sizeLimit),
    },
  };
}

/** The pod template of the workload's Job(s). Call after {@link validateJobWorkload}. */
export function buildPodTemplate(
  props: JobWorkloadProps,
  support: JobSupport,
  podLabels: Record<string, string>,
): k8s.PodTemplateSpec {
  const env = envVars(props.env);
  if (support.secretName !== undefined) {
    for (const key of Object.keys(props.secrets ?? {})) {
      env.push({ name: key, valueFrom: { secretKeyRef: { name: support.secretName, key } } });
    }
  }
  for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
    if (ref.asFile) {
      env.push({ name: k, value: `${SECRET_FILES_DIR}/${ref.secretName}/${ref.key}` });
      continue;
    }
    env.push({
      name: k,
      valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key, optional: ref.optional } },
    });
  }
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  for (const f of secretFileVolumes(props)) {
    volumes.push({
      name: f.volumeName,
      secret: {
        secretName: f.secretName,
        items: f.keys.map((key) => ({ key, path: key })),
        optional: f.optional || undefined,
      },
    });
    mounts.push({ name: f.volumeName, mountPath: f.mountPath, readOnly: true });
  }
  (props.volumeMounts ?? []).forEach((m, i) => {
    const name = volumeName(m, i);
    volumes.push(toKubeVolume(m, name));
    const readOnly = m.readOnly ?? (m.configMap !== undefined || m.secret !== undefined);
    mounts.push({ name, mountPath: m.mountPath, readOnly: readOnly || undefined, subPath: m.subPath });
  });
  const initContainers = (props.initContainers ?? []).map((c): k8s.Container => ({
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: c.env === undefined ? undefined : envVars(c.env),
    imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(c.image),
    resources: toKubeResources(c.resources),
    securityContext: { ...RESTRICTED_CONTAINER, ...c.securityContext },
    volumeMounts: c.volumeMounts?.map((vm) => ({ ...vm })),
  }));
  const main: k8s.Container = {
    name: MAIN_CONTAINER_NAME,
    image: props.image,
    imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(props.image),
    command: props.command,
    args: props.args,
    env: env.length > 0 ? env : undefined,
    resources: toKubeResources(props.resources),
    securityContext: { ...RESTRICTED_CONTAINER, ...props.securityContext },
    volumeMounts: mounts.length > 0 ? mounts : undefined,
  };
  return {
    metadata: { labels: podLabels },
    spec: {
      restartPolicy: props.restartPolicy ?? 'Never',
      serviceAccountName: support.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      imagePullSecrets: support.pullSecretName === undefined ? undefined : [{ name: support.pullSecretName }],
      securityContext: { ...RESTRICTED_POD, ...props.podSecurityContext },
      initContainers: initContainers.length > 0 ? initContainers : undefined,
      containers: [main],
      volumes: volumes.length > 0 ? volumes : undefined,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations as k8s.Toleration[] | undefined,
      affinity: props.affinity,
    },
  };
}

/** The Job spec of the workload. Call after {@link validateJobWorkload}. */
export function buildJobSpec(
  props: JobWorkloadProps,
  template: k8s.PodTemplateSpec,
  shape: { completions: number; parallelism: number; suspend?: boolean },
): k8s.JobSpec {
  return {
    suspend: shape.suspend,
    parallelism: shape.parallelism,
    completions: shape.completions,
    completionMode: props.completionMode ?? 'NonIndexed',
    backoffLimit: props.backoffLimit ?? 6,
    backoffLimitPerIndex: props.backoffLimitPerIndex,
    maxFailedIndexes: props.maxFailedIndexes,
    activeDeadlineSeconds: props.activeDeadlineSeconds,
    ttlSecondsAfterFinished: props.ttlSecondsAfterFinished,
    podFailurePolicy:
      props.podFailurePolicy === undefined
        ? undefined
        : { rules: [...props.podFailurePolicy.rules] as k8s.PodFailurePolicyRule[] },
    template,
  };
}

/** Throws unless `image` is pinned by digest: what `requireImageDigest: true` asks of every image. */
export function requireImageDigest(field: string, image: string): void {
  if (parseImageReference(image).digest === undefined) {
    throw new Error(
      `'${field}' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got ${show(image)}`,
    );
  }
}

/** The Secret volumes of `secretEnv` entries with `asFile`: one per Secret, in first-use order. */
function secretFileVolumes(
  props: ContainerProps,
): { secretName: string; volumeName: string; mountPath: string; keys: string[]; optional: boolean }[] {
  const bySecret = new Map<string, { keys: string[]; optional: boolean }>();
  for (const ref of Object.values(props.secretEnv ?? {})) {
    if (!ref?.asFile) continue;
    const entry = bySecret.get(ref.secretName) ?? { keys: [], optional: true };
    if (!entry.keys.includes(ref.key)) entry.keys.push(ref.key);
    entry.optional = entry.optional && ref.optional === true;
    bySecret.set(ref.secretName, entry);
  }
  return [...bySecret].map(([secretName, e], i) => ({
    secretName,
    volumeName: `jobforge-secret-files-${i}`,
    mountPath: `${SECRET_FILES_DIR}/${secretName}`,
    keys: e.keys,
    optional: e.optional,
  }));
}

/**
 * The workload's opt-in NetworkPolicy (`networkPolicy`), named like the workload and selecting its
 * pods by their name label. Call after {@link validateJobWorkload}.
 */
export function addWorkloadNetworkPolicy(scope: Construct, props: JobWorkloadProps, name: string): void {
  if (props.networkPolicy === undefined) return;
  addNetworkPolicy(scope, 'NetworkPolicy', {
    name,
    namespace: props.namespace,
    labels: workloadLabels(name, props.labels),
    podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'jobforge' },
    options: props.networkPolicy,
    defaultEgress: [],
  });
}
