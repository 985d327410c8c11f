import * as fs from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  findKyvernoCli,
  kyvernoCliValidates,
  PolicyValidationIssue,
  validateWithKyvernoCli,
} from './kyverno-cli';
import {
  DEFAULT_OWNERSHIP,
  isOwned,
  parsePolicyDocuments,
  PolicyOwnership,
  policyDisplayName,
  policyKey,
  refOf,
} from './kyverno-policy';
import { contextNamespace, KubeObjectClient, kubeObjectClient, loadKubeConfig } from '../io/kube';
import { LeaseLock } from '../io/lease';
import { PolicySource } from './policy-source';
import { dryRunExpected, executePlan, listClusterPolicies, PolicyWriteEvent } from './sync-executor';
import { ExpectedPolicy, planSync, SyncPlan } from './sync-plan';
import { PolicySyncResult, summaryText } from './sync-summary';
import { SILENT_LOGGER, SyncLogger } from './sync-logger';
import { DEFAULT_MAX_REMOVAL_RATIO, DEFAULT_MAX_REMOVALS, settingHint } from './sync-settings';

/** Options of {@link syncKyvernoPolicies}. */
export interface SyncKyvernoPoliciesOptions {
  /** Where the expected policies come from: `insightsPolicySource(...)` or `directoryPolicySource(dir)`. */
  readonly source: PolicySource;

  /**
   * The cluster: a kubeconfig path, a `KUBECONFIG`-style list of paths (merged as kubectl does),
   * its YAML content, or a loaded KubeConfig.
   * @default - $KUBECONFIG (every file, merged), ~/.kube/config or the in-cluster service account
   */
  readonly kubeconfig?: string | KubeConfig;

  /**
   * The annotation marking policies the sync owns. Only owned policies are updated or removed.
   * @default - `insights.fairwinds.com/owned-by: "Fairwinds Insights"`
   */
  readonly ownership?: Partial<PolicyOwnership>;

  /**
   * Compute and report the plan, write nothing (no policy, no lock) (`DRY_RUN`).
   * @default false
   */
  readonly dryRun?: boolean;

  /**
   * Validate every expected policy before any write: the Kyverno CLI (when found) and a
   * server-side dry-run. One invalid policy means no writes at all. When false, the server-side
   * dry-run still runs (it normalizes specs for the comparison) but a policy it rejects only
   * fails itself.
   * @default true
   */
  readonly validate?: boolean;

  /**
   * Path of the Kyverno CLI, or false to skip it.
   * @default - `kyverno` on PATH, skipped with a warning when absent
   */
  readonly kyvernoCli?: string | false;

  /**
   * The Lease held for the run, or false for none. Not taken in a dry run.
   * @default - Lease `jobforge-kyverno-policy-sync` in `$POD_NAMESPACE`, else the kubeconfig context's namespace (in a pod: the service account's), else `default`; timeout 30 minutes
   */
  readonly lock?:
    | false
    | {
        readonly namespace?: string;
        readonly name?: string;
        readonly timeoutMs?: number;
        readonly holderIdentity?: string;
      };

  /**
   * Deletion guard: a run that would remove more policies than this removes none and fails, unless `force` (`MAX_REMOVALS`).
   * @default 10
   */
  readonly maxRemovals?: number;

  /**
   * Ratio guard: a run that would remove more than this share (0 to 1) of the owned policies in
   * the cluster removes none and fails, unless `force` (`MAX_REMOVAL_RATIO`). Exactly the share passes.
   * @default 0.5
   */
  readonly maxRemovalRatio?: number;

  /**
   * Allow removing more than `maxRemovals` policies or more than `maxRemovalRatio` of them (`FORCE_REMOVALS`).
   * @default false
   */
  readonly force?: boolean;

  /**
   * Accept a source with no policies (an empty body, `---`, a List without items) while owned
   * policies exist (`ALLOW_EMPTY_SOURCE`). Refused by default: an empty answer is more often an
   * outage than an intent. The deletion guards still apply (`force`).
   * @default false
   */
  readonly allowEmptySource?: boolean;

