// The construct side of a batch workload's pod: the `IPodWorkload` methods every workload
// construct (KubernetesJob, KubernetesCronJob, DaemonJob) offers, written once.
import { Construct } from 'constructs';
import { ContainerSpec, InitContainer } from './container';
import { VolumeMount } from './volumes';
import { IPodWorkload, WorkloadPod } from './workload-pod';

/**
 * A construct whose Job(s) render one {@link WorkloadPod}: additions are checked against what the
 * pod already has and land in every Job (or CronJob, or DaemonJob resource) when made before
 * synthesis.
 */
export abstract class PodWorkload extends Construct implements IPodWorkload {
  /** The pod every Job of the workload renders. */
  protected abstract readonly pod: WorkloadPod;

  /** Adds a container next to the main one (a sidecar); it lands in the output when added before synthesis. */
  public addContainer(container: ContainerSpec): void {
    this.pod.addContainer(container);
  }

  /** Adds an init container, run after `initContainers` and those added before. */
  public addInitContainer(container: InitContainer): void {
    this.pod.addInitContainer(container);
  }

  /** Adds a volume and its mount in the main container, as one more entry of `volumeMounts`. */
  public addVolume(volume: VolumeMount): void {
    this.pod.addVolume(volume);
  }

  /** Adds a plain environment variable to the main container. */
  public addEnv(name: string, value: string): void {
    this.pod.addEnv(name, value);
  }
}
