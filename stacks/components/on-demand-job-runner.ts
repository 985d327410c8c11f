import * as pulumi from '@pulumi/pulumi';
import {
  OnDemandJobRunner as OnDemandJobRunnerConstruct,
  OnDemandJobRunnerProps,
} from '../../constructs/on-demand-job-runner';
import { InputProps } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/** Args of {@link OnDemandJobRunner}: the props of the cdk8s construct as Inputs. */
export type OnDemandJobRunnerArgs = InputProps<OnDemandJobRunnerProps>;

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
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: OnDemandJobRunnerProps) =>
      renderOnDemandJobRunner(name, props),
    );
    super('jobforge:insights:OnDemandJobRunner', name, {}, opts);
    const outputs = this.createChildren(name, rendered, {
      namespace: (r) => r.namespace,
      deploymentName: (r) => r.deploymentName,
      reportCronJobNames: (r) => r.reportCronJobNames,
    });
    this.namespace = outputs.namespace;
    this.deploymentName = outputs.deploymentName;
    this.reportCronJobNames = outputs.reportCronJobNames;
    this.registerOutputs(outputs);
  }
}
