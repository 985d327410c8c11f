// The pod model every construct renders through: containers, init containers and volumes added
// at any time, rendered with the restricted pod security context when the chart is synthesized.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { NodeToleration } from '../../core/node-inventory';
import { ContainerModel } from './container';
import { restrictedPodSecurityContext } from './security-context';

/** The pod-level fields of a {@link PodModel}. */
export interface PodModelProps {
  /** @default - none (a Deployment's pods: Always) */
  readonly restartPolicy?: string;
  /** @default - the namespace's default ServiceAccount */
  readonly serviceAccountName?: string;
  /** @default false */
  readonly automountServiceAccountToken?: boolean;
  /** Names of image pull Secrets. @default [] */
  readonly imagePullSecrets?: string[];
  /** Merged over the restricted defaults. @default - restricted defaults */
  readonly securityContext?: k8s.PodSecurityContext;
  /** @default - the kubelet's default (30) */
  readonly terminationGracePeriodSeconds?: number;
  /** @default {} */
  readonly nodeSelector?: Record<string, string>;
  /** @default [] */
  readonly tolerations?: NodeToleration[];
  /** @default - none */
  readonly affinity?: k8s.Affinity;
  /** @default [] */
  readonly volumes?: k8s.Volume[];
}

/**
 * A pod spec as plain data: {@link PodModel.toKube} renders it from what was added so far, so a
 * construct that passes it through `Lazy.any` synthesizes containers, init containers and
 * volumes added after it was built. Callers validate what they add.
 */
export class PodModel {
  private readonly containers: ContainerModel[] = [];
  private readonly initContainers: ContainerModel[] = [];
  private readonly volumes: k8s.Volume[];

  public constructor(private readonly props: PodModelProps = {}) {
    this.volumes = [...(props.volumes ?? [])];
  }

  /** Adds a container (after those added before). */
  public addContainer(container: ContainerModel): void {
    this.containers.push(container);
  }

  /** Adds an init container (run after those added before). */
  public addInitContainer(container: ContainerModel): void {
    this.initContainers.push(container);
  }

  /** Adds a volume. */
  public addVolume(volume: k8s.Volume): void {
    this.volumes.push(volume);
  }

  /** How many containers (not init containers) the pod has. */
  public get containerCount(): number {
    return this.containers.length;
  }

  /** How many init containers the pod has. */
  public get initContainerCount(): number {
    return this.initContainers.length;
  }

  /** The names of all containers and init containers. */
  public get containerNames(): string[] {
    return [...this.initContainers, ...this.containers].map((c) => c.name);
  }

  /** The batch/v1 pod spec as it stands now. */
  public toKube(): k8s.PodSpec {
    const p = this.props;
    const pullSecrets = p.imagePullSecrets ?? [];
    return {
      restartPolicy: p.restartPolicy,
      serviceAccountName: p.serviceAccountName,
      terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
      automountServiceAccountToken: p.automountServiceAccountToken ?? false,
      imagePullSecrets: pullSecrets.length === 0 ? undefined : pullSecrets.map((name) => ({ name })),
      securityContext: restrictedPodSecurityContext(p.securityContext),
      initContainers: this.initContainers.length > 0 ? this.initContainers.map((c) => c.toKube()) : undefined,
      containers: this.containers.map((c) => c.toKube()),
      volumes: this.volumes.length > 0 ? [...this.volumes] : undefined,
      nodeSelector: p.nodeSelector,
      tolerations: p.tolerations as k8s.Toleration[] | undefined,
      affinity: p.affinity,
    };
  }
}
