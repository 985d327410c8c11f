import {
  isClassicKind,
  isOwned,
  isPolicyKind,
  knownVersionOf,
  KYVERNO_POLICY_KINDS,
  KyvernoPolicyKind,
  KyvernoPolicyKindInfo,
  KyvernoPolicyObject,
  PolicyMetadata,
  PolicyOwnership,
  PolicyRef,
  policyDisplayName,
  policyKey,
  refOf,
} from './kyverno-policy';
import { isStatus, KubeApiError, KubeObjectClient, KubeResource } from '../io/kube';
import { mapLimit } from '../map-limit';
import { SyncPlan } from './sync-plan';

/** A `policyResource` version that is not one the kind's CRD serves: no request is built from it. */
function checkedVersion(kind: KyvernoPolicyKind, version: string): string {
  const info: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[kind];
  if (!info.versions.includes(version)) {
    throw new Error(
      `no request for ${kind} version ${JSON.stringify(version)}: it must be one of ${info.versions.join(', ')}`,
    );
  }
  return version;
}

/**
 * The collection of a policy kind (`namespace` for namespaced kinds; omit to list all
 * namespaces), built only from the kind's registered group and plural and a served version.
 */
export function policyResource(
  kind: KyvernoPolicyKind,
  namespace?: string,
  version: string = KYVERNO_POLICY_KINDS[kind].listVersion,
): KubeResource {
  const r: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[kind];
  return {
    group: r.group,
    version: checkedVersion(kind, version),
    plural: r.plural,
    ...(r.namespaced && namespace !== undefined ? { namespace } : {}),
  };
}

/** The served version an object's `apiVersion` names; throws for anything else (never cut at `#` or `?`). */
export function versionOf(obj: KyvernoPolicyObject): string {
  const kind = obj.kind as KyvernoPolicyKind;
  const version = isPolicyKind(kind) ? knownVersionOf(kind, obj.apiVersion) : undefined;
  if (version === undefined) {
    throw new Error(
      `${obj.kind} ${obj.metadata.name}: 'apiVersion' ${JSON.stringify(obj.apiVersion)} is not a version its CRD serves`,
    );
  }
  return version;
}

/**
 * Checks that an apiserver answer to a write is the object written: its kind, group, name and
 * namespace, and for a stored write (`previousResourceVersion` given, `''` for a create) a
 * resourceVersion different from the previous one. Anything else (a discovery document, a Status,
 * an empty body) means the write did not happen as reported: throws, naming what came back.
 */
export function verifyWriteResponse(
  res: unknown,
  ref: PolicyRef,
  what: string,
  previousResourceVersion?: string,
): KyvernoPolicyObject {
  const obj = res as Partial<KyvernoPolicyObject> | undefined;
  const info: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[ref.kind];
  const md = (obj && typeof obj === 'object' ? obj.metadata : undefined) as
    Partial<PolicyMetadata> | undefined;
  const got =
    `kind ${JSON.stringify(obj?.kind)}, apiVersion ${JSON.stringify(obj?.apiVersion)}, ` +
    `name ${JSON.stringify(md?.name)}${info.namespaced ? `, namespace ${JSON.stringify(md?.namespace)}` : ''}`;
  const same =
    obj !== undefined &&
    obj !== null &&
    obj.kind === ref.kind &&
    typeof obj.apiVersion === 'string' &&
    obj.apiVersion.startsWith(`${info.group}/`) &&
    md?.name === ref.name &&
    (!info.namespaced || md?.namespace === ref.namespace);
  if (!same) {
    throw new Error(
      `the apiserver's answer to the ${what} is not ${policyKey(ref)} (got ${got}); it was not written`,
    );
  }
  if (previousResourceVersion !== undefined) {
    const rv = md?.resourceVersion;
    if (typeof rv !== 'string' || rv === '' || rv === previousResourceVersion) {
      throw new Error(
        `the apiserver's answer to the ${what} of ${policyKey(ref)} has no new resourceVersion ` +
          `(got ${JSON.stringify(rv)}, before ${JSON.stringify(previousResourceVersion)}); it was not written`,
      );
    }
  }
  return obj as KyvernoPolicyObject;
}

