// Containers of a pod: the main container's name, the image pull policy rule, the props of init
// and added containers, their checks, and the container model every construct renders through.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { validateDnsLabel } from '../../core/dns-name';
import { checkPort, checkStringList, show } from '../../core/k8s/field-checks';
import { parseImageReference, requireImageDigest, validateContainerImage } from '../../core/image-reference';
import { plainEnvVars, validateEnvNames } from './env';
import { ContainerResources, toKubeResources, validateResources } from './resources';
import { restrictedContainerSecurityContext, validateContainerSecurityContext } from './security-context';
import { InitContainerVolumeMount, checkMounts } from './volumes';

/** The name of the Job's main container (podFailurePolicy rules and logs refer to it). */
export const MAIN_CONTAINER_NAME = 'main';

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

/** Throws unless `policy` is undefined or Always, IfNotPresent or Never. */
export function validateImagePullPolicy(field: string, policy: ImagePullPolicy | undefined): void {
  if (policy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(policy)) {
    throw new Error(`'${field}' must be Always, IfNotPresent or Never, got ${show(policy)}`);
  }
}

/** Throws unless `requireDigest` is undefined or a boolean. */
export function validateRequireImageDigest(requireDigest: boolean | undefined): void {
  if (requireDigest !== undefined && typeof requireDigest !== 'boolean') {
    throw new Error(`'requireImageDigest' must be a boolean, got ${show(requireDigest)}`);
  }
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

/** What a container is checked against: the pod it joins. */
export interface ContainerContext {
  /** Names of the pod's containers and init containers so far. */
  readonly containerNames: ReadonlySet<string>;
  /** Names of the pod's volumes. */
  readonly volumeNames: ReadonlySet<string>;
  /** Refuse an image not pinned by digest. @default false */
  readonly requireImageDigest?: boolean;
}

/**
 * Throws unless init container `c` (at `field`, e.g. `initContainers[0]`) is valid in a pod whose
 * container names are `containerNames` and whose volumes are `volumeNames`.
 */
export function validateInitContainer(field: string, c: InitContainer, context: ContainerContext): void {
  validateDnsLabel(`${field}.name`, c.name);
  if (context.containerNames.has(c.name))
    throw new Error(`'${field}.name' must be unique and not 'main', got ${show(c.name)}`);
  validateContainerImage(`${field}.image`, c.image);
  if (context.requireImageDigest) requireImageDigest(`${field}.image`, c.image);
  checkStringList(`${field}.command`, c.command);
  checkStringList(`${field}.args`, c.args);
  validateEnvNames(`${field}.env`, Object.keys(c.env ?? {}));
  validateResources(`${field}.resources`, c.resources);
  for (const vm of c.volumeMounts ?? []) {
    if (!context.volumeNames.has(vm.name)) {
      throw new Error(`'${field}.volumeMounts' must name a volume from volumeMounts, got ${show(vm.name)}`);
    }
  }
  checkMounts(`${field}.volumeMounts`, c.volumeMounts ?? []);
  validateContainerSecurityContext(`${field}.securityContext`, c.securityContext);
}

/** A port a container listens on. */
export interface ContainerPort {
  /** 1 to 65535. */
  readonly containerPort: number;
  /** An IANA service name (at most 15 lowercase alphanumerics and '-', a letter among them). @default - unnamed */
  readonly name?: string;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** A container that runs next to the main container (see `addContainer`). */
export interface ContainerSpec extends InitContainer {
  /** @default - the workload's imagePullPolicy, else by the image (see defaultImagePullPolicy) */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** @default [] */
  readonly ports?: ContainerPort[];
  /** @default - none */
  readonly livenessProbe?: k8s.Probe;
  /** @default - none */
  readonly readinessProbe?: k8s.Probe;
}

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Throws unless every port is in range with an IANA service name (each name and number once). */
export function validateContainerPorts(field: string, ports: readonly ContainerPort[] | undefined): void {
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    checkPort(`${field}[${i}].containerPort`, p.containerPort);
    if (p.name !== undefined) {
      if (
        typeof p.name !== 'string' ||
        p.name.length > 15 ||
        !IANA_SVC_NAME.test(p.name) ||
        p.name.includes('--') ||
        !/[a-z]/.test(p.name)
      ) {
        throw new Error(
          `'${field}[${i}].name' must be an IANA service name (at most 15 lowercase alphanumerics and '-', a letter among them), got ${show(p.name)}`,
        );
      }
      if (names.has(p.name)) throw new Error(`'${field}[${i}].name' must be unique, got ${show(p.name)}`);
      names.add(p.name);
    }
    if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) {
      throw new Error(`'${field}[${i}].protocol' must be TCP, UDP or SCTP, got ${show(p.protocol)}`);
    }
  });
}

/**
 * Throws unless container `c` (at `field`, e.g. `containers[1]`) is valid in a pod whose container
 * names are `containerNames` and whose volumes are `volumeNames`: the init container checks plus
 * its pull policy and ports.
 */
