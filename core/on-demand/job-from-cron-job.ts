import { EnvVar, mergeEnvVars } from './options-env';

/** How long a finished on-demand Job is kept (the Fairwinds runner's 10 minutes). */
export const ON_DEMAND_JOB_TTL_SECONDS = 600;

/** Label carrying the on-demand job id on the Job (and its pods). */
export const ON_DEMAND_JOB_ID_LABEL = 'jobforge.dev/on-demand-job-id';

/**
 * The Job name of an on-demand job, as the Fairwinds runner names it: `<cronjob>-<id>-<8 random
 * hex>`, lower case, cut at 63 characters (and, unlike upstream, without a trailing `-` or `.`
 * left by the cut, which the apiserver would refuse).
 */
export function onDemandJobName(cronJobName: string, id: number, random: string): string {
  const name = `${cronJobName}-${id}-${random}`.toLowerCase();
  return name.length > 63 ? name.slice(0, 63).replace(/[-.]+$/, '') : name;
}

/** The parts of a batch/v1 CronJob used here (plain JSON as the apiserver serves it). */
export interface CronJobLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: {
    readonly jobTemplate?: {
      readonly metadata?: {
        readonly labels?: Record<string, string>;
        readonly annotations?: Record<string, string>;
      };
      readonly spec?: JobSpecLike;
    };
  };
}

interface ContainerLike {
  name?: string;
  env?: { name: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

interface JobSpecLike {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  template?: { spec?: { containers?: ContainerLike[]; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

/** A batch/v1 Job as plain JSON. */
export interface JobObject {
  readonly apiVersion: 'batch/v1';
  readonly kind: 'Job';
  readonly metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  readonly spec: JobSpecLike;
}

/** What {@link jobFromCronJob} needs besides the CronJob. */
export interface OnDemandJobRequest {
  readonly name: string;
  readonly namespace: string;
  readonly onDemandJobId: number;
  readonly reportType: string;
  /** Set on every container, over the CronJob's own variables of the same name. */
  readonly env: readonly EnvVar[];
  /** @default - the CronJob's */
  readonly backoffLimit?: number;
  /** The run's timeout: the Job's `activeDeadlineSeconds` is at most this. */
  readonly timeoutMs: number;
}

/**
 * The Job of an on-demand run, made from a CronJob's job template as the Fairwinds runner does:
 * the template's spec, every container's env merged with the options, `ttlSecondsAfterFinished`
 * 600 and the report type's `backoffLimit` if it has one. jobforge also keeps the template's
 * labels and annotations, marks the Job as made by hand from the CronJob
 * (`cronjob.kubernetes.io/instantiate: manual`, as `kubectl create job --from` does), labels it
 * with the on-demand job id, and bounds `activeDeadlineSeconds` by the timeout so the Job
 * controller stops a run the runner has given up on.
 */
export function jobFromCronJob(cronJob: CronJobLike, req: OnDemandJobRequest): JobObject {
  const cronJobName = cronJob.metadata?.name ?? '';
  const template = cronJob.spec?.jobTemplate;
  if (!template?.spec?.template?.spec?.containers?.length) {
    throw new Error(`CronJob ${req.namespace}/${cronJobName} has no job template with containers`);
  }
  const spec: JobSpecLike = structuredClone(template.spec);
  spec.ttlSecondsAfterFinished = ON_DEMAND_JOB_TTL_SECONDS;
  if (req.backoffLimit !== undefined) spec.backoffLimit = req.backoffLimit;
  const deadline = Math.max(1, Math.ceil(req.timeoutMs / 1000));
  if (spec.activeDeadlineSeconds === undefined || spec.activeDeadlineSeconds > deadline) {
    spec.activeDeadlineSeconds = deadline;
  }
  for (const container of spec.template!.spec!.containers!) {
    container.env = mergeEnvVars(container.env ?? [], req.env) as { name: string }[];
  }
  const id = String(req.onDemandJobId);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: req.name,
      namespace: req.namespace,
      labels: { ...template.metadata?.labels, [ON_DEMAND_JOB_ID_LABEL]: id },
      annotations: {
        ...template.metadata?.annotations,
        'cronjob.kubernetes.io/instantiate': 'manual',
        'jobforge.dev/cronjob': cronJobName,
        'jobforge.dev/report-type': req.reportType,
      },
    },
    spec,
  };
}

/** The parts of a Job's status that say how it ended. */
export interface JobStatusLike {
  readonly status?: {
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
  };
}

/** How a Job ended: `completed`, `failed` (with the reason), or undefined while it runs. */
export function jobOutcome(
  job: JobStatusLike,
): { outcome: 'completed' | 'failed'; reason?: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return { outcome: 'completed' };
    if (c.type === 'Failed') return { outcome: 'failed', reason: c.reason ?? c.message ?? 'Failed' };
  }
  return undefined;
}
