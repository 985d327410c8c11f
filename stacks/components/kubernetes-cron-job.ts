import * as pulumi from '@pulumi/pulumi';
import {
  KubernetesCronJob as KubernetesCronJobConstruct,
  KubernetesCronJobProps,
} from '../../constructs/kubernetes-cron-job';
import { InputProps } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/**
 * Args of {@link KubernetesCronJob}: the props of the cdk8s `KubernetesCronJob` as Inputs, with
 * `name` defaulting to the component's name.
 */
export type KubernetesCronJobArgs = InputProps<KubernetesCronJobProps>;

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly namespace?: string;
  readonly cronJobName: string;
  readonly serviceAccountName?: string;
}

/** The objects of the cdk8s KubernetesCronJob for `props`. */
export function renderKubernetesCronJob(name: string, props: KubernetesCronJobProps): Rendered {
  const { objects, construct } = synthObjects(
    (chart) => new KubernetesCronJobConstruct(chart, name, { ...props, name: props.name ?? name }),
  );
  return {
    objects,
    namespace: construct.namespace,
    cronJobName: construct.cronJobName,
    serviceAccountName: construct.serviceAccountName,
  };
}

/**
 * A batch/v1 CronJob and what it needs, rendered by the cdk8s `KubernetesCronJob` and created
 * with @pulumi/kubernetes. A changed schedule or job template updates the CronJob in place.
 */
export class KubernetesCronJob extends ObjectsComponent {
  /** The CronJob's namespace (undefined: the provider's default namespace). */
  public readonly namespace: pulumi.Output<string | undefined>;
  /** The CronJob's name. */
  public readonly cronJobName: pulumi.Output<string>;
  /** The ServiceAccount the pods run as, if any. */
  public readonly serviceAccountName: pulumi.Output<string | undefined>;

  public constructor(name: string, args: KubernetesCronJobArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: KubernetesCronJobProps) =>
      renderKubernetesCronJob(name, props),
    );
    super('jobforge:batch:KubernetesCronJob', name, {}, opts);
    const outputs = this.createChildren(name, rendered, {
      namespace: (r) => r.namespace,
      cronJobName: (r) => r.cronJobName,
      serviceAccountName: (r) => r.serviceAccountName,
    });
    this.namespace = outputs.namespace;
    this.cronJobName = outputs.cronJobName;
    this.serviceAccountName = outputs.serviceAccountName;
    this.registerOutputs(outputs);
  }
}
