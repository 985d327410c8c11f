import {
  isOwned,
  KYVERNO_POLICY_KINDS,
  KYVERNO_POLICY_VERSION,
  KyvernoPolicyKind,
  KyvernoPolicyObject,
  PolicyOwnership,
  PolicyRef,
  policyDisplayName,
  policyKey,
  refOf,
} from './kyverno-policy';
import { isStatus, KubeApiError, KubeRest } from './kube-rest';
import { SyncPlan } from './sync-plan';

/** REST path of a policy kind's collection (`namespace` for namespaced kinds; omit to list all namespaces). */
export function policyCollectionPath(
  kind: KyvernoPolicyKind,
  namespace?: string,
  version = KYVERNO_POLICY_VERSION,
): string {
  const r = KYVERNO_POLICY_KINDS[kind];
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${r.group}/${version}${ns}/${r.plural}`;
}

/** REST path of one policy. */
export function policyPath(ref: PolicyRef, version = KYVERNO_POLICY_VERSION): string {
  return `${policyCollectionPath(ref.kind, ref.namespace, version)}/${encodeURIComponent(ref.name)}`;
}

function versionOf(obj: KyvernoPolicyObject): string {
  return obj.apiVersion.split('/')[1] ?? KYVERNO_POLICY_VERSION;
}

/** Lists every ClusterPolicy and every Policy of every namespace. */
export async function listClusterPolicies(rest: KubeRest): Promise<KyvernoPolicyObject[]> {
  const out: KyvernoPolicyObject[] = [];
  for (const kind of Object.keys(KYVERNO_POLICY_KINDS) as KyvernoPolicyKind[]) {
    let cont: string | undefined;
    do {
      let page: { items?: KyvernoPolicyObject[]; metadata?: { continue?: string } };
      try {
        page = await rest.request('GET', policyCollectionPath(kind), {
          query: { limit: '500', continue: cont },
        });
      } catch (err) {
        if (isStatus(err, 404)) {
          throw new Error(
            `the Kyverno CRDs are not installed: ${KYVERNO_POLICY_KINDS[kind].plural}.kyverno.io ${KYVERNO_POLICY_VERSION} not found`,
          );
        }
        throw err;
      }
      for (const item of page.items ?? []) out.push({ ...item, kind });
      cont = page.metadata?.continue || undefined;
    } while (cont);
  }
  return out;
}

/** The object a write sends for an owned policy: the current object with the expected spec, labels and annotations. */
export function mergedForUpdate(
  desired: KyvernoPolicyObject,
  current: KyvernoPolicyObject,
): KyvernoPolicyObject {
  const md = { ...current.metadata };
  delete md.managedFields;
  md.labels = { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) };
  md.annotations = { ...(current.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) };
  return { apiVersion: desired.apiVersion, kind: desired.kind, metadata: md, spec: desired.spec };
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Result of the server-side dry-run of one expected policy. */
export type DryRunOutcome =
  | { readonly ok: true; readonly spec?: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/**
 * Server-side dry-run (`dryRun=All`, nothing stored) of each expected policy as it would be
 * written: a create for a new policy, an update for an owned one. Validates it against the CRD
 * schema and returns the spec as the server would store it (defaults applied, unknown fields
 * pruned), which the planner compares. Policies held by an unowned object are not written, so
 * not dry-run.
 */
export async function dryRunExpected(
  rest: KubeRest,
  expected: readonly KyvernoPolicyObject[],
  cluster: readonly KyvernoPolicyObject[],
  ownership: PolicyOwnership,
  fieldManager: string,
  concurrency = 8,
): Promise<Map<string, DryRunOutcome>> {
  const byKey = new Map(cluster.map((c) => [policyKey(refOf(c)), c]));
  const results = await mapLimit(expected, concurrency, async (desired): Promise<[string, DryRunOutcome]> => {
    const ref = refOf(desired);
    const key = policyKey(ref);
    const current = byKey.get(key);
    if (current !== undefined && !isOwned(current, ownership)) return [key, { ok: true }];
    const query = { dryRun: 'All', fieldManager, fieldValidation: 'Strict' };
    try {
      const res =
        current === undefined
          ? await rest.request<KyvernoPolicyObject>(
              'POST',
              policyCollectionPath(ref.kind, ref.namespace, versionOf(desired)),
              {
                query,
                body: desired,
              },
            )
          : await rest.request<KyvernoPolicyObject>('PUT', policyPath(ref, versionOf(desired)), {
              query,
              body: mergedForUpdate(desired, current),
            });
      return [key, { ok: true, spec: res.spec }];
    } catch (err) {
      if (err instanceof KubeApiError)
        return [key, { ok: false, reason: `server-side dry-run rejected it: ${err.detail}` }];
      throw err;
    }
  });
  return new Map(results);
}

/** One write, reported after it succeeded. */
export interface PolicyWriteEvent {
  readonly action: 'apply' | 'update' | 'remove';
  /** Summary name of the policy. */
  readonly policy: string;
}

/** Options of {@link executePlan}. */
export interface ExecutePlanOptions {
  readonly fieldManager: string;
  readonly ownership: PolicyOwnership;
  /** Called before each write; throws to stop the run (the lock was lost), keeping what was written. */
  readonly beforeWrite?: () => void;
  /** Called after each successful write. */
  readonly onWrite?: (event: PolicyWriteEvent) => void | Promise<void>;
}

/** What {@link executePlan} did. */
export interface ExecutionReport {
  readonly applied: string[];
  readonly updated: string[];
  readonly removed: string[];
  readonly failed: string[];
  readonly errors: string[];
}

/**
 * Writes a plan: creates (`POST`, fails if the name was taken since planning), updates (`PUT` of
 * the current object with the expected spec, guarded by its `resourceVersion`; on a conflict the
 * policy is read again and retried once if still owned) and removals (`DELETE` with `uid` and
 * `resourceVersion` preconditions, so a policy changed or disowned since planning is kept). A
 * failed write is recorded and the others continue; the next run re-plans from the cluster.
 */
export async function executePlan(
  rest: KubeRest,
  plan: SyncPlan,
  options: ExecutePlanOptions,
): Promise<ExecutionReport> {
  const report: ExecutionReport = { applied: [], updated: [], removed: [], failed: [], errors: [] };
  const fail = (ref: PolicyRef, what: string, err: unknown): void => {
    const name = policyDisplayName(ref);
    report.failed.push(name);
    report.errors.push(
      `${name}: ${what}: ${err instanceof KubeApiError ? err.detail : (err as Error).message}`,
    );
  };
  const query = { fieldManager: options.fieldManager };
  // A throwing beforeWrite (the lock was lost) stops the run; what was written so far is reported.
  const mayWrite = (): boolean => {
    try {
      options.beforeWrite?.();
      return true;
    } catch (err) {
      report.errors.push((err as Error).message);
      return false;
    }
  };

  for (const c of plan.create) {
    if (!mayWrite()) return report;
    try {
      await rest.request('POST', policyCollectionPath(c.ref.kind, c.ref.namespace, versionOf(c.desired)), {
        query,
        body: c.desired,
      });
      report.applied.push(policyDisplayName(c.ref));
      await options.onWrite?.({ action: 'apply', policy: policyDisplayName(c.ref) });
    } catch (err) {
      fail(
        c.ref,
        isStatus(err, 409) ? 'create failed, the name was taken since planning' : 'create failed',
        err,
      );
    }
  }

  for (const u of plan.update) {
    if (!mayWrite()) return report;
    const path = policyPath(u.ref, versionOf(u.desired));
    try {
      try {
        await rest.request('PUT', path, { query, body: mergedForUpdate(u.desired, u.current) });
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        const fresh = await rest.request<KyvernoPolicyObject>('GET', path);
        if (!isOwned({ ...fresh, kind: u.ref.kind }, options.ownership)) {
          throw new Error('it was disowned since planning; left unchanged');
        }
        await rest.request('PUT', path, {
          query,
          body: mergedForUpdate(u.desired, { ...fresh, kind: u.ref.kind }),
        });
      }
      report.updated.push(policyDisplayName(u.ref));
      await options.onWrite?.({ action: 'update', policy: policyDisplayName(u.ref) });
    } catch (err) {
      fail(u.ref, 'update failed', err);
    }
  }

  for (const r of plan.remove) {
    if (!mayWrite()) return report;
    try {
      await rest.request('DELETE', policyPath(r.ref, versionOf(r.current)), {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: r.current.metadata.uid, resourceVersion: r.current.metadata.resourceVersion },
        },
      });
      report.removed.push(policyDisplayName(r.ref));
      await options.onWrite?.({ action: 'remove', policy: policyDisplayName(r.ref) });
    } catch (err) {
      if (isStatus(err, 404)) {
        report.removed.push(policyDisplayName(r.ref));
        continue;
      }
      fail(r.ref, isStatus(err, 409) ? 'remove skipped, it changed since planning' : 'remove failed', err);
    }
  }
  return report;
}
