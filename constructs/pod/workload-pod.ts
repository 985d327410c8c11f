// The pod of a batch workload (KubernetesJob, KubernetesCronJob, DaemonJob): the main container
// built from the workload's props, and the checked `addContainer`, `addInitContainer`,
// `addVolume`, `addEnv` that land in the output however late they are called before synthesis.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { show } from '../../core/k8s/field-checks';
import {
  ContainerModel,
  ContainerSpec,
  InitContainer,
  MAIN_CONTAINER_NAME,
  defaultImagePullPolicy,
  validateContainerSpec,
  validateInitContainer,
} from './container';
import { mainEnvVars, validateEnvNames } from './env';
import { PodModel } from './pod-spec';
import {
  VolumeMount,
  mainVolumes,
  toKubeVolume,
  toKubeVolumeMount,
  validateVolumeMounts,
  volumeName,
} from './volumes';
import { JobWorkloadProps } from './workload-props';
import { JobSupport } from './workload-support';

/** What a batch workload lets users add to its pod after construction. */
export interface IPodWorkload {
  /** Adds a container next to the main one (a sidecar), checked like an init container plus ports. */
  addContainer(container: ContainerSpec): void;
  /** Adds an init container, run after those of `initContainers` and the ones added before. */
  addInitContainer(container: InitContainer): void;
  /** Adds a volume and its mount in the main container, as an entry of `volumeMounts`. */
  addVolume(volume: VolumeMount): void;
  /** Adds a plain environment variable to the main container. */
  addEnv(name: string, value: string): void;
}

/**
 * The pod of a batch workload. Validates every addition against what the pod already has (names,
 * volumes, mount paths, variables) and throws before changing anything.
 */
export class WorkloadPod implements IPodWorkload {
  /** The pod model. */
  public readonly model: PodModel;
  /** The main container. */
  public readonly main: ContainerModel;
  private readonly volumeMounts: VolumeMount[];

  /** Call after validateJobWorkload. */
  public constructor(
    private readonly props: JobWorkloadProps,
    support: JobSupport,
  ) {
    const env = mainEnvVars(props, support.secretName);
    const { volumes, mounts } = mainVolumes(props.volumeMounts, props);
    this.volumeMounts = [...(props.volumeMounts ?? [])];
    this.main = new ContainerModel({
      name: MAIN_CONTAINER_NAME,
      image: props.image,
      imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(props.image),
      command: props.command,
      args: props.args,
      env: env.length > 0 ? env : undefined,
      resources: props.resources,
      securityContext: props.securityContext,
      volumeMounts: mounts.length > 0 ? mounts : undefined,
    });
    this.model = new PodModel({
      restartPolicy: props.restartPolicy ?? 'Never',
      serviceAccountName: support.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      imagePullSecrets: support.pullSecretName === undefined ? undefined : [support.pullSecretName],
      securityContext: props.podSecurityContext,
      volumes,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      affinity: props.affinity,
    });
    for (const c of props.initContainers ?? []) {
      this.model.addInitContainer(ContainerModel.fromInitContainer(c, props.imagePullPolicy));
    }
    this.model.addContainer(this.main);
  }

  public addContainer(container: ContainerSpec): void {
    validateContainerSpec(`containers[${this.model.containerCount}]`, container, this.context());
    this.model.addContainer(ContainerModel.fromSpec(container, this.props.imagePullPolicy));
  }

  public addInitContainer(container: InitContainer): void {
    const field = `initContainers[${this.model.initContainerCount}]`;
    if (container === null || typeof container !== 'object') {
      throw new Error(`'${field}' must be a container, got ${show(container)}`);
    }
    validateInitContainer(field, container, this.context());
    this.model.addInitContainer(ContainerModel.fromInitContainer(container, this.props.imagePullPolicy));
  }

  public addVolume(volume: VolumeMount): void {
    const index = this.volumeMounts.length;
    if (volume === null || typeof volume !== 'object') {
      throw new Error(`'volumeMounts[${index}]' must be a volume mount, got ${show(volume)}`);
    }
    // The whole list again: names, mount paths and the secretEnv file directories stay unique.
    validateVolumeMounts([...this.volumeMounts, volume], this.props);
    this.volumeMounts.push(volume);
    const name = volumeName(volume, index);
    this.model.addVolume(toKubeVolume(volume, name));
    this.main.addVolumeMount(toKubeVolumeMount(volume, name));
  }

  public addEnv(name: string, value: string): void {
    validateEnvNames('env', [name]);
    if (typeof value !== 'string') throw new Error(`'env.${name}' must be a string, got ${show(value)}`);
    if (this.main.envNames.includes(name)) {
      throw new Error(
        `'env' already defines ${show(name)} (env, secrets, secretEnv or an earlier addEnv); an environment variable has one source`,
      );
    }
    this.main.addEnv({ name, value });
  }

  /** The pod template as it stands now, with `labels` (and `affinity` instead of the props' one). */
  public template(labels: Record<string, string>, affinity?: k8s.Affinity): k8s.PodTemplateSpec {
    const spec = this.model.toKube();
    return { metadata: { labels }, spec: affinity === undefined ? spec : { ...spec, affinity } };
  }

  private context() {
    return {
      containerNames: new Set(this.model.containerNames),
      volumeNames: new Set(this.volumeMounts.map((m, i) => volumeName(m, i))),
      requireImageDigest: this.props.requireImageDigest,
    };
  }
}

/** The pod template of the workload's Job(s) (a {@link WorkloadPod} with nothing added). Call after validateJobWorkload. */
export function buildPodTemplate(
  props: JobWorkloadProps,
  support: JobSupport,
  podLabels: Record<string, string>,
): k8s.PodTemplateSpec {
  return new WorkloadPod(props, support).template(podLabels);
}
