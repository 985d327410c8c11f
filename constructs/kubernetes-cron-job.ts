import { Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { parseCronSchedule } from '../core/cron-schedule';
import { validateTimeZone } from '../core/time-zone';
import {
  JobWorkloadProps,
  PodWorkload,
  WorkloadPod,
  addJobSupport,
  defaultWorkloadName,
  buildJobSpec,
  checkInteger,
  validateJobWorkload,
  workloadLabels,
} from './pod';

/** What the CronJob controller does when a run is due while the previous one still runs. */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** The longest CronJob name: the controller appends an 11-character suffix to make Job names. */
export const CRON_JOB_NAME_MAX_LENGTH = 52;

/** Props of a {@link KubernetesCronJob}. */
export interface KubernetesCronJobProps extends JobWorkloadProps {
  /**
   * Five-field cron expression (minute hour day-of-month month day-of-week) with lists, ranges,
   * steps and names, or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.
   */
  readonly schedule: string;
  /** IANA time zone of the schedule. @default - the kube-controller-manager's zone */
  readonly timeZone?: string;
  /** @default 'Forbid' */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /** Skip a run that could not start within this many seconds. @default - no deadline */
  readonly startingDeadlineSeconds?: number;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 1 */
  readonly failedJobsHistoryLimit?: number;
  /** Pods running at once in each run. @default 1 */
  readonly parallelism?: number;
  /** Successful pods needed per run; required when completionMode is Indexed. @default 1 */
  readonly completions?: number;
}

/**
 * A batch/v1 CronJob built from the same container and job model as {@link KubernetesJob}, with
 * a schedule checked the way Kubernetes reads it and a real IANA time zone.
 */
export class KubernetesCronJob extends PodWorkload {
  /** The CronJob's namespace (undefined: the chart's, or the one it is applied to). */
  public readonly namespace?: string;
  /** The CronJob's name (at most 52 characters). */
  public readonly cronJobName: string;
  /** The ServiceAccount the pods run as, if any. */
  public readonly serviceAccountName?: string;
  /** The batch/v1 CronJob. */
  public readonly resource: k8s.KubeCronJob;
  protected readonly pod: WorkloadPod;

  public constructor(scope: Construct, id: string, props: KubernetesCronJobProps) {
    super(scope, id);
    const name = props.name ?? defaultWorkloadName(this, CRON_JOB_NAME_MAX_LENGTH);
    const completions = props.completions ?? 1;
    const parallelism = props.parallelism ?? 1;
    validateJobWorkload(props, name, {
      completionsGiven: props.completions,
      completions,
      parallelism,
      maxNameLength: CRON_JOB_NAME_MAX_LENGTH,
      jobNameSuffix: '-0000000000',
    });
    parseCronSchedule(props.schedule);
    if (props.timeZone !== undefined) validateTimeZone(props.timeZone);
    const concurrencyPolicy = props.concurrencyPolicy ?? 'Forbid';
    if (!['Allow', 'Forbid', 'Replace'].includes(concurrencyPolicy)) {
      throw new Error(
        `'concurrencyPolicy' must be Allow, Forbid or Replace, got ${JSON.stringify(concurrencyPolicy)}`,
      );
    }
    checkInteger('startingDeadlineSeconds', props.startingDeadlineSeconds);
    checkInteger('successfulJobsHistoryLimit', props.successfulJobsHistoryLimit);
    checkInteger('failedJobsHistoryLimit', props.failedJobsHistoryLimit);

    const support = addJobSupport(this, props, name);
    const labels = workloadLabels(name, props.labels);
    this.pod = new WorkloadPod(props, support);
    this.resource = new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace: props.namespace, labels, annotations: props.annotations },
      // Built at synthesis, so containers, volumes and variables added later land in it.
      spec: Lazy.any({
        produce: (): k8s.CronJobSpec => ({
          schedule: props.schedule,
          timeZone: props.timeZone,
          concurrencyPolicy,
          startingDeadlineSeconds: props.startingDeadlineSeconds,
          successfulJobsHistoryLimit: props.successfulJobsHistoryLimit ?? 3,
          failedJobsHistoryLimit: props.failedJobsHistoryLimit ?? 1,
          suspend: props.suspend,
          jobTemplate: {
            metadata: { labels, annotations: props.annotations },
            spec: buildJobSpec(props, this.pod.template(labels), { completions, parallelism }),
          },
        }),
      }),
    });
    this.cronJobName = name;
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.serviceAccountName = support.serviceAccountName;
  }
}
