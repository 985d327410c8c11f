// The Job level of a workload: completions, retries, deadlines, indexes, the podFailurePolicy,
// their checks, and the batch/v1 JobSpec around a pod template.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { isDnsLabel } from '../../core/dns-name';
import { checkInteger, show } from '../../core/k8s/field-checks';
import { PodFailurePolicy, toKubePodFailurePolicy, validatePodFailurePolicy } from './pod-failure-policy';

/** How completions are tracked: any `completions` successes, or one success per index. */
export type CompletionMode = 'NonIndexed' | 'Indexed';

/** What the kubelet does when a container of the Job's pod fails. */
export type JobRestartPolicy = 'Never' | 'OnFailure';

/** The Job-level props every jobforge batch workload shares. */
export interface JobBehaviourProps {
  /**
   * Create the Job(s) suspended (no pods until resumed). On a KubernetesCronJob this suspends the
   * schedule instead. @default false
   */
  readonly suspend?: boolean;
  /** @default 6 */
  readonly backoffLimit?: number;
  /** @default - no deadline */
  readonly activeDeadlineSeconds?: number;
  /** @default - finished Jobs are kept */
  readonly ttlSecondsAfterFinished?: number;
  /** @default 'NonIndexed' */
  readonly completionMode?: CompletionMode;
  /** @default 'Never' */
  readonly restartPolicy?: JobRestartPolicy;
  /** Needs restartPolicy Never. @default - every failure counts against backoffLimit */
  readonly podFailurePolicy?: PodFailurePolicy;
  /** Retries per index. Needs completionMode Indexed. @default - one backoffLimit for the Job */
  readonly backoffLimitPerIndex?: number;
  /** Needs backoffLimitPerIndex. @default - no limit */
  readonly maxFailedIndexes?: number;
}

/** How one workload shapes the Job(s) it builds, for the shared validation. */
export interface JobShape {
  /** The completions the user gave (undefined when not given), and what is used. */
  readonly completionsGiven?: number;
  readonly completions: number;
  readonly parallelism: number;
  /** Maximum length of `name`. */
  readonly maxNameLength: number;
  /** What a controller appends to `name` to name the Jobs (CronJob: `-<10 digits>`). @default '' */
  readonly jobNameSuffix?: string;
}

/**
 * Throws unless the Job-level props fit together and with `shape`, for a workload `name` whose
 * pod has containers `containerNames` (podFailurePolicy rules name them).
 */
export function validateJobBehaviour(
  props: JobBehaviourProps,
  name: string,
  shape: JobShape,
  containerNames: ReadonlySet<string>,
): void {
  checkInteger('parallelism', shape.parallelism);
  checkInteger('completions', shape.completions);
  checkInteger('backoffLimit', props.backoffLimit);
  checkInteger('activeDeadlineSeconds', props.activeDeadlineSeconds);
  checkInteger('ttlSecondsAfterFinished', props.ttlSecondsAfterFinished);
  checkInteger('backoffLimitPerIndex', props.backoffLimitPerIndex);
  checkInteger('maxFailedIndexes', props.maxFailedIndexes);
  const mode = props.completionMode ?? 'NonIndexed';
  if (mode !== 'NonIndexed' && mode !== 'Indexed') {
    throw new Error(`'completionMode' must be NonIndexed or Indexed, got ${show(props.completionMode)}`);
  }
  const restart = props.restartPolicy ?? 'Never';
  if (restart !== 'Never' && restart !== 'OnFailure') {
    throw new Error(`'restartPolicy' must be Never or OnFailure, got ${show(props.restartPolicy)}`);
  }
  if (mode === 'Indexed') {
    if (shape.completionsGiven === undefined) {
      throw new Error(`'completions' is required when completionMode is Indexed, got undefined`);
    }
    if (shape.parallelism > 100_000) {
      throw new Error(
        `'parallelism' must be at most 100000 when completionMode is Indexed, got ${shape.parallelism}`,
      );
    }
    if (
      shape.completions > 100_000 &&
      props.backoffLimitPerIndex !== undefined &&
      props.maxFailedIndexes === undefined
    ) {
      throw new Error(
        `'maxFailedIndexes' is required when completions is above 100000 with backoffLimitPerIndex, got undefined`,
      );
    }
    if (shape.completions > 0) {
      const hostname = `${name}${shape.jobNameSuffix ?? ''}-${shape.completions - 1}`;
      if (!isDnsLabel(hostname)) {
        throw new Error(
          `'name' must leave room for the pod hostname ${show(hostname)} (a DNS-1123 label of at most 63 characters) when completionMode is Indexed, got ${show(name)}`,
        );
      }
    }
  } else {
    if (props.backoffLimitPerIndex !== undefined) {
      throw new Error(
        `'backoffLimitPerIndex' requires completionMode Indexed, got completionMode ${show(mode)}`,
      );
    }
    if (props.maxFailedIndexes !== undefined) {
      throw new Error(`'maxFailedIndexes' requires completionMode Indexed, got completionMode ${show(mode)}`);
    }
  }
  if (props.maxFailedIndexes !== undefined) {
    if (props.backoffLimitPerIndex === undefined) {
      throw new Error(`'backoffLimitPerIndex' is required when maxFailedIndexes is set, got undefined`);
    }
    if (props.maxFailedIndexes > 100_000) {
      throw new Error(`'maxFailedIndexes' must be at most 100000, got ${props.maxFailedIndexes}`);
    }
    if (props.maxFailedIndexes > shape.completions) {
      throw new Error(
        `'maxFailedIndexes' must not exceed completions (${shape.completions}), got ${props.maxFailedIndexes}`,
      );
    }
  }
  validatePodFailurePolicy(props.podFailurePolicy, {
    restartPolicy: restart,
    backoffLimitPerIndex: props.backoffLimitPerIndex,
    containerNames,
  });
}

/** The Job spec of the workload. Call after {@link validateJobBehaviour}. */
export function buildJobSpec(
  props: JobBehaviourProps,
  template: k8s.PodTemplateSpec,
  shape: { completions: number; parallelism: number; suspend?: boolean },
): k8s.JobSpec {
  return {
    suspend: shape.suspend,
    parallelism: shape.parallelism,
    completions: shape.completions,
    completionMode: props.completionMode ?? 'NonIndexed',
    backoffLimit: props.backoffLimit ?? 6,
    backoffLimitPerIndex: props.backoffLimitPerIndex,
    maxFailedIndexes: props.maxFailedIndexes,
    activeDeadlineSeconds: props.activeDeadlineSeconds,
    ttlSecondsAfterFinished: props.ttlSecondsAfterFinished,
    podFailurePolicy: toKubePodFailurePolicy(props.podFailurePolicy),
    template,
  };
}
