// Running synthesized charts on a live cluster (live-cluster.ts) and watching what the Job
// controller makes of them: apply, wait for a Job to finish, read its pods.
import { Chart, Testing } from 'cdk8s';
import { KubeObject, applyObject, ensureNamespace, getJson, listItems } from './kube-api';
import { waitFor } from './processes';

export interface JobCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The parts of a batch/v1 Job the live tests read. */
export interface LiveJob extends KubeObject {
  readonly spec: Record<string, unknown>;
  readonly status?: {
    readonly succeeded?: number;
    readonly failed?: number;
    readonly completedIndexes?: string;
    readonly failedIndexes?: string;
    readonly conditions?: JobCondition[];
  };
}

/** The parts of a Pod the live tests read. */
export interface LivePod extends KubeObject {
  readonly metadata: KubeObject['metadata'] & {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  readonly spec: { nodeName?: string };
  readonly status?: {
    phase?: string;
    containerStatuses?: { state?: { terminated?: { exitCode: number } } }[];
  };
}

/** Synthesizes `chart` and applies every object for real (namespaces first), in synth order. */
export async function applyChart(kubeconfig: string, chart: Chart): Promise<KubeObject[]> {
  const objects = Testing.synth(chart) as KubeObject[];
  const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  for (const ns of namespaces) await ensureNamespace(kubeconfig, ns);
  for (const obj of objects) await applyObject(kubeconfig, obj);
  return objects;
}

export const jobPath = (ns: string, name: string): string =>
  `/apis/batch/v1/namespaces/${ns}/jobs/${encodeURIComponent(name)}`;

/** The condition of `type` that is True, if any. */
export function trueCondition(job: LiveJob, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Waits until the Job has a True Complete or Failed condition, and returns it then. */
export async function waitForJobFinished(
  kubeconfig: string,
  ns: string,
  name: string,
  opts: { timeoutMs?: number; onTimeout?: () => string } = {},
): Promise<LiveJob> {
  return waitFor(
    `Job ${ns}/${name} to finish`,
    async () => {
      const job = await getJson<LiveJob>(kubeconfig, jobPath(ns, name));
      return job && (trueCondition(job, 'Complete') || trueCondition(job, 'Failed')) ? job : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 180000, intervalMs: 500, onTimeout: opts.onTimeout },
  );
}

/** Pods of the namespace matching a label selector. */
export function listPods(kubeconfig: string, ns: string, labelSelector?: string): Promise<LivePod[]> {
  return listItems<LivePod>(kubeconfig, `/api/v1/namespaces/${ns}/pods`, labelSelector);
}

/** The pods a Job made (the Job controller labels them with `batch.kubernetes.io/job-name`). */
export function jobPods(kubeconfig: string, ns: string, jobName: string): Promise<LivePod[]> {
  return listPods(kubeconfig, ns, `batch.kubernetes.io/job-name=${jobName}`);
}
