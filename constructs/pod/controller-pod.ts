// The pod of a jobforge controller Deployment (ImageResourceController's managers, the
// DaemonJob controller): one long-running container with ports and /healthz and /readyz probes
// on a named port, the API token mounted (a controller talks to the apiserver), the restricted
// defaults with a fixed user.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { ContainerModel, ContainerPort, ImagePullPolicy, defaultImagePullPolicy } from './container';
import { PodModel } from './pod-spec';
import { ContainerResources } from './resources';

/** What differs between jobforge's controller pods. */
export interface ControllerPodProps {
  /** The ServiceAccount the controller runs as (its token is mounted). */
  readonly serviceAccountName: string;
  /** The container's name (`kubectl logs` default). */
  readonly containerName: string;
  readonly image: string;
  /** @default - by the image (see defaultImagePullPolicy) */
  readonly imagePullPolicy?: ImagePullPolicy;
  readonly args: string[];
  /** @default - none */
  readonly env?: k8s.EnvVar[];
  readonly ports: ContainerPort[];
  /** The port (by name, one of `ports`) serving `/healthz` (liveness) and `/readyz` (readiness). */
  readonly probePort: string;
  /** Seconds before the first liveness probe; readiness is probed after 5. */
  readonly livenessInitialDelaySeconds: number;
  readonly resources: ContainerResources;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly terminationGracePeriodSeconds: number;
  /** Writable scratch space (the root filesystem is read-only), e.g. an emptyDir for git's work trees. @default - none */
  readonly scratch?: { readonly name: string; readonly mountPath: string; readonly sizeLimit: string };
}

/** The pod spec of a controller Deployment, through the pod model. */
export function controllerPodSpec(props: ControllerPodProps): k8s.PodSpec {
  const pod = new PodModel({
    serviceAccountName: props.serviceAccountName,
    terminationGracePeriodSeconds: props.terminationGracePeriodSeconds,
    automountServiceAccountToken: true,
    securityContext: { runAsUser: props.runAsUser, runAsGroup: props.runAsGroup },
  });
  pod.addContainer(
    new ContainerModel({
      name: props.containerName,
      image: props.image,
      imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(props.image),
      args: props.args,
      env: props.env,
      ports: props.ports,
      livenessProbe: {
        httpGet: { path: '/healthz', port: k8s.IntOrString.fromString(props.probePort) },
        initialDelaySeconds: props.livenessInitialDelaySeconds,
        periodSeconds: 20,
      },
      readinessProbe: {
        httpGet: { path: '/readyz', port: k8s.IntOrString.fromString(props.probePort) },
        initialDelaySeconds: 5,
        periodSeconds: 10,
      },
      resources: props.resources,
      ...(props.scratch
        ? { volumeMounts: [{ name: props.scratch.name, mountPath: props.scratch.mountPath }] }
        : {}),
      // Controller containers have never written `privileged` (false is the default): left out
      // so their manifests stay as they were.
      securityContext: { privileged: undefined },
    }),
  );
  if (props.scratch) {
    pod.addVolume({
      name: props.scratch.name,
      emptyDir: { sizeLimit: k8s.Quantity.fromString(props.scratch.sizeLimit) },
    });
  }
  return pod.toKube();
}