/**
 * Lists every policy of every managed kind (all namespaces). A `kyverno.io` kind, or a kind in
 * `requiredKinds`, that the cluster does not serve is an error; another CEL kind the cluster does
 * not serve (Kyverno before 1.14, or its CRD not installed) has no policies.
 */
export async function listClusterPolicies(
  kube: KubeObjectClient,
  requiredKinds: Iterable<KyvernoPolicyKind> = [],
): Promise<KyvernoPolicyObject[]> {
  const required = new Set(requiredKinds);
  const out: KyvernoPolicyObject[] = [];
  for (const kind of Object.keys(KYVERNO_POLICY_KINDS) as KyvernoPolicyKind[]) {
    const info: KyvernoPolicyKindInfo = KYVERNO_POLICY_KINDS[kind];
    let cont: string | undefined;
    do {
      let page: { items?: KyvernoPolicyObject[]; metadata?: { continue?: string } };
      try {
        page = await kube.list<KyvernoPolicyObject>(policyResource(kind), { limit: 500, continue: cont });
      } catch (err) {
        if (isStatus(err, 404)) {
          if (!isClassicKind(kind) && !required.has(kind)) break;
          throw new Error(
            `the Kyverno CRDs are not installed: ${info.plural}.${info.group} ${info.listVersion} not found` +
              (isClassicKind(kind)
                ? ''
                : ` (the source has ${kind} policies: install Kyverno's CRDs that serve ${info.group}/${info.listVersion})`),
          );
        }
        throw err;
      }
      for (const item of page.items ?? [])
        out.push({ ...item, apiVersion: `${info.group}/${info.listVersion}`, kind });
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
  kube: KubeObjectClient,
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
    const options = { dryRun: true, fieldManager, fieldValidation: 'Strict' } as const;
    const where = policyResource(ref.kind, ref.namespace, versionOf(desired));
    try {
      const res =
        current === undefined
          ? await kube.create<KyvernoPolicyObject>(where, desired, options)
          : await kube.replace<KyvernoPolicyObject>(
              where,
              ref.name,
              mergedForUpdate(desired, current),
              options,
            );
      const checked = verifyWriteResponse(
        res,
        ref,
        current === undefined ? 'dry-run create' : 'dry-run update',
      );
      return [key, { ok: true, spec: checked.spec }];
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
  kube: KubeObjectClient,
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
  const write = { fieldManager: options.fieldManager };
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
      const res = await kube.create(
        policyResource(c.ref.kind, c.ref.namespace, versionOf(c.desired)),
        c.desired,
        write,
      );
      verifyWriteResponse(res, c.ref, 'create', '');
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
    const where = policyResource(u.ref.kind, u.ref.namespace, versionOf(u.desired));
    try {
      let previous = u.current.metadata.resourceVersion ?? '';
      let res: unknown;
      try {
        res = await kube.replace(where, u.ref.name, mergedForUpdate(u.desired, u.current), write);
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        const fresh = { ...(await kube.get<KyvernoPolicyObject>(where, u.ref.name)), kind: u.ref.kind };
        if (!isOwned(fresh, options.ownership)) {
          throw new Error('it was disowned since planning; left unchanged');
        }
        previous = fresh.metadata.resourceVersion ?? '';
        res = await kube.replace(where, u.ref.name, mergedForUpdate(u.desired, fresh), write);
      }
      verifyWriteResponse(res, u.ref, 'update', previous);
      report.updated.push(policyDisplayName(u.ref));
      await options.onWrite?.({ action: 'update', policy: policyDisplayName(u.ref) });
    } catch (err) {
      fail(u.ref, 'update failed', err);
    }
  }

  for (const r of plan.remove) {
    if (!mayWrite()) return report;
    try {
      const res = await kube.delete<{ kind?: string; status?: string }>(
        policyResource(r.ref.kind, r.ref.namespace, versionOf(r.current)),
        r.ref.name,
        {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: {
            uid: r.current.metadata.uid,
            resourceVersion: r.current.metadata.resourceVersion,
          },
        },
      );
      // A custom resource's DELETE answers the deleted object; a Status of Success is a delete too.
      if (!(res?.kind === 'Status' && res.status === 'Success')) verifyWriteResponse(res, r.ref, 'delete');
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
