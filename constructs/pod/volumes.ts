// Volumes of a pod and where its containers mount them: the `volumeMounts` props (one source
// each), their checks, and their batch/v1 form next to the `secretEnv` file volumes.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { validateDnsLabel, validateDnsSubdomain } from '../../core/dns-name';
import { checkNoBacksteps, show } from '../../core/k8s/field-checks';
import { parseQuantity } from '../../core/quantity';
import { EnvProps, secretFileVolumes } from './env';

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
export function volumeName(m: VolumeMount, index: number): string {
  return m.name ?? `${VOLUME_PREFIX[volumeSources(m)[0]]}-${index}`;
}

/**
 * The mounts of one container: absolute mount paths (the container runtime refuses relative
 * ones), each used once, and sub-paths relative without '..'.
 */
export function checkMounts(field: string, mounts: readonly { mountPath: string; subPath?: string }[]): void {
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

/**
 * Throws unless the `index`-th mount has one source and a valid volume name not in `taken`;
 * returns its volume name.
 */
export function validateVolumeMount(
  field: string,
  m: VolumeMount,
  index: number,
  taken: ReadonlySet<string>,
): string {
  const sources = volumeSources(m);
  if (sources.length !== 1) {
    throw new Error(
      `'${field}' must set exactly one of configMap, secret, persistentVolumeClaim, hostPath, emptyDir, got ${show(sources)}`,
    );
  }
  const vName = volumeName(m, index);
  validateDnsLabel(`${field}.name`, vName);
  if (taken.has(vName)) throw new Error(`'${field}.name' must be unique, got ${show(vName)}`);
  if (m.configMap !== undefined) validateDnsSubdomain(`${field}.configMap`, m.configMap);
  if (m.secret !== undefined) validateDnsSubdomain(`${field}.secret`, m.secret);
  if (m.persistentVolumeClaim !== undefined) {
    validateDnsSubdomain(`${field}.persistentVolumeClaim`, m.persistentVolumeClaim);
  }
  if (m.hostPath !== undefined) {
    if (typeof m.hostPath !== 'string' || !m.hostPath.startsWith('/')) {
      throw new Error(`'${field}.hostPath' must be an absolute path, got ${show(m.hostPath)}`);
    }
    checkNoBacksteps(`${field}.hostPath`, m.hostPath);
  }
  const sizeLimit = m.emptyDir?.sizeLimit;
  if (sizeLimit !== undefined) {
    const n = typeof sizeLimit === 'string' ? parseQuantity(sizeLimit) : undefined;
    if (n === undefined || n < 0) {
      throw new Error(
        `'${field}.emptyDir.sizeLimit' must be a non-negative quantity such as 1Gi, got ${show(sizeLimit)}`,
      );
    }
  }
  return vName;
}

/**
 * Throws unless every mount of `volumeMounts` is valid, names a volume once, and stays clear of
 * the `secretEnv` file directories. Returns the volume names.
 */
export function validateVolumeMounts(
  volumeMounts: readonly VolumeMount[] | undefined,
  env: EnvProps,
): Set<string> {
  const volumeNames = new Set<string>();
  (volumeMounts ?? []).forEach((m, i) => {
    volumeNames.add(validateVolumeMount(`volumeMounts[${i}]`, m, i, volumeNames));
  });
  checkMounts('volumeMounts', volumeMounts ?? []);
  // The directories of `secretEnv` files are mounts of their own.
  const fileMounts = new Map(secretFileVolumes(env).map((v) => [v.mountPath, v.volumeName]));
  (volumeMounts ?? []).forEach((m, i) => {
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
  return volumeNames;
}

/** The batch/v1 volume of a mount, named `name`. */
export function toKubeVolume(m: VolumeMount, name: string): k8s.Volume {
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

/** The batch/v1 mount of a volume named `name` in the main container. */
export function toKubeVolumeMount(m: VolumeMount, name: string): k8s.VolumeMount {
  const readOnly = m.readOnly ?? (m.configMap !== undefined || m.secret !== undefined);
  return { name, mountPath: m.mountPath, readOnly: readOnly || undefined, subPath: m.subPath };
}

/**
 * The pod's volumes and the main container's mounts: the `secretEnv` file volumes first, then
 * `volumeMounts` in order.
 */
export function mainVolumes(
  volumeMounts: readonly VolumeMount[] | undefined,
  env: EnvProps,
): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  for (const f of secretFileVolumes(env)) {
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
  (volumeMounts ?? []).forEach((m, i) => {
    const name = volumeName(m, i);
    volumes.push(toKubeVolume(m, name));
    mounts.push(toKubeVolumeMount(m, name));
  });
  return { volumes, mounts };
}
