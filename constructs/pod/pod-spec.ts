// The pod template of a workload's Job(s): the main container, init containers, volumes, the
// ServiceAccount and pull Secret, the restricted security contexts and the placement.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { MAIN_CONTAINER_NAME, defaultImagePullPolicy, toKubeInitContainer } from './container';
import { mainEnvVars } from './env';
import { toKubeResources } from './resources';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security-context';
import { mainVolumes } from './volumes';
import { JobSupport } from './workload-support';
import { JobWorkloadProps } from './workload-props';

/** The pod template of the workload's Job(s). Call after validateJobWorkload. */
export function buildPodTemplate(
  props: JobWorkloadProps,
  support: JobSupport,
  podLabels: Record<string, string>,
): k8s.PodTemplateSpec {
  const env = mainEnvVars(props, support.secretName);
  const { volumes, mounts } = mainVolumes(props.volumeMounts, props);
  const initContainers = (props.initContainers ?? []).map((c) =>
    toKubeInitContainer(c, props.imagePullPolicy),
  );
  const main: k8s.Container = {
    name: MAIN_CONTAINER_NAME,
    image: props.image,
    imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(props.image),
    command: props.command,
    args: props.args,
    env: env.length > 0 ? env : undefined,
    resources: toKubeResources(props.resources),
    securityContext: restrictedContainerSecurityContext(props.securityContext),
    volumeMounts: mounts.length > 0 ? mounts : undefined,
  };
  return {
    metadata: { labels: podLabels },
    spec: {
      restartPolicy: props.restartPolicy ?? 'Never',
      serviceAccountName: support.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      imagePullSecrets: support.pullSecretName === undefined ? undefined : [{ name: support.pullSecretName }],
      securityContext: restrictedPodSecurityContext(props.podSecurityContext),
      initContainers: initContainers.length > 0 ? initContainers : undefined,
      containers: [main],
      volumes: volumes.length > 0 ? volumes : undefined,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations as k8s.Toleration[] | undefined,
      affinity: props.affinity,
    },
  };
}
