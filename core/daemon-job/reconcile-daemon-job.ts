import { NodeInfo, NodeSelectorTermInfo, NodeToleration, selectNodes } from '../node-inventory';
import { Condition, ConditionInput, setCondition } from '../conditions';
import { DaemonJobObject, DaemonJobStatus, daemonJobTemplateOf } from './daemon-job-resource';
import {
  DAEMON_JOB_NODE_ANNOTATION,
  DAEMON_JOB_TEMPLATE_HASH_LABEL,
  PerNodeJob,
  perNodeJob,
  stableJson,
} from './per-node-job';

/** What the reconcile reads of a Job the DaemonJob owns. */
export interface ObservedJob {
  readonly metadata: {
    readonly name: string;
    readonly uid?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly deletionTimestamp?: string | Date;
  };
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
  };
}

/** A Job to delete, and why. */
export interface JobDeletion {
  readonly name: string;
  readonly uid?: string;
  readonly node: string;
  readonly reason: 'NewRound' | 'NodeRemoved' | 'NodeNoLongerMatches';
}

/** A Kubernetes Event to record on the DaemonJob. */
export interface DaemonJobEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** Why the DaemonJob's Jobs cannot be made (the apiserver refused one, or the spec cannot work). */
export interface DaemonJobInvalid {
  /** The field at fault, as the apiserver names it (`spec.template.spec.restartPolicy`). */
  readonly field: string;
  readonly message: string;
}

export interface ReconcileInput {
  readonly daemonJob: DaemonJobObject;
  /** Every node of the cluster. */
  readonly nodes: readonly NodeInfo[];
  /** The Jobs the DaemonJob controls (owner reference to its uid). */
  readonly jobs: readonly ObservedJob[];
  /** Set when this round's Jobs were refused: nothing more is created until the spec changes. */
  readonly invalid?: DaemonJobInvalid;
  readonly now: Date;
}

export interface ReconcileResult {
  readonly templateHash: string;
  /** Jobs to create, one per matching node with no Job of this round. */
  readonly create: PerNodeJob<object & { template: { spec: Record<string, unknown> } }>[];
  readonly delete: JobDeletion[];
  /** The status to write (equal to the current one when nothing changed). */
  readonly status: DaemonJobStatus;
  readonly events: DaemonJobEvent[];
}

/** The node a per-node Job runs on (its annotation, which holds the full name). */
export function jobNode(job: ObservedJob): string | undefined {
  return job.metadata.annotations?.[DAEMON_JOB_NODE_ANNOTATION];
}

function finished(job: ObservedJob, type: 'Complete' | 'Failed'): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The name length limit of the `jobforge.io/daemon-job` label value the Jobs carry. */
const MAX_NAME_LENGTH = 63;

/** The first problem with a DaemonJob that no apiserver answer would reveal, if any. */
export function checkDaemonJob(dj: DaemonJobObject): DaemonJobInvalid | undefined {
  if (dj.metadata.name.length > MAX_NAME_LENGTH) {
    return {
      field: 'metadata.name',
      message: `'metadata.name' must be at most ${MAX_NAME_LENGTH} characters (it labels every Job), got ${JSON.stringify(dj.metadata.name)} (${dj.metadata.name.length})`,
    };
  }
  if (dj.spec?.template?.spec === undefined) {
    return { field: 'spec.template.spec', message: `'spec.template.spec' is required, got undefined` };
  }
  return undefined;
}

/**
 * One reconcile of a DaemonJob, as a pure function of the DaemonJob, the nodes and the Jobs it
 * controls → the Jobs to create and delete, the status and the events:
 * - every matching node (labels, required node affinity, taints: selectNodes) without a Job of
 *   the current round (template hash) gets one (perNodeJob, the construct's model);
 * - Jobs of an earlier round are deleted (a changed template starts a new round);
 * - the Job of a node that left the cluster is deleted unless `nodeRemovalPolicy` is Retain;
 * - the unfinished Job of a node that no longer matches is deleted (a finished one is kept: it is
 *   the record that the node ran this round).
 * Job names are deterministic per DaemonJob, round and node, so two controllers (or a restarted
 * one) can never make two Jobs for one node and round: the apiserver refuses the second name.
 */
