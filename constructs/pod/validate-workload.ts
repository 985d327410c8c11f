// Every check of a batch workload's props, before anything is created (bad input never leaves
// half-built constructs behind), in the order the fields are read.
import { validateAnnotations, validateDnsLabel, validateLabels } from '../../core/dns-name';
import { checkStringList } from '../../core/k8s/field-checks';
import { requireImageDigest, validateContainerImage } from '../../core/image-reference';
import { validateNetworkPolicyOptions } from '../network-policy';
import {
  MAIN_CONTAINER_NAME,
  validateImagePullPolicy,
  validateInitContainer,
  validateRequireImageDigest,
} from './container';
import { validateEnvProps } from './env';
import { JobShape, validateJobBehaviour } from './job-spec';
import { validateResources } from './resources';
import { validateContainerSecurityContext, validatePodSecurityContext } from './security-context';
import { validateTolerations } from './tolerations';
import { validateVolumeMounts } from './volumes';
import {
  validateConfigMaps,
  validateCreatedNames,
  validateImagePullSecret,
  validateServiceAccount,
} from './workload-support';
import { JobWorkloadProps } from './workload-props';

/**
 * Every check the shared model makes, before anything is created (bad input never leaves
 * half-built constructs behind). Throws an Error naming the field and the value received.
 */
export function validateJobWorkload(props: JobWorkloadProps, name: string, shape: JobShape): void {
  // Names
  // A DNS label, not merely a subdomain: pods take their hostname from the Job's name, and a
  // hostname with a dot fails at pod start.
  validateDnsLabel('name', name, shape.maxNameLength);
  if (props.namespace !== undefined) validateDnsLabel('namespace', props.namespace);
  if (props.createNamespace && props.namespace === undefined) {
    throw new Error(`'namespace' is required when createNamespace is true, got undefined`);
  }
  validateLabels('labels', props.labels);
  validateAnnotations('annotations', props.annotations);

  // Main container
  validateContainerImage('image', props.image);
  validateRequireImageDigest(props.requireImageDigest);
  if (props.requireImageDigest) requireImageDigest('image', props.image);
  validateImagePullPolicy('imagePullPolicy', props.imagePullPolicy);
  validateNetworkPolicyOptions('networkPolicy', props.networkPolicy);
  checkStringList('command', props.command);
  checkStringList('args', props.args);
  validateResources('resources', props.resources);
  validateEnvProps(props);
  validateConfigMaps(props.configMaps);
  const volumeNames = validateVolumeMounts(props.volumeMounts, props);

  // Init containers
  const containerNames = new Set<string>([MAIN_CONTAINER_NAME]);
  (props.initContainers ?? []).forEach((c, i) => {
    validateInitContainer(`initContainers[${i}]`, c, {
      containerNames,
      volumeNames,
      requireImageDigest: props.requireImageDigest,
    });
    containerNames.add(c.name);
  });
  validateContainerSecurityContext('securityContext', props.securityContext);
  validatePodSecurityContext('podSecurityContext', props.podSecurityContext);

  // Pull secret, ServiceAccount, placement
  validateImagePullSecret(props.imagePullSecret);
  validateServiceAccount(props.serviceAccount);
  validateLabels('nodeSelector', props.nodeSelector);
  validateTolerations(props.tolerations);
  validateCreatedNames(props, name);

  validateJobBehaviour(props, name, shape, containerNames);
}
