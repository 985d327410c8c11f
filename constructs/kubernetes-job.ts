import { Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import {
  JobWorkloadProps,
  PodWorkload,
  WorkloadPod,
  addJobSupport,
  defaultWorkloadName,
  buildJobSpec,
  validateJobWorkload,
  workloadLabels,
} from './pod';

/** Props of a {@link KubernetesJob}. */
export interface KubernetesJobProps extends JobWorkloadProps {
  /** Pods running at once. @default 1 */
  readonly parallelism?: number;
  /** Successful pods needed; required when completionMode is Indexed. @default 1 */
  readonly completions?: number;
}

/**
 * A batch/v1 Job with what it needs around it: the Namespace (when asked), ConfigMaps, an
 * internal Secret for `secrets`, an image pull Secret, a ServiceAccount. The pod passes the
 * restricted Pod Security Standard and has resource requests and limits unless overridden.
 */
export class KubernetesJob extends PodWorkload {
  /** The Job's namespace (undefined: the chart's, or the one it is applied to). */
  public readonly namespace?: string;
  /** The Job's name. */
  public readonly jobName: string;
  /** The ServiceAccount the pod runs as, if any. */
  public readonly serviceAccountName?: string;
  /** The batch/v1 Job. */
  public readonly resource: k8s.KubeJob;
  protected readonly pod: WorkloadPod;

  public constructor(scope: Construct, id: string, props: KubernetesJobProps) {
    super(scope, id);
    const name = props.name ?? defaultWorkloadName(this, 63);
    const completions = props.completions ?? 1;
    const parallelism = props.parallelism ?? 1;
    validateJobWorkload(props, name, {
      completionsGiven: props.completions,
      completions,
      parallelism,
      maxNameLength: 63,
    });
    const support = addJobSupport(this, props, name);
    const labels = workloadLabels(name, props.labels);
    this.pod = new WorkloadPod(props, support);
    this.resource = new k8s.KubeJob(this, 'Resource', {
      metadata: { name, namespace: props.namespace, labels, annotations: props.annotations },
      // Built at synthesis, so containers, volumes and variables added later land in it.
      spec: Lazy.any({
        produce: () =>
          buildJobSpec(props, this.pod.template(labels), {
            completions,
            parallelism,
            suspend: props.suspend,
          }),
      }),
    });
    this.jobName = name;
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.serviceAccountName = support.serviceAccountName;
  }
}
