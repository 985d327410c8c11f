import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DAEMON_JOB_KIND,
  DAEMON_JOB_PLURAL,
  DAEMON_JOB_VERSION,
  JOBFORGE_GROUP,
} from '../core/daemon-job/daemon-job-resource';
import * as generated from './daemon-job-schema.generated';

type Schema = Record<string, unknown>;

const integer = (format: 'int32' | 'int64', minimum: number, description: string): Schema => ({
  type: 'integer',
  format,
  minimum,
  description,
});

/** The pod template, with what a Job requires of it: a spec with containers, restartPolicy Never or OnFailure. */
function jobPodTemplate(): Schema {
  const template = generated.podTemplate as { properties: { spec: Schema & { properties: Schema } } };
  const spec = template.properties.spec;
  return {
    ...template,
    description: 'The pod template of every per-node Job (core/v1 PodTemplateSpec).',
    required: ['spec'],
    properties: {
      ...template.properties,
      spec: {
        ...spec,
        required: ['containers'],
        properties: {
          ...spec.properties,
          restartPolicy: { type: 'string', enum: ['Never', 'OnFailure'] },
        },
      },
    },
  };
}

/** The OpenAPI v3 schema of the DaemonJob custom resource (structural: every field typed). */
export function daemonJobSchema(): Schema {
  return {
    type: 'object',
    description:
      'A Job that runs to completion once on every matching node, followed by the jobforge DaemonJob controller.',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        description:
          'A Job spec less parallelism and completions (each node gets its own Job of one pod), plus the node selection.',
        required: ['template'],
        properties: {
          nodeSelector: { ...generated.nodeSelector, description: 'Labels a node must have.' },
          affinity: {
            ...generated.affinity,
            description: 'Affinity; its required node affinity selects nodes.',
          },
          tolerations: {
            ...generated.tolerations,
            description: 'Taints tolerated: a node with another NoSchedule or NoExecute taint is left out.',
          },
          template: jobPodTemplate(),
          backoffLimit: integer(
            'int32',
            0,
            'Retries of each per-node Job before it is marked failed. Defaults to 6.',
          ),
          activeDeadlineSeconds: integer('int64', 1, 'How long each per-node Job may run.'),
          podFailurePolicy: {
            ...generated.podFailurePolicy,
            description: 'The pod failure policy of each per-node Job.',
          },
          podReplacementPolicy: { type: 'string', enum: ['TerminatingOrFailed', 'Failed'] },
          nodeRemovalPolicy: {
            type: 'string',
            enum: ['Delete', 'Retain'],
            description: 'What happens to the Job of a node that leaves the cluster. Defaults to Delete.',
          },
        },
      },
      status: {
        type: 'object',
        properties: {
          observedGeneration: integer('int64', 0, 'The generation the status was computed from.'),
          templateHash: { type: 'string', description: 'The round: the template hash of the current Jobs.' },
          desired: integer('int32', 0, 'Matching nodes.'),
          active: integer('int32', 0, 'Matching nodes whose Job is pending or running.'),
          succeeded: integer('int32', 0, 'Matching nodes whose Job succeeded.'),
          failed: integer('int32', 0, 'Matching nodes whose Job failed.'),
          conditions: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['type'],
            items: {
              type: 'object',
              required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
              properties: {
                type: { type: 'string', maxLength: 316 },
                status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                reason: { type: 'string', minLength: 1, maxLength: 1024 },
                message: { type: 'string', maxLength: 32768 },
                lastTransitionTime: { type: 'string', format: 'date-time' },
                observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
              },
            },
          },
        },
      },
    },
  };
}

/** The DaemonJob CustomResourceDefinition manifest (plain data). */
export function daemonJobCrdManifest(): Record<string, unknown> {
  const column = (name: string, jsonPath: string, type = 'integer'): Schema => ({ name, type, jsonPath });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${DAEMON_JOB_PLURAL}.${JOBFORGE_GROUP}` },
    spec: {
      group: JOBFORGE_GROUP,
      names: {
        kind: DAEMON_JOB_KIND,
        listKind: `${DAEMON_JOB_KIND}List`,
        plural: DAEMON_JOB_PLURAL,
        singular: 'daemonjob',
        shortNames: ['dj'],
        categories: ['jobforge'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: DAEMON_JOB_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            column('Desired', '.status.desired'),
            column('Active', '.status.active'),
            column('Succeeded', '.status.succeeded'),
            column('Failed', '.status.failed'),
            column('Complete', '.status.conditions[?(@.type=="Complete")].status', 'string'),
            column('Age', '.metadata.creationTimestamp', 'date'),
          ],
          schema: { openAPIV3Schema: daemonJobSchema() },
        },
      ],
    },
  };
}

/** The DaemonJob CustomResourceDefinition (`daemonjobs.jobforge.io`), for the DaemonJob controller. */
export class DaemonJobCrd extends Construct {
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const manifest = daemonJobCrdManifest() as { apiVersion: string; kind: string } & Record<string, unknown>;
    this.resource = new ApiObject(this, 'Resource', manifest);
  }
}
