import * as pulumi from '@pulumi/pulumi';
import { KubernetesJob as KubernetesJobConstruct, KubernetesJobProps } from '../../constructs/kubernetes-job';
import { InputProps, JobAwaitArgs, awaitAnnotations } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/**
 * Args of {@link KubernetesJob}: the props of the cdk8s `KubernetesJob` as Inputs, with `name`
 * defaulting to the component's name.
 */
export interface KubernetesJobArgs extends InputProps<KubernetesJobProps>, JobAwaitArgs {}

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly namespace?: string;
  readonly jobName: string;
  readonly serviceAccountName?: string;
}

/** The objects of the cdk8s KubernetesJob for `props` (the component's name when `name` is not given). */
export function renderKubernetesJob(
  name: string,
  props: KubernetesJobProps & { readonly skipAwait?: boolean },
): Rendered {
  const { skipAwait, ...rest } = props;
  const { objects, construct } = synthObjects(
    (chart) =>
      new KubernetesJobConstruct(chart, name, {
        ...rest,
        name: rest.name ?? name,
        annotations: awaitAnnotations(rest.annotations, skipAwait),
      }),
  );
  return {
    objects,
    namespace: construct.namespace,
    jobName: construct.jobName,
    serviceAccountName: construct.serviceAccountName,
  };
}

/**
 * A batch/v1 Job and what it needs (Namespace, ConfigMaps, Secrets, ServiceAccount), rendered by
 * the cdk8s `KubernetesJob` and created with @pulumi/kubernetes. `pulumi up` waits for the Job to
 * complete (unless `skipAwait`); a changed Job is replaced, deleted first (its name is fixed).
 */
export class KubernetesJob extends ObjectsComponent {
  /** The Job's namespace (undefined: the provider's default namespace). */
  public readonly namespace: pulumi.Output<string | undefined>;
  /** The Job's name. */
  public readonly jobName: pulumi.Output<string>;
  /** The ServiceAccount the pod runs as, if any. */
  public readonly serviceAccountName: pulumi.Output<string | undefined>;

  public constructor(name: string, args: KubernetesJobArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: KubernetesJobProps & { skipAwait?: boolean }) =>
      renderKubernetesJob(name, props),
    );
    super('jobforge:batch:KubernetesJob', name, {}, opts);
    const outputs = this.createChildren(name, rendered, {
      namespace: (r) => r.namespace,
      jobName: (r) => r.jobName,
      serviceAccountName: (r) => r.serviceAccountName,
    });
    this.namespace = outputs.namespace;
    this.jobName = outputs.jobName;
    this.serviceAccountName = outputs.serviceAccountName;
    this.registerOutputs(outputs);
  }
}
