import * as pulumi from '@pulumi/pulumi';
import {
  ImageResourceController as ImageResourceControllerConstruct,
  ImageResourceControllerProps,
} from '../../constructs/image-resource-controller';
import { InputProps } from './input-props';
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
    // Plain args are rendered before anything is registered: a bad value throws here.
    const rendered = Rendering.of(args, (props: ImageResourceControllerProps) =>
      renderImageResourceController(name, props),
    );
    super('jobforge:images:ImageResourceController', name, {}, opts);
    const outputs = this.createChildren(name, rendered, {
      namespace: (r) => r.namespace,
      detectionManagerName: (r) => r.detectionManagerName,
      creationManagerName: (r) => r.creationManagerName,
      metricsServiceName: (r) => r.metricsServiceName,
    });
    this.namespace = outputs.namespace;
    this.detectionManagerName = outputs.detectionManagerName;
    this.creationManagerName = outputs.creationManagerName;
    this.metricsServiceName = outputs.metricsServiceName;
    this.registerOutputs(outputs);
  }
}
