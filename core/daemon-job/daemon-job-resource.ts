import type { Condition } from '../conditions';
import { NodeSelectorTermInfo, NodeToleration } from '../node-inventory';
import { DAEMON_JOB_LABEL, DaemonJobTemplate, daemonJobTemplateHash } from './per-node-job';

/** The API group of jobforge's own custom resources. */
export const JOBFORGE_GROUP = 'jobforge.io';
/** The served and stored version of the DaemonJob custom resource. */
export const DAEMON_JOB_VERSION = 'v1alpha1';
/** The kind, plural and API version of the DaemonJob custom resource. */
export const DAEMON_JOB_KIND = 'DaemonJob';
export const DAEMON_JOB_PLURAL = 'daemonjobs';
export const DAEMON_JOB_API_VERSION = `${JOBFORGE_GROUP}/${DAEMON_JOB_VERSION}`;

/** What the controller does with the Job of a node that leaves the cluster. */
export type NodeRemovalPolicy = 'Delete' | 'Retain';

/** A metav1.Condition. */
export type DaemonJobCondition = Condition;

/**
 * The spec of a DaemonJob custom resource: a Job spec less parallelism and completions (and the
 * fields that only make sense with them), plus the node selection, as the seed's DaemonJob
 * operator defined it. The node selection is merged into the pod template's.
 */
export interface DaemonJobSpec {
  readonly nodeSelector?: Record<string, string>;
  readonly affinity?: {
    readonly nodeAffinity?: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: {
        readonly nodeSelectorTerms: readonly NodeSelectorTermInfo[];
      };
    };
  };
  readonly tolerations?: readonly NodeToleration[];
  /** The pod template (core/v1 PodTemplateSpec). */
  readonly template: {
    readonly metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    readonly spec: {
      readonly nodeSelector?: Record<string, string>;
      readonly affinity?: DaemonJobSpec['affinity'];
      readonly tolerations?: readonly NodeToleration[];
      readonly [key: string]: unknown;
    };
  };
  readonly backoffLimit?: number;
  readonly activeDeadlineSeconds?: number;
  readonly podFailurePolicy?: unknown;
  readonly podReplacementPolicy?: string;
  /** @default 'Delete' */
  readonly nodeRemovalPolicy?: NodeRemovalPolicy;
}

/** The status the controller writes. */
export interface DaemonJobStatus {
  readonly observedGeneration?: number;
  /** The round: the template hash of the Jobs being run. */
  readonly templateHash?: string;
  /** Matching nodes. */
  readonly desired: number;
  /** Matching nodes whose Job of this round is still running (or pending). */
  readonly active: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly conditions?: readonly DaemonJobCondition[];
}

/** A DaemonJob custom resource as read from the apiserver. */
export interface DaemonJobObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly labels?: Record<string, string>;
  };
  readonly spec: DaemonJobSpec;
  readonly status?: Partial<DaemonJobStatus>;
}

/** The Job spec fields of a DaemonJob spec, in the order a Job spec lists them. */
const JOB_FIELDS = [
  'activeDeadlineSeconds',
  'backoffLimit',
  'podFailurePolicy',
  'podReplacementPolicy',
] as const;

/**
 * The per-node Job template of a DaemonJob custom resource: its Job spec fields, its pod template
 * with the node selection merged in (nodeSelector entries of the spec win, tolerations add up, the
 * spec's affinity replaces the template's), its round (template hash), and an owner reference
 * to the DaemonJob on every Job.
 */
export function daemonJobTemplateOf(dj: DaemonJobObject): DaemonJobTemplate<{
  template: { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };
}> & { ownerReferences: object[] } {
  const spec = dj.spec;
  const pod = spec.template?.spec ?? {};
  const nodeSelector =
    spec.nodeSelector === undefined && pod.nodeSelector === undefined
      ? undefined
      : { ...pod.nodeSelector, ...spec.nodeSelector };
  const tolerations =
    spec.tolerations === undefined && pod.tolerations === undefined
      ? undefined
      : [...(pod.tolerations ?? []), ...(spec.tolerations ?? [])];
  const affinity = spec.affinity ?? pod.affinity;
  const jobSpec: Record<string, unknown> = {};
  for (const f of JOB_FIELDS) if (spec[f] !== undefined) jobSpec[f] = spec[f];
  const podSpec: Record<string, unknown> = { ...pod };
  if (nodeSelector !== undefined) podSpec.nodeSelector = nodeSelector;
  if (tolerations !== undefined) podSpec.tolerations = tolerations;
  if (affinity !== undefined) podSpec.affinity = affinity;
  const templateSpec = {
    ...jobSpec,
    template: {
      ...(spec.template?.metadata === undefined ? {} : { metadata: spec.template.metadata }),
      spec: podSpec,
    },
  };
  const metadata = {
    labels: { 'app.kubernetes.io/managed-by': 'jobforge', [DAEMON_JOB_LABEL]: dj.metadata.name },
  };
  return {
    name: dj.metadata.name,
    namespace: dj.metadata.namespace,
    metadata,
    spec: templateSpec,
    templateHash: daemonJobTemplateHash({ metadata, spec: templateSpec }),
    ownerReferences: [
      {
        apiVersion: DAEMON_JOB_API_VERSION,
        kind: DAEMON_JOB_KIND,
        name: dj.metadata.name,
        uid: dj.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}
