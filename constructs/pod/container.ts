// Containers of a pod: the main container's name, the image pull policy rule, init containers
// (props, checks, batch/v1 form).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { validateDnsLabel } from '../../core/dns-name';
import { checkStringList, show } from '../../core/k8s/field-checks';
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

/**
 * Throws unless init container `c` (at `field`, e.g. `initContainers[0]`) is valid in a pod whose
 * container names are `containerNames` and whose volumes are `volumeNames`.
 */
export function validateInitContainer(
  field: string,
  c: InitContainer,
  context: {
    readonly containerNames: ReadonlySet<string>;
    readonly volumeNames: ReadonlySet<string>;
    readonly requireImageDigest?: boolean;
  },
): void {
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

/** The batch/v1 form of init container `c`, pulled with `imagePullPolicy` (default: by its image). */
export function toKubeInitContainer(
  c: InitContainer,
  imagePullPolicy: ImagePullPolicy | undefined,
): k8s.Container {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: c.env === undefined ? undefined : plainEnvVars(c.env),
    imagePullPolicy: imagePullPolicy ?? defaultImagePullPolicy(c.image),
    resources: toKubeResources(c.resources),
    securityContext: restrictedContainerSecurityContext(c.securityContext),
    volumeMounts: c.volumeMounts?.map((vm) => ({ ...vm })),
  };
}