export function validateContainerSpec(field: string, c: ContainerSpec, context: ContainerContext): void {
  if (c === null || typeof c !== 'object') throw new Error(`'${field}' must be a container, got ${show(c)}`);
  validateInitContainer(field, c, context);
  validateImagePullPolicy(`${field}.imagePullPolicy`, c.imagePullPolicy);
  validateContainerPorts(`${field}.ports`, c.ports);
}

/** What the container model renders: the batch/v1 fields, with resources and security context in jobforge's terms. */
export interface ContainerModelProps {
  readonly name: string;
  readonly image: string;
  /** Written as given (undefined: the kubelet's default). */
  readonly imagePullPolicy?: ImagePullPolicy;
  readonly command?: string[];
  readonly args?: string[];
  /** @default - no env field unless variables are added */
  readonly env?: k8s.EnvVar[];
  /** @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /** Merged over the restricted defaults. */
  readonly securityContext?: k8s.SecurityContext;
  /** @default - no volumeMounts field unless mounts are added */
  readonly volumeMounts?: k8s.VolumeMount[];
  readonly ports?: ContainerPort[];
  readonly livenessProbe?: k8s.Probe;
  readonly readinessProbe?: k8s.Probe;
}

/** The model props of init container `c` (or of the init container fields of an added one). */
function initContainerProps(
  c: InitContainer,
  imagePullPolicy: ImagePullPolicy | undefined,
): ContainerModelProps {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: c.env === undefined ? undefined : plainEnvVars(c.env),
    imagePullPolicy: imagePullPolicy ?? defaultImagePullPolicy(c.image),
    resources: c.resources,
    securityContext: c.securityContext,
    volumeMounts: c.volumeMounts?.map((vm) => ({ ...vm })),
  };
}

/**
 * One container of a pod: plain data rendered by {@link ContainerModel.toKube} when the chart is
 * synthesized, so variables and mounts added after construction land in the output. Resources
 * default to DEFAULT_RESOURCES and the security context to the restricted defaults. Callers
 * validate what they add.
 */
export class ContainerModel {
  /** The batch/v1 form of init container `c`, pulled with `imagePullPolicy` (default: by its image). */
  public static fromInitContainer(
    c: InitContainer,
    imagePullPolicy: ImagePullPolicy | undefined,
  ): ContainerModel {
    return new ContainerModel(initContainerProps(c, imagePullPolicy));
  }

  /** The model of an added container `c`; its own pull policy wins over the pod's `imagePullPolicy`. */
  public static fromSpec(c: ContainerSpec, imagePullPolicy: ImagePullPolicy | undefined): ContainerModel {
    return new ContainerModel({
      ...initContainerProps(c, c.imagePullPolicy ?? imagePullPolicy),
      ports: c.ports,
      livenessProbe: c.livenessProbe,
      readinessProbe: c.readinessProbe,
    });
  }

  /** The container's name. */
  public readonly name: string;
  private readonly addedEnv: k8s.EnvVar[] = [];
  private readonly addedMounts: k8s.VolumeMount[] = [];

  public constructor(private readonly props: ContainerModelProps) {
    this.name = props.name;
  }

  /** Adds an environment variable (after those given). */
  public addEnv(variable: k8s.EnvVar): void {
    this.addedEnv.push(variable);
  }

  /** Adds a volume mount (after those given). */
  public addVolumeMount(mount: k8s.VolumeMount): void {
    this.addedMounts.push(mount);
  }

  /** The variables: given and added. */
  public get envNames(): string[] {
    return [...(this.props.env ?? []), ...this.addedEnv].map((e) => e.name);
  }

  /** The mount paths: given and added. */
  public get mountPaths(): string[] {
    return [...(this.props.volumeMounts ?? []), ...this.addedMounts].map((m) => m.mountPath);
  }

  /** The batch/v1 container as it stands now. */
  public toKube(): k8s.Container {
    const p = this.props;
    // A list given empty stays (an init container's `env: {}` renders `env: []`); none given and
    // none added renders no field.
    const env =
      p.env === undefined && this.addedEnv.length === 0 ? undefined : [...(p.env ?? []), ...this.addedEnv];
    const mounts =
      p.volumeMounts === undefined && this.addedMounts.length === 0
        ? undefined
        : [...(p.volumeMounts ?? []), ...this.addedMounts];
    return {
      name: p.name,
      image: p.image,
      imagePullPolicy: p.imagePullPolicy,
      command: p.command,
      args: p.args,
      env,
      ports: p.ports?.map((port) => ({ ...port })),
      livenessProbe: p.livenessProbe,
      readinessProbe: p.readinessProbe,
      resources: toKubeResources(p.resources),
      securityContext: restrictedContainerSecurityContext(p.securityContext),
      volumeMounts: mounts,
    };
  }
}
