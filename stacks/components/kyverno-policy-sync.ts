import * as pulumi from '@pulumi/pulumi';
import {
  KyvernoPolicySync as KyvernoPolicySyncConstruct,
  KyvernoPolicySyncProps,
} from '../../constructs/kyverno-policy-sync';
import { isPlainInput } from './deep-input';
import { InputProps } from './input-props';
import { RenderedRunner, RunnerComponent } from './on-demand-job-runner';
import { Rendering } from './rendering';
import { synthObjects } from './synth-objects';

/** Args of {@link KyvernoPolicySync}: the props of the cdk8s construct as Inputs. */
export type KyvernoPolicySyncArgs = InputProps<KyvernoPolicySyncProps>;

/** The objects of the cdk8s KyvernoPolicySync for `props`. */
export function renderKyvernoPolicySync(name: string, props: KyvernoPolicySyncProps): RenderedRunner {
  const { objects, construct } = synthObjects((chart) => new KyvernoPolicySyncConstruct(chart, name, props));
  return {
    objects,
    namespace: construct.namespace,
    cronJobName: construct.cronJobName,
    serviceAccountName: construct.serviceAccountName,
  };
}

/**
 * The in-cluster Kyverno policy sync (a CronJob every 15 minutes by default, its ServiceAccount,
 * least RBAC and NetworkPolicy), rendered by the cdk8s `KyvernoPolicySync` and created with
 * @pulumi/kubernetes. To sync during `pulumi up` instead, see `KyvernoPolicySyncResource`.
 */
export class KyvernoPolicySync extends RunnerComponent {
  public constructor(name: string, args: KyvernoPolicySyncArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are checked before anything is registered: a bad value throws here.
    if (isPlainInput(args)) renderKyvernoPolicySync(name, args as KyvernoPolicySyncProps);
    super(
      'jobforge:kyverno:KyvernoPolicySync',
      name,
      new Rendering(args, (props: KyvernoPolicySyncProps) => renderKyvernoPolicySync(name, props)),
      opts,
    );
  }
}
