import * as pulumi from '@pulumi/pulumi';
import {
  UniqueJobPerImagePolicy as UniqueJobPerImagePolicyConstruct,
  UniqueJobPerImagePolicyProps,
} from '../../constructs/unique-job-per-image-policy';
import { InputProps } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/** Args of {@link UniqueJobPerImagePolicy}: the props of the cdk8s construct as Inputs. */
export type UniqueJobPerImagePolicyArgs = InputProps<UniqueJobPerImagePolicyProps>;

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly policyName: string;
  readonly minimumKyvernoVersion: string;
}

/** The objects of the cdk8s UniqueJobPerImagePolicy for `props`. */
export function renderUniqueJobPerImagePolicy(name: string, props: UniqueJobPerImagePolicyProps): Rendered {
  const { objects, construct } = synthObjects(
    (chart) => new UniqueJobPerImagePolicyConstruct(chart, name, props),
  );
  return {
    objects,
    policyName: construct.policyName,
    minimumKyvernoVersion: construct.minimumKyvernoVersion,
  };
}

/**
 * The Kyverno ClusterPolicy that generates one Job per unique container image (and the ClusterRole
 * for Kyverno's background controller), rendered by the cdk8s `UniqueJobPerImagePolicy` and
 * created with @pulumi/kubernetes. Kyverno's CRDs must be installed.
 */
export class UniqueJobPerImagePolicy extends ObjectsComponent {
  /** Name of the ClusterPolicy. */
  public readonly policyName: pulumi.Output<string>;
  /** The minimum Kyverno version the policy needs. */
  public readonly minimumKyvernoVersion: pulumi.Output<string>;

  public constructor(
    name: string,
    args: UniqueJobPerImagePolicyArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: UniqueJobPerImagePolicyProps) =>
      renderUniqueJobPerImagePolicy(name, props),
    );
    super('jobforge:kyverno:UniqueJobPerImagePolicy', name, {}, opts);
    this.policyName = this.createChildren(name, rendered, { policyName: (r) => r.policyName }).policyName;
    this.minimumKyvernoVersion = rendered.field((r) => r.minimumKyvernoVersion);
    this.registerOutputs({ policyName: this.policyName, minimumKyvernoVersion: this.minimumKyvernoVersion });
  }
}
