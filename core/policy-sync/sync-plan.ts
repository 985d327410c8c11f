import { isOwned, KyvernoPolicyObject, PolicyOwnership, PolicyRef, policyKey, refOf } from './kyverno-policy';

/** An expected policy, with its spec as the apiserver would store it when known. */
export interface ExpectedPolicy {
  /** The policy as the source gives it (ownership annotation set). */
  readonly object: KyvernoPolicyObject;
  /**
   * The spec after the apiserver's defaulting and pruning (from a server-side dry-run). Compared
   * instead of `object.spec` so that defaults the server adds are not seen as changes.
   * @default - `object.spec`
   */
  readonly normalizedSpec?: Record<string, unknown>;
}

/** A policy to create. */
export interface PlannedCreate {
  readonly ref: PolicyRef;
  readonly desired: KyvernoPolicyObject;
}

/** An owned policy whose spec or managed metadata differs from the expected one. */
export interface PlannedUpdate {
  readonly ref: PolicyRef;
  readonly desired: KyvernoPolicyObject;
  readonly current: KyvernoPolicyObject;
  /** JSON paths that differ, e.g. `spec.rules[0].validate.message`, `metadata.labels.team`. */
  readonly changes: readonly string[];
}

/** An owned policy no longer expected. */
export interface PlannedRemove {
  readonly ref: PolicyRef;
  readonly current: KyvernoPolicyObject;
}

/** An expected policy whose kind and name are taken by an object the sync does not own. */
export interface PlanConflict {
  readonly ref: PolicyRef;
  readonly reason: string;
}

/** What a sync will do. Each expected policy lands in exactly one of create, update, unchanged, conflicts. */
export interface SyncPlan {
  readonly create: readonly PlannedCreate[];
  readonly update: readonly PlannedUpdate[];
  readonly unchanged: readonly PolicyRef[];
  readonly remove: readonly PlannedRemove[];
  readonly conflicts: readonly PlanConflict[];
}

/**
 * Plans a sync, purely: matches expected and cluster policies by kind, namespace and name.
 * - expected, absent from the cluster: create;
 * - expected, present and owned: update when the spec (semantically: key order and formatting
 *   do not matter) or an expected label or annotation differs, else unchanged;
 * - expected, present but not owned: conflict, left alone;
 * - in the cluster, owned, not expected: remove. Unowned policies are never touched.
 */
export function planSync(
  expected: readonly ExpectedPolicy[],
  cluster: readonly KyvernoPolicyObject[],
  ownership: PolicyOwnership,
): SyncPlan {
  const byKey = new Map<string, KyvernoPolicyObject>();
  for (const obj of cluster) byKey.set(policyKey(refOf(obj)), obj);
  const expectedKeys = new Set<string>();
  const create: PlannedCreate[] = [];
  const update: PlannedUpdate[] = [];
  const unchanged: PolicyRef[] = [];
  const conflicts: PlanConflict[] = [];

  for (const e of expected) {
    const ref = refOf(e.object);
    const key = policyKey(ref);
    expectedKeys.add(key);
    const current = byKey.get(key);
    if (current === undefined) {
      create.push({ ref, desired: e.object });
    } else if (!isOwned(current, ownership)) {
      const value = current.metadata.annotations?.[ownership.annotationKey];
      conflicts.push({
        ref,
        reason:
          `${key} exists and is not owned by the sync (annotation ${ownership.annotationKey} is ` +
          `${value === undefined ? 'absent' : JSON.stringify(value)}, expected ${JSON.stringify(ownership.annotationValue)}); left unchanged`,
      });
    } else {
      const changes = policyChanges(e, current);
      if (changes.length > 0) update.push({ ref, desired: e.object, current, changes });
      else unchanged.push(ref);
    }
  }

  const remove: PlannedRemove[] = [];
  for (const [key, obj] of byKey) {
    if (!expectedKeys.has(key) && isOwned(obj, ownership)) remove.push({ ref: refOf(obj), current: obj });
  }
  const order = (a: { ref: PolicyRef } | PolicyRef, b: { ref: PolicyRef } | PolicyRef): number => {
    const ka = policyKey('ref' in a ? a.ref : a);
    const kb = policyKey('ref' in b ? b.ref : b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
  return {
    create: create.sort(order),
    update: update.sort(order),
    unchanged: unchanged.sort(order),
    remove: remove.sort(order),
    conflicts: conflicts.sort(order),
  };
}

/** True when the plan writes nothing. */
export function isEmptyPlan(plan: SyncPlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.remove.length === 0;
}

/** Paths where an owned cluster policy differs from the expected one (spec, expected labels and annotations). */
export function policyChanges(expected: ExpectedPolicy, current: KyvernoPolicyObject): string[] {
  const changes: string[] = [];
  diffValues(expected.normalizedSpec ?? expected.object.spec ?? {}, current.spec ?? {}, 'spec', changes);
  for (const field of ['labels', 'annotations'] as const) {
    const want = expected.object.metadata[field] ?? {};
    const have = current.metadata[field] ?? {};
    for (const [k, v] of Object.entries(want)) {
      if (have[k] !== v) changes.push(`metadata.${field}.${k}`);
    }
  }
  return changes;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects the paths where two JSON values differ. Key order never matters; a key whose value is
 * `null` or absent counts as absent (the apiserver drops nulls).
 */
export function diffValues(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const va = a[k];
      const vb = b[k];
      if ((va === undefined || va === null) && (vb === undefined || vb === null)) continue;
      diffValues(va, vb, `${path}.${k}`, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(path);
      return;
    }
    a.forEach((v, i) => diffValues(v, b[i], `${path}[${i}]`, out));
    return;
  }
  if (!Object.is(a, b)) out.push(path);
}
