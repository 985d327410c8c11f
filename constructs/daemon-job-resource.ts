import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import {
  DAEMON_JOB_API_VERSION,
  DAEMON_JOB_KIND,
  NodeRemovalPolicy,
} from '../core/daemon-job/daemon-job-resource';
import {
  JobWorkloadProps,
  WorkloadPod,
  addJobSupport,
  buildJobSpec,
  validateJobWorkload,
  workloadLabels,
} from './pod';

/** Props of the DaemonJob custom resource a `DaemonJob` in `controller` mode synthesizes. */
export interface DaemonJobResourceProps extends JobWorkloadProps {
  /** @default 'Delete' */
  readonly nodeRemovalPolicy?: NodeRemovalPolicy;
}

/** Job fields a per-node Job made by the controller cannot take, and why. */
const NOT_FOR_CONTROLLER: Record<string, string> = {
  ttlSecondsAfterFinished:
    'the controller keeps each finished Job as the record that its node ran; they go with the DaemonJob or a new round',
  suspend: 'suspend the DaemonJob by scaling the controller down',
  backoffLimitPerIndex: 'each per-node Job has one completion',
  maxFailedIndexes: 'each per-node Job has one completion',
};

/**
 * Adds the `jobforge.io/v1alpha1` DaemonJob custom resource for `props` (and the supporting
 * objects: ServiceAccount, Secrets, ConfigMaps, as for per-node Jobs): the pod template the
 * construct renders, the node selection at the top of the spec, the Job fields that apply to a
 * one-pod Job. The DaemonJob controller makes the per-node Jobs from it with the same model.
 * Returns the resource and its pod, whose additions land in the resource's template.
 */
export function addDaemonJobResource(
  scope: Construct,
  props: DaemonJobResourceProps,
  name: string,
): { resource: ApiObject; pod: WorkloadPod } {
  const given = props as unknown as Record<string, unknown>;
  for (const [field, why] of Object.entries(NOT_FOR_CONTROLLER)) {
    if (given[field] !== undefined) {
      throw new Error(
        `'${field}' is not supported with mode controller (${why}), got ${JSON.stringify(given[field])}`,
      );
    }
  }
  if ((props.completionMode ?? 'NonIndexed') !== 'NonIndexed') {
    throw new Error(
      `'completionMode' must be NonIndexed with mode controller (each per-node Job has one completion), got ${JSON.stringify(props.completionMode)}`,
    );
  }
  if (props.nodeRemovalPolicy !== undefined && !['Delete', 'Retain'].includes(props.nodeRemovalPolicy)) {
    throw new Error(
      `'nodeRemovalPolicy' must be Delete or Retain, got ${JSON.stringify(props.nodeRemovalPolicy)}`,
    );
  }
  validateJobWorkload(props, name, {
    completionsGiven: 1,
    completions: 1,
    parallelism: 1,
    maxNameLength: 63,
  });
  const support = addJobSupport(scope, props, name);
  const labels = workloadLabels(name, props.labels);
  const pod = new WorkloadPod(props, support);
  const resource = new ApiObject(scope, 'Resource', {
    apiVersion: DAEMON_JOB_API_VERSION,
    kind: DAEMON_JOB_KIND,
    metadata: { name, namespace: props.namespace, labels, annotations: props.annotations },
    // Built at synthesis, so containers, volumes and variables added later land in it.
    spec: Lazy.any({
      produce: () => {
        const template = pod.template(labels);
        const jobSpec = buildJobSpec(props, template, { completions: 1, parallelism: 1 });
        const { nodeSelector, tolerations, affinity, ...podSpec } = k8s.toJson_PodSpec(template.spec)!;
        return {
          nodeSelector,
          affinity,
          tolerations,
          template: { metadata: { labels }, spec: podSpec },
          backoffLimit: jobSpec.backoffLimit,
          activeDeadlineSeconds: jobSpec.activeDeadlineSeconds,
          podFailurePolicy: k8s.toJson_PodFailurePolicy(jobSpec.podFailurePolicy),
          nodeRemovalPolicy: props.nodeRemovalPolicy,
        };
      },
    }),
  });
  return { resource, pod };
}