export function reconcileDaemonJob(input: ReconcileInput): ReconcileResult {
  const { daemonJob: dj, now } = input;
  const template = daemonJobTemplateOf(dj);
  const hash = template.templateHash!;
  const invalid = input.invalid ?? checkDaemonJob(dj);
  const pod = template.spec.template.spec as {
    nodeSelector?: Record<string, string>;
    tolerations?: readonly NodeToleration[];
    affinity?: DaemonJobObject['spec']['affinity'];
  };
  const matching = selectNodes(input.nodes, {
    nodeSelector: pod.nodeSelector,
    tolerations: pod.tolerations,
    requiredTerms: pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms as NodeSelectorTermInfo[] | undefined,
  });
  const matchingNames = new Set(matching.map((n) => n.name));
  const present = new Set(input.nodes.map((n) => n.name));

  const current = new Map<string, ObservedJob>();
  const deletions: JobDeletion[] = [];
  for (const job of input.jobs) {
    if (job.metadata.deletionTimestamp) continue;
    const node = jobNode(job) ?? '';
    if (job.metadata.labels?.[DAEMON_JOB_TEMPLATE_HASH_LABEL] !== hash) {
      deletions.push({ name: job.metadata.name, uid: job.metadata.uid, node, reason: 'NewRound' });
    } else if (!present.has(node)) {
      if (dj.spec.nodeRemovalPolicy !== 'Retain') {
        deletions.push({ name: job.metadata.name, uid: job.metadata.uid, node, reason: 'NodeRemoved' });
      }
    } else if (!matchingNames.has(node) && !finished(job, 'Complete') && !finished(job, 'Failed')) {
      deletions.push({ name: job.metadata.name, uid: job.metadata.uid, node, reason: 'NodeNoLongerMatches' });
    } else {
      current.set(node, job);
    }
  }

  const create =
    invalid === undefined
      ? matching
          .filter((n) => !current.has(n.name))
          .map((n) => {
            const job = perNodeJob(template, n.name);
            return { ...job, metadata: { ...job.metadata, ownerReferences: template.ownerReferences } };
          })
      : [];

  let active = 0;
  let succeeded = 0;
  let failed = 0;
  for (const node of matching) {
    const job = current.get(node.name);
    if (job === undefined) {
      if (invalid === undefined) active++; // being created
    } else if (finished(job, 'Complete')) succeeded++;
    else if (finished(job, 'Failed')) failed++;
    else active++;
  }
  const desired = matching.length;
  const generation = dj.metadata.generation;
  const previous = dj.status?.conditions ?? [];
  const condition = (
    type: string,
    status: ConditionInput['status'],
    reason: string,
    message: string,
  ): ConditionInput => ({ type, status, reason, message });
  const complete = invalid === undefined && desired > 0 && succeeded === desired;
  const conditions = [
    complete
      ? condition('Complete', 'True', 'AllNodesSucceeded', `every matching node (${desired}) succeeded`)
      : condition(
          'Complete',
          'False',
          desired === 0 ? 'NoMatchingNodes' : invalid !== undefined ? 'InvalidSpec' : 'NodesPending',
          desired === 0
            ? 'no node matches the DaemonJob'
            : `${succeeded} of ${desired} matching nodes succeeded, ${active} active, ${failed} failed`,
        ),
    invalid === undefined
      ? condition('Valid', 'True', 'JobsAccepted', `Jobs of round ${hash} are accepted`)
      : condition('Valid', 'False', 'InvalidSpec', `${invalid.field}: ${invalid.message}`),
  ].reduce<Condition[]>((all, c) => setCondition(all, c, generation, now), [...previous]);
  const status: DaemonJobStatus = {
    observedGeneration: generation,
    templateHash: hash,
    desired,
    active,
    succeeded,
    failed,
    conditions,
  };

  const events: DaemonJobEvent[] = [];
  for (const job of create) {
    events.push({
      type: 'Normal',
      reason: 'CreatedJob',
      message: `Created Job ${job.metadata.name} for node ${job.metadata.annotations[DAEMON_JOB_NODE_ANNOTATION]}`,
    });
  }
  for (const d of deletions) {
    events.push({
      type: 'Normal',
      reason: 'DeletedJob',
      message: `Deleted Job ${d.name} of node ${d.node}: ${d.reason}`,
    });
  }
  const wasComplete = previous.some((c) => c.type === 'Complete' && c.status === 'True');
  if (complete && !wasComplete) {
    events.push({
      type: 'Normal',
      reason: 'Complete',
      message: `every matching node (${desired}) succeeded`,
    });
  }
  const wasInvalid = previous.find((c) => c.type === 'Valid' && c.status === 'False');
  if (invalid !== undefined && wasInvalid?.message !== `${invalid.field}: ${invalid.message}`) {
    events.push({ type: 'Warning', reason: 'InvalidSpec', message: `${invalid.field}: ${invalid.message}` });
  }
  return { templateHash: hash, create, delete: deletions, status, events };
}

/** True when `a` and `b` say the same, whatever their key order (the apiserver sorts keys). */
export function sameStatus(a: Partial<DaemonJobStatus> | undefined, b: DaemonJobStatus): boolean {
  return stableJson(a ?? {}) === stableJson(b);
}
