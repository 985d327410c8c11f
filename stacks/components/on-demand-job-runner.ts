import * as pulumi from '@pulumi/pulumi';
import {
  OnDemandJobRunner as OnDemandJobRunnerConstruct,
  OnDemandJobRunnerProps,
} from '../../constructs/on-demand-job-runner';
import { isPlainInput } from './deep-input';
import { InputProps } from './input-props';
import { afterChildren } from './kubernetes-children';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/** Args of {@link OnDemandJobRunner}: the props of the cdk8s construct as Inputs. */
export type OnDemandJobRunnerArgs = InputProps<OnDemandJobRunnerProps>;

/** What a rendered runner (or policy sync) exposes. */
export interface RenderedRunner {
  readonly objects: KubeObjectJson[];
  readonly namespace: string;
  readonly cronJobName: string;
  readonly serviceAccountName: string;
}

/** The objects of the cdk8s OnDemandJobRunner for `props`. */
export function renderOnDemandJobRunner(name: string, props: OnDemandJobRunnerProps): RenderedRunner {
  const { objects, construct } = synthObjects((chart) => new OnDemandJobRunnerConstruct(chart, name, props));
  return {
    objects,
    namespace: construct.namespace,
    cronJobName: construct.cronJobName,
    serviceAccountName: construct.serviceAccountName,
  };
}

/** The outputs every runner component has, set from its rendering. */
export abstract class RunnerComponent extends ObjectsComponent {
  /** Namespace of the CronJob and its ServiceAccount. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the CronJob. */
  public readonly cronJobName: pulumi.Output<string>;
  /** Name of the ServiceAccount the runs use. */
  public readonly serviceAccountName: pulumi.Output<string>;

  protected constructor(
    type: string,
    name: string,
    rendered: Rendering<RenderedRunner>,
    opts: pulumi.ComponentResourceOptions | undefined,
  ) {
    super(type, name, {}, opts);
    const children = this.createChildren(name, rendered);
    this.namespace = afterChildren(
      children,
      rendered.field((r) => r.namespace),
    );
    this.cronJobName = afterChildren(
      children,
      rendered.field((r) => r.cronJobName),
    );
    this.serviceAccountName = afterChildren(
      children,
      rendered.field((r) => r.serviceAccountName),
    );
    this.registerOutputs({
      namespace: this.namespace,
      cronJobName: this.cronJobName,
      serviceAccountName: this.serviceAccountName,
    });
  }
}

/**
 * The Fairwinds on-demand job runner for one job type (CronJob, ServiceAccount, RBAC,
 * NetworkPolicy), rendered by the cdk8s `OnDemandJobRunner` and created with @pulumi/kubernetes.
 */
export class OnDemandJobRunner extends RunnerComponent {
  public constructor(name: string, args: OnDemandJobRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are checked before anything is registered: a bad value throws here.
    if (isPlainInput(args)) renderOnDemandJobRunner(name, args as OnDemandJobRunnerProps);
    super(
      'jobforge:insights:OnDemandJobRunner',
      name,
      new Rendering(args, (props: OnDemandJobRunnerProps) => renderOnDemandJobRunner(name, props)),
      opts,
    );
  }
}
