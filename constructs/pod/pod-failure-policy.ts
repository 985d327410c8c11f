// How pod failures count against a Job: presets and raw rules (batch/v1 podFailurePolicy), and
// their checks against the Job they belong to.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { show } from '../../core/k8s/field-checks';

/** A podFailurePolicy rule (batch/v1 PodFailurePolicyRule; exactly one of onExitCodes and onPodConditions). */
export interface PodFailurePolicyRule {
  /** Count, FailIndex, FailJob or Ignore. */
  readonly action: string;
  readonly onExitCodes?: k8s.PodFailurePolicyOnExitCodesRequirement;
  readonly onPodConditions?: k8s.PodFailurePolicyOnPodConditionsPattern[];
}

/** How pod failures count against the Job: presets, combinable with {@link PodFailurePolicy.of}. */
export class PodFailurePolicy {
  /**
   * Pods that fail because they were disrupted (preempted, evicted, drained: the DisruptionTarget
   * condition) are retried without counting against backoffLimit.
   */
  public static ignoreDisruptions(): PodFailurePolicy {
    return new PodFailurePolicy([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  }

  /** Fail the whole Job at once, without retries, when a container exits with one of `exitCodes`. */
  public static failFastOnExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('FailJob', exitCodes, containerName)]);
  }

  /** Fail only the pod's index (Indexed Jobs with backoffLimitPerIndex) on one of `exitCodes`. */
  public static failIndexOnExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('FailIndex', exitCodes, containerName)]);
  }

  /** Retry without counting against backoffLimit when a container exits with one of `exitCodes`. */
  public static ignoreExitCodes(exitCodes: number[], containerName?: string): PodFailurePolicy {
    return new PodFailurePolicy([PodFailurePolicy.exitCodeRule('Ignore', exitCodes, containerName)]);
  }

  /** Raw rules, as batch/v1 spells them. */
  public static fromRules(rules: PodFailurePolicyRule[]): PodFailurePolicy {
    return new PodFailurePolicy(rules);
  }

  /** The rules of `policies`, in order (the first matching rule wins). */
  public static of(...policies: PodFailurePolicy[]): PodFailurePolicy {
    return new PodFailurePolicy(policies.flatMap((p) => p.rules));
  }

  private static exitCodeRule(
    action: string,
    exitCodes: number[],
    containerName?: string,
  ): PodFailurePolicyRule {
    if (!Array.isArray(exitCodes) || exitCodes.length === 0) {
      throw new Error(
        `'podFailurePolicy' exit codes must be a non-empty list, got ${JSON.stringify(exitCodes)}`,
      );
    }
    for (const code of exitCodes) {
      if (!Number.isInteger(code) || code < 1 || code > 255) {
        throw new Error(
          `'podFailurePolicy' exit codes must be integers from 1 to 255, got ${JSON.stringify(code)}`,
        );
      }
    }
    // The apiserver wants the values unique and ordered.
    const values = [...new Set(exitCodes)].sort((a, b) => a - b);
    return { action, onExitCodes: { operator: 'In', values, ...(containerName ? { containerName } : {}) } };
  }

  private constructor(public readonly rules: readonly PodFailurePolicyRule[]) {}
}

/**
 * Throws unless `policy` fits its Job: restartPolicy Never, 1 to 20 rules with a known action,
 * FailIndex only with backoffLimitPerIndex, exactly one of onExitCodes and onPodConditions, and
 * container names of the pod.
 */
export function validatePodFailurePolicy(
  policy: PodFailurePolicy | undefined,
  job: {
    readonly restartPolicy: string;
    readonly backoffLimitPerIndex?: number;
    readonly containerNames: ReadonlySet<string>;
  },
): void {
  if (policy === undefined) return;
  if (job.restartPolicy !== 'Never') {
    throw new Error(
      `'podFailurePolicy' requires restartPolicy Never, got restartPolicy ${show(job.restartPolicy)}`,
    );
  }
  if (policy.rules.length === 0 || policy.rules.length > 20) {
    throw new Error(`'podFailurePolicy' must have 1 to 20 rules, got ${policy.rules.length}`);
  }
  for (const rule of policy.rules) {
    if (!['Count', 'FailIndex', 'FailJob', 'Ignore'].includes(rule.action)) {
      throw new Error(
        `'podFailurePolicy' rule action must be Count, FailIndex, FailJob or Ignore, got ${show(rule.action)}`,
      );
    }
    if (rule.action === 'FailIndex' && job.backoffLimitPerIndex === undefined) {
      throw new Error(`'podFailurePolicy' action FailIndex requires backoffLimitPerIndex, got undefined`);
    }
    if ((rule.onExitCodes === undefined) === ((rule.onPodConditions ?? []).length === 0)) {
      throw new Error(
        `'podFailurePolicy' rules need exactly one of onExitCodes and onPodConditions, got ${show(rule)}`,
      );
    }
    const c = rule.onExitCodes?.containerName;
    if (c !== undefined && !job.containerNames.has(c)) {
      throw new Error(`'podFailurePolicy' containerName must be 'main' or an init container, got ${show(c)}`);
    }
  }
}

/** The batch/v1 form of `policy`. */
export function toKubePodFailurePolicy(
  policy: PodFailurePolicy | undefined,
): k8s.PodFailurePolicy | undefined {
  return policy === undefined ? undefined : { rules: [...policy.rules] as k8s.PodFailurePolicyRule[] };
}
