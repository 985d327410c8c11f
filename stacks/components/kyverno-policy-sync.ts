import * as pulumi from '@pulumi/pulumi';
import {
  KyvernoPolicySync as KyvernoPolicySyncConstruct,
  KyvernoPolicySyncProps,
} from '../../constructs/kyverno-policy-sync';
import { InputProps } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/** Args of {@link KyvernoPolicySync}: the props of the cdk8s construct as Inputs. */
export type KyvernoPolicySyncArgs = InputProps<KyvernoPolicySyncProps>;

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly namespace: string;
  readonly cronJobName: string;
  readonly serviceAccountName: string;
}

/** The objects of the cdk8s KyvernoPolicySync for `props`. */
export function renderKyvernoPolicySync(name: string, props: KyvernoPolicySyncProps): Rendered {
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
export class KyvernoPolicySync extends ObjectsComponent {
  /** Namespace of the CronJob and its ServiceAccount. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the CronJob. */
  public readonly cronJobName: pulumi.Output<string>;
  /** Name of the ServiceAccount the runs use. */
  public readonly serviceAccountName: pulumi.Output<string>;

  public constructor(name: string, args: KyvernoPolicySyncArgs, opts?: pulumi.ComponentResourceOptions) {
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: KyvernoPolicySyncProps) =>
      renderKyvernoPolicySync(name, props),
    );
    super('jobforge:kyverno:KyvernoPolicySync', name, {}, opts);
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
