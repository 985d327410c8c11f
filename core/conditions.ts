/**
 * Kubernetes status conditions (metav1.Condition) as pure data: set one type, keeping its
 * `lastTransitionTime` when its status did not change, as the apimachinery helper
 * `meta.SetStatusCondition` does. The DaemonJob and the image resources write theirs with it.
 */

/** metav1.Condition. */
export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** A condition to set; the time and generation are added by {@link setCondition}. */
export interface ConditionInput {
  readonly type: string;
  readonly status: Condition['status'];
  readonly reason: string;
  readonly message: string;
}

/** Conditions with `input` set (added or replaced), sorted by type. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const old = (conditions ?? []).find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    // The apiserver limits a condition message to 32768 characters.
    message: input.message.length > 32768 ? `${input.message.slice(0, 32765)}...` : input.message,
    lastTransitionTime: old && old.status === input.status ? old.lastTransitionTime : metaTime(now),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  return [...(conditions ?? []).filter((c) => c.type !== input.type), next].sort((a, b) =>
    a.type < b.type ? -1 : a.type > b.type ? 1 : 0,
  );
}

/** The condition of `type`, if set. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return (conditions ?? []).find((c) => c.type === type);
}

/** An RFC 3339 time to the second (what metav1.Time holds). */
export function metaTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
