import * as pulumi from '@pulumi/pulumi';
import {
  ImageResourceController as ImageResourceControllerConstruct,
  ImageResourceControllerProps,
} from '../../constructs/image-resource-controller';
import { isPlainInput } from './deep-input';
import { InputProps } from './input-props';
import { afterChildren } from './kubernetes-children';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/** Args of {@link ImageResourceController}: the props of the cdk8s construct as Inputs. */
export type ImageResourceControllerArgs = InputProps<ImageResourceControllerProps>;

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly namespace: string;
  readonly detectionManagerName: string;
  readonly creationManagerName: string;
  readonly metricsServiceName: string;
}

/** The objects of the cdk8s ImageResourceController for `props`. */
export function renderImageResourceController(name: string, props: ImageResourceControllerProps): Rendered {
  const { objects, construct } = synthObjects(
    (chart) => new ImageResourceControllerConstruct(chart, name, props),
  );
  return {
    objects,
    namespace: construct.namespace,
    detectionManagerName: construct.detectionManagerName,
    creationManagerName: construct.creationManagerName,
    metricsServiceName: construct.metricsServiceName,
  };
}

/**
 * The image resource controller (CRDs, both manager Deployments, their ServiceAccounts, RBAC,
 * metrics Service, NetworkPolicies), rendered by the cdk8s `ImageResourceController` and created
 * with @pulumi/kubernetes. CRDs and the Namespace are created before the rest.
 */
export class ImageResourceController extends ObjectsComponent {
  /** The managers' namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the detection manager Deployment and ServiceAccount. */
  public readonly detectionManagerName: pulumi.Output<string>;
  /** Name of the creation manager Deployment and ServiceAccount. */
  public readonly creationManagerName: pulumi.Output<string>;
  /** Name of the metrics Service. */
  public readonly metricsServiceName: pulumi.Output<string>;

  public constructor(
    name: string,
    args: ImageResourceControllerArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Plain args are checked before anything is registered: a bad value throws here.
    if (isPlainInput(args)) renderImageResourceController(name, args as ImageResourceControllerProps);
    super('jobforge:images:ImageResourceController', name, {}, opts);
    const rendered = new Rendering(args, (props: ImageResourceControllerProps) =>
      renderImageResourceController(name, props),
    );
    const children = this.createChildren(name, rendered);
    this.namespace = afterChildren(
      children,
      rendered.field((r) => r.namespace),
    );
    this.detectionManagerName = afterChildren(
      children,
      rendered.field((r) => r.detectionManagerName),
    );
    this.creationManagerName = afterChildren(
      children,
      rendered.field((r) => r.creationManagerName),
    );
    this.metricsServiceName = afterChildren(
      children,
      rendered.field((r) => r.metricsServiceName),
    );
    this.registerOutputs({
      namespace: this.namespace,
      detectionManagerName: this.detectionManagerName,
      creationManagerName: this.creationManagerName,
      metricsServiceName: this.metricsServiceName,
    });
  }
}
