import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import { isStatus, KubeApiError, kubeCall, kubeClient, loadClientNode } from './kube';
import { OnDemandJob } from '../on-demand/on-demand-job';
import {
  CronJobLike,
  JobObject,
  jobFromCronJob,
  jobOutcome,
  onDemandJobName,
} from '../on-demand/job-from-cron-job';
import { RunResult } from '../on-demand/on-demand-runner';
import { optionsToEnvVars } from '../on-demand/options-env';
import { ReportTypeRun } from '../on-demand/report-types';
import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';

/** Options of {@link cronJobRunner}. */
export interface CronJobRunnerOptions {
  /** The cluster: a KubeConfig of @kubernetes/client-node. */
  readonly kubeConfig: k8s.KubeConfig;
  /** Namespace of the CronJobs and of the Jobs made from them (the runner's own). */
  readonly namespace: string;
  /**
   * How often a running Job is read, in milliseconds.
   * @default 5000 (as the Fairwinds runner)
   */
  readonly pollIntervalMs?: number;
  /** @default - no logging */
  readonly logger?: SyncLogger;
  /** 8 random hex characters of a Job name. @default - from crypto.randomUUID() */
  readonly random?: () => string;
}

function apiError(err: unknown): string {
  if (err instanceof KubeApiError) return `HTTP ${err.status}${err.detail ? `: ${err.detail}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs an on-demand job from its CronJob on a cluster (@kubernetes/client-node): reads the
 * CronJob named after the report type in the namespace, creates the Job made from it
 * ({@link jobFromCronJob}), and reads the Job until it is Complete or Failed or the signal is
 * aborted. Needs `get` on CronJobs and `create`, `get` on Jobs in the namespace.
 */
export function cronJobRunner(
  options: CronJobRunnerOptions,
): (job: OnDemandJob, run: ReportTypeRun, signal: AbortSignal) => Promise<RunResult> {
  const batch = kubeClient(loadClientNode().BatchV1Api, options.kubeConfig);
  const pollMs = options.pollIntervalMs ?? 5000;
  const logger = options.logger ?? SILENT_LOGGER;
  const random = options.random ?? (() => crypto.randomUUID().slice(0, 8));
  const ns = options.namespace;
  return async (job, run, signal) => {
    let env;
    try {
      env = optionsToEnvVars(job.options);
    } catch (err) {
      return { outcome: 'failed', reason: (err as Error).message };
    }
    let cronJob: CronJobLike;
    try {
      cronJob = (await kubeCall('GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/${run.cronJobName}`, () =>
        batch.readNamespacedCronJob({ name: run.cronJobName, namespace: ns }),
      )) as CronJobLike;
    } catch (err) {
      return { outcome: 'failed', reason: `cannot read CronJob ${ns}/${run.cronJobName}: ${apiError(err)}` };
    }
    let body: JobObject;
    try {
      body = jobFromCronJob(cronJob, {
        name: onDemandJobName(run.cronJobName, job.id, random()),
        namespace: ns,
        onDemandJobId: job.id,
        reportType: job.reportType,
        env,
        backoffLimit: run.backoffLimit,
        timeoutMs: run.timeoutMs,
      });
    } catch (err) {
      return { outcome: 'failed', reason: (err as Error).message };
    }
    const jobName = body.metadata.name;
    if (signal.aborted) return { outcome: 'failed', reason: 'aborted before the Job was created' };
    try {
      await kubeCall('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, () =>
        batch.createNamespacedJob({ namespace: ns, body: body as unknown as k8s.V1Job }),
      );
    } catch (err) {
      return { outcome: 'failed', reason: `cannot create Job ${ns}/${jobName}: ${apiError(err)}` };
    }
    logger.log('info', 'created Job from CronJob', {
      jobId: job.id,
      jobName,
      cronJobName: run.cronJobName,
      namespace: ns,
    });
    let readErrors = 0;
    while (!signal.aborted) {
      await sleep(pollMs, undefined, { signal }).catch(() => undefined); // an abort ends the wait
      if (signal.aborted) break;
      try {
        const current = await kubeCall('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${jobName}`, () =>
          batch.readNamespacedJob({ name: jobName, namespace: ns }),
        );
        readErrors = 0;
        const outcome = jobOutcome(current as Parameters<typeof jobOutcome>[0]);
        if (outcome) return { ...outcome, jobName };
        logger.log('debug', 'waiting for Job to finish', { jobId: job.id, jobName });
      } catch (err) {
        readErrors += 1;
        if (isStatus(err, 404)) {
          return {
            outcome: 'failed',
            reason: `Job ${ns}/${jobName} was deleted before it finished`,
            jobName,
          };
        }
        logger.log('warn', 'cannot read Job, retrying', {
          jobId: job.id,
          jobName,
          error: apiError(err),
          readErrors,
        });
      }
    }
    return { outcome: 'failed', reason: 'aborted', jobName };
  };
}
