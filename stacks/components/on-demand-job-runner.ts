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

/** What a rendered report CronJob (the policy sync's) exposes. */
export interface RenderedRunner {
  readonly objects: KubeObjectJson[];
  readonly namespace: string;
  readonly cronJobName: string;
  readonly serviceAccountName: string;
}

/** The outputs of a component rendering one report CronJob (KyvernoPolicySync), set from its rendering. */
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

/** What a rendered OnDemandJobRunner exposes. */
export interface RenderedOnDemandJobRunner {
  readonly objects: KubeObjectJson[];
  readonly namespace: string;
  readonly deploymentName: string;
  readonly reportCronJobNames: string[];
}

/** The objects of the cdk8s OnDemandJobRunner for `props`. */
export function renderOnDemandJobRunner(
  name: string,
  props: OnDemandJobRunnerProps,
): RenderedOnDemandJobRunner {
  const { objects, construct } = synthObjects((chart) => new OnDemandJobRunnerConstruct(chart, name, props));
  return {
    objects,
    namespace: construct.namespace,
    deploymentName: construct.deploymentName,
    reportCronJobNames: Object.values(construct.reports).map((r) => r.cronJobName),
  };
}

/**
 * The on-demand job runner (its Deployment, ServiceAccount, least RBAC, NetworkPolicy) and the
 * report CronJobs it runs, rendered by the cdk8s `OnDemandJobRunner` and created with
 * @pulumi/kubernetes.
 */
export class OnDemandJobRunner extends ObjectsComponent {
  /** Namespace of the runner and its report CronJobs. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the runner's Deployment (and of its ServiceAccount and Role). */
  public readonly deploymentName: pulumi.Output<string>;
  /** Names of the report CronJobs, each its report type. */
  public readonly reportCronJobNames: pulumi.Output<string[]>;

  public constructor(name: string, args: OnDemandJobRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are checked before anything is registered: a bad value throws here.
    if (isPlainInput(args)) renderOnDemandJobRunner(name, args as OnDemandJobRunnerProps);
    super('jobforge:insights:OnDemandJobRunner', name, {}, opts);
    const rendered = new Rendering(args, (props: OnDemandJobRunnerProps) =>
      renderOnDemandJobRunner(name, props),
    );
    const children = this.createChildren(name, rendered);
    this.namespace = afterChildren(
      children,
      rendered.field((r) => r.namespace),
    );
    this.deploymentName = afterChildren(
      children,
      rendered.field((r) => r.deploymentName),
    );
    this.reportCronJobNames = afterChildren(
      children,
      rendered.field((r) => r.reportCronJobNames),
    );
    this.registerOutputs({
      namespace: this.namespace,
      deploymentName: this.deploymentName,
      reportCronJobNames: this.reportCronJobNames,
    });
  }
}