  /**
   * Field manager recorded on every write.
   * @default 'jobforge-policy-sync'
   */
  readonly fieldManager?: string;

  /**
   * Namespace of a `Policy` document that names none.
   * @default 'default'
   */
  readonly defaultNamespace?: string;

  /** @default - no logging */
  readonly logger?: SyncLogger;

  /** Called after each successful write (progress reporting). */
  readonly onWrite?: (event: PolicyWriteEvent) => void | Promise<void>;

  /**
   * The apiserver client, instead of one built from `kubeconfig` (for tests).
   * @default - @kubernetes/client-node on `kubeconfig`
   */
  readonly client?: KubeObjectClient;
}

/** Default Lease name of the sync lock. */
export const DEFAULT_LOCK_NAME = 'jobforge-kyverno-policy-sync';
/** Default `LOCK_TIMEOUT`: 30 minutes. */
export const DEFAULT_LOCK_TIMEOUT_MS = 30 * 60 * 1000;
export { DEFAULT_MAX_REMOVALS, DEFAULT_MAX_REMOVAL_RATIO } from './sync-settings';

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The namespace of the lock when none is given: `$POD_NAMESPACE`, else the kubeconfig context's
 * namespace (`contextNs`; in a pod, the service account's), else `default`.
 */
export function defaultLockNamespace(contextNs?: string): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (contextNs) return contextNs;
  try {
    return fs.readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

class SyncFailure extends Error {
  constructor(
    message: string,
    public readonly failed: string[] = [],
    public readonly errors: string[] = [message],
  ) {
    super(message);
  }
}

/**
 * Synchronizes Kyverno policies with a source, as the Fairwinds on-demand runner does, safely:
 * fetch the expected policies, take the Lease lock, list the cluster's ClusterPolicies and
 * Policies, validate every expected policy (Kyverno CLI + server-side dry-run), plan (create
 * new, update changed owned ones, remove owned ones no longer expected, report same-name
 * unowned objects as conflicts), check the deletion guard, write, release the lock.
 *
 * Never throws for a failed sync: the result says `success: false` and why (print it with
 * `summaryLine`). Throws only for invalid options.
 */
export async function syncKyvernoPolicies(options: SyncKyvernoPoliciesOptions): Promise<PolicySyncResult> {
  const started = Date.now();
  // Whatever the source knows to be secret (its token) never reaches a log line or the result.
  const redact = (text: string): string => options.source.redact?.(text) ?? text;
  const logger = redactingLogger(options.logger ?? SILENT_LOGGER, redact);
  const ownership: PolicyOwnership = { ...DEFAULT_OWNERSHIP, ...stripUndefined(options.ownership ?? {}) };
  if (!ownership.annotationKey || !ownership.annotationValue) {
    throw new Error(
      `'ownership' needs a non-empty annotation key and value, got ${JSON.stringify(ownership)}`,
    );
  }
  const maxRemovals = options.maxRemovals ?? DEFAULT_MAX_REMOVALS;
  if (!Number.isInteger(maxRemovals) || maxRemovals < 0) {
    throw new Error(`'maxRemovals' must be a non-negative integer, got ${options.maxRemovals}`);
  }
  const maxRemovalRatio = options.maxRemovalRatio ?? DEFAULT_MAX_REMOVAL_RATIO;
  if (typeof maxRemovalRatio !== 'number' || !(maxRemovalRatio >= 0 && maxRemovalRatio <= 1)) {
    throw new Error(`'maxRemovalRatio' must be a number from 0 to 1, got ${options.maxRemovalRatio}`);
  }
  const dryRun = options.dryRun ?? false;
  const validate = options.validate ?? true;
  const fieldManager = options.fieldManager ?? 'jobforge-policy-sync';
  const lockOpts = options.lock === false ? undefined : (options.lock ?? {});
  const lockTimeoutMs = lockOpts?.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (lockOpts && (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs < 1000)) {
    throw new Error(`'lock.timeoutMs' must be at least 1000, got ${lockTimeoutMs}`);
  }

  const result = {
    applied: [] as string[],
    updated: [] as string[],
    removed: [] as string[],
    failed: [] as string[],
    unchanged: [] as string[],
    conflicts: [] as string[],
    errors: [] as string[],
    changes: {} as Record<string, string[]>,
  };
  let lock: LeaseLock | undefined;
  try {
    logger.log('info', 'Starting Kyverno policy sync', {
      source: options.source.description,
      dryRun,
      validate,
    });
    const expected = parsePolicyDocuments(await options.source.fetchYaml(), {
      ownership,
      defaultNamespace: options.defaultNamespace,
    });
    logger.log('info', 'Fetched expected policies', { count: expected.length });

    let kube = options.client;
    let contextNs: string | undefined;
    if (kube === undefined) {
      const kc = loadKubeConfig(options.kubeconfig);
      contextNs = contextNamespace(kc);
      kube = kubeObjectClient(kc);
    }
    if (lockOpts && !dryRun) {
      lock = await LeaseLock.acquire(kube, {
        namespace: lockOpts.namespace ?? defaultLockNamespace(contextNs),
        name: lockOpts.name ?? DEFAULT_LOCK_NAME,
        timeoutMs: lockTimeoutMs,
        holderIdentity: lockOpts.holderIdentity,
        logger,
      });
    }
    const cluster = await listClusterPolicies(
      kube,
      expected.map((e) => refOf(e).kind),
    );
    logger.log('debug', 'Listed cluster policies', { count: cluster.length });
    const owned = cluster.filter((c) => isOwned(c, ownership));
    if (expected.length === 0 && owned.length > 0 && !options.allowEmptySource) {
      throw new SyncFailure(
        `empty source: ${options.source.description} has no policies while ${owned.length} owned ` +
          `polic${owned.length === 1 ? 'y exists' : 'ies exist'}; nothing written. Check the source, or allow it with ` +
          `${settingHint('allowEmptySource', 'true')} (removing them is still subject to the deletion guard)`,
      );
    }

    const invalid = new Map<string, string>();
    if (validate) {
      const cli = options.kyvernoCli === false ? undefined : (options.kyvernoCli ?? findKyvernoCli());
      if (cli) {
        const issues: PolicyValidationIssue[] = await validateWithKyvernoCli(
          expected.filter((e) => kyvernoCliValidates(e.kind)),
          cli,
        );
        for (const i of issues) invalid.set(i.policy, `Kyverno CLI rejected it: ${i.reason}`);
      } else if (options.kyvernoCli !== false) {
        logger.log('warn', 'Kyverno CLI not found on PATH; validating with the server-side dry-run only');
      }
    }
    const dry = await dryRunExpected(kube, expected, cluster, ownership, fieldManager);
    const usable: ExpectedPolicy[] = [];
    const rejected: string[] = [];
    for (const object of expected) {
      const name = policyDisplayName(refOf(object));
      const outcome = dry.get(policyKey(refOf(object)))!;
      if (!outcome.ok && !invalid.has(name)) invalid.set(name, outcome.reason);
      if (invalid.has(name)) rejected.push(name);
      else usable.push({ object, normalizedSpec: outcome.ok ? outcome.spec : undefined });
    }
    if (invalid.size > 0 && validate) {
      const names = [...invalid.keys()];
      throw new SyncFailure(
        `validation failed for ${names.length} polic${names.length === 1 ? 'y' : 'ies'}, nothing written`,
        names,
        [
          `validation failed for ${names.length} polic${names.length === 1 ? 'y' : 'ies'}, nothing written`,
          ...[...invalid].map(([n, why]) => `${n}: ${why}`),
        ],
      );
    }
    for (const name of rejected) {
      result.failed.push(name);
      result.errors.push(`${name}: ${invalid.get(name)}`);
    }

    // A policy that failed without validation is neither written nor removed.
    const rejectedKeys = new Set(
      expected.filter((e) => rejected.includes(policyDisplayName(refOf(e)))).map((e) => policyKey(refOf(e))),
    );
    const kept = cluster.filter((c) => !rejectedKeys.has(policyKey(refOf(c))));
    const plan = planSync(usable, kept, ownership);
    logPlan(logger, plan, dryRun);
    result.unchanged.push(...plan.unchanged.map(policyDisplayName));
    result.conflicts.push(...plan.conflicts.map((c) => policyDisplayName(c.ref)));
    for (const c of plan.conflicts)
      logger.log('warn', 'Policy name taken by an unowned object', { reason: c.reason });
    for (const u of plan.update) result.changes[policyDisplayName(u.ref)] = [...u.changes];

    const removing = plan.remove.map((r) => policyDisplayName(r.ref)).join(', ');
    if (plan.remove.length > maxRemovals && !options.force) {
      throw new SyncFailure(
        `deletion guard: the plan removes ${plan.remove.length} policies, more than the allowed ${maxRemovals} ` +
          `(${removing}); nothing written. Check the source, or allow it with ${settingHint('force', 'true')} ` +
          `or a higher ${settingHint('maxRemovals', String(plan.remove.length))}`,
      );
    }
    if (plan.remove.length > maxRemovalRatio * owned.length && !options.force) {
      throw new SyncFailure(
        `deletion guard: the plan removes ${plan.remove.length} of the ${owned.length} owned policies, ` +
          `more than the allowed share ${maxRemovalRatio} (${removing}); nothing written. Check the source, ` +
          `or allow it with ${settingHint('force', 'true')} or a higher ` +
          `${settingHint('maxRemovalRatio', String(Math.min(1, Math.ceil((plan.remove.length / owned.length) * 100) / 100)))}`,
      );
    }

    if (dryRun) {
      result.applied.push(...plan.create.map((c) => policyDisplayName(c.ref)));
      result.updated.push(...plan.update.map((u) => policyDisplayName(u.ref)));
      result.removed.push(...plan.remove.map((r) => policyDisplayName(r.ref)));
    } else {
      const report = await executePlan(kube, plan, {
        fieldManager,
        ownership,
        beforeWrite: () => lock?.assertHeld(),
        onWrite: options.onWrite,
      });
      result.applied.push(...report.applied);
      result.updated.push(...report.updated);
      result.removed.push(...report.removed);
      result.failed.push(...report.failed);
      result.errors.push(...report.errors);
    }
  } catch (err) {
    if (err instanceof SyncFailure) {
      result.failed.push(...err.failed);
      result.errors.push(...err.errors);
    } else {
      result.errors.push((err as Error).message);
    }
  } finally {
    if (lock) await lock.release();
  }
  const out: PolicySyncResult = {
    success: result.errors.length === 0 && result.failed.length === 0,
    dryRun,
    durationMs: Date.now() - started,
    ...result,
    errors: result.errors.map(redact),
  };
  logger.log(
    out.success ? 'info' : 'error',
    out.success ? 'Kyverno policy sync finished' : 'Kyverno policy sync failed',
    {
      summary: summaryText(out),
      errors: out.errors,
    },
  );
  return out;
}

function redactingLogger(logger: SyncLogger, redact: (text: string) => string): SyncLogger {
  const clean = (v: unknown): unknown =>
    typeof v === 'string'
      ? redact(v)
      : Array.isArray(v)
        ? v.map(clean)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]))
          : v;
  return {
    log: (level, msg, fields) =>
      logger.log(level, redact(msg), fields && (clean(fields) as Record<string, unknown>)),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function logPlan(logger: SyncLogger, plan: SyncPlan, dryRun: boolean): void {
  const verb = dryRun ? 'Would' : 'Will';
  for (const c of plan.create) logger.log('info', `${verb} apply policy`, { policy: policyKey(c.ref) });
  for (const u of plan.update)
    logger.log('info', `${verb} update policy`, { policy: policyKey(u.ref), changes: u.changes });
  for (const r of plan.remove) logger.log('info', `${verb} remove policy`, { policy: policyKey(r.ref) });
  logger.log('info', 'Policy sync plan', {
    apply: plan.create.length,
    update: plan.update.length,
    remove: plan.remove.length,
    unchanged: plan.unchanged.length,
    conflicts: plan.conflicts.length,
  });
}
