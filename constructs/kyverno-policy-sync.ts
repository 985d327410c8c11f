import { Construct } from 'constructs';
import { PolicyRule } from 'cdk8s-plus-28/lib/imports/k8s';
import { parseCronSchedule } from '../core/cron-schedule';
import { parseGoDuration } from '../core/policy-sync/go-duration';
import { KYVERNO_POLICY_KINDS, KyvernoPolicyKindInfo } from '../core/policy-sync/kyverno-policy';
import { LogLevel, parseLogLevel } from '../core/policy-sync/sync-logger';
import { DEFAULT_MAX_REMOVALS, POLICY_SYNC_SETTINGS as S } from '../core/policy-sync/sync-settings';
import { JOBFORGE_IMAGE } from '../core/jobforge-image';
import { PodSecurityContext } from 'cdk8s-plus-28/lib/imports/k8s';
import { ContainerResources, ImagePullPolicy } from './pod';
import { NetworkPolicyOptions } from './network-policy';
import {
  FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE,
  InsightsReportCronJob,
  InsightsSettings,
} from './insights-report-cron-job';

/** Which program the CronJob runs. */
export type KyvernoPolicySyncRunner = 'fairwinds' | 'jobforge';

/** Props of {@link KyvernoPolicySync}. */
export interface KyvernoPolicySyncProps {
  /** The Insights settings: token from a Secret, organization, cluster, host. */
  readonly insights: InsightsSettings;
  /**
   * How often to sync (`SYNC_INTERVAL`): minutes dividing an hour (`5m`, `15m`, `30m`), hours
   * dividing a day (`1h`, `6h`), or a five-field cron expression.
   * @default '15m'
   */
  readonly syncInterval?: string;
  /**
   * `fairwinds`: the Fairwinds on-demand job runner with `JOB_TYPE=kyverno-policy-sync`;
   * `jobforge`: this project's CLI image (`jobforge policy-sync`, see the repo's Containerfile).
   * @default 'fairwinds'
   */
  readonly runner?: KyvernoPolicySyncRunner;
  /**
   * Container image.
   * @default - FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE for the fairwinds runner; JOBFORGE_IMAGE (jobforge's image of this version) for jobforge
   */
  readonly image?: string;
  /**
   * Plan and log only, write nothing (`DRY_RUN`).
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Validate every policy before any write (`VALIDATE_POLICIES`).
   * @default true
   */
  readonly validatePolicies?: boolean;
  /**
   * A lock not renewed for this long is taken over (`LOCK_TIMEOUT`, a Go duration).
   * @default '30m'
   */
  readonly lockTimeout?: string;
  /**
   * Deletion guard of the jobforge runner (`MAX_REMOVALS`): a run removing more fails without writing.
   * @default 10
   */
  readonly maxRemovals?: number;
  /**
   * Ratio guard of the jobforge runner (`MAX_REMOVAL_RATIO`): a run removing more than this share
   * (0 to 1) of the owned policies fails without writing.
   * @default 0.5
   */
  readonly maxRemovalRatio?: number;
  /**
   * Let the jobforge runner accept an Insights answer with no policies while owned policies
   * exist (`ALLOW_EMPTY_SOURCE`); the deletion guards still apply.
   * @default false
   */
  readonly allowEmptySource?: boolean;
  /**
   * Largest Insights response the jobforge runner accepts, in bytes (`INSIGHTS_MAX_RESPONSE_BYTES`).
   * @default 10485760 (10 MiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Ownership annotation of the jobforge runner (`OWNER_ANNOTATION_KEY` / `OWNER_ANNOTATION_VALUE`).
   * @default - `insights.fairwinds.com/owned-by: "Fairwinds Insights"`
   */
  readonly ownerAnnotation?: { readonly key: string; readonly value: string };
  /**
   * `LOG_LEVEL`.
   * @default 'info'
   */
  readonly logLevel?: LogLevel;
  /** @default - the chart's namespace, else 'insights-agent' */
  readonly namespace?: string;
  /** @default 'kyverno-policy-sync' */
  readonly name?: string;
  /** @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /** @default false */
  readonly suspend?: boolean;
  /** @default { runAsUser: 65532, runAsGroup: 65532 } over the restricted defaults */
  readonly podSecurityContext?: PodSecurityContext;
  /** @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Refuse an image not pinned by digest. @default false */
  readonly requireImageDigest?: boolean;
  /**
   * Ingress denied; egress to cluster DNS and these targets.
   * @default - TCP 443 and 6443 anywhere but 169.254.169.254 (the apiserver, the Insights host)
   */
  readonly networkPolicy?: NetworkPolicyOptions;
}

/** What the sync does to policies: list, read, create, update (PUT) and delete. No patch, no watch. */
export const KYVERNO_POLICY_SYNC_CLUSTER_RULES: PolicyRule[] = [
  {
    apiGroups: ['kyverno.io'],
    resources: ['clusterpolicies', 'policies'],
    verbs: ['get', 'list', 'create', 'update', 'delete'],
  },
];

/**
 * The jobforge runner also syncs Kyverno's CEL policy kinds (`policies.kyverno.io`): the same
 * verbs on each of their resources.
 */
export const KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES: PolicyRule[] = [
  {
    apiGroups: ['policies.kyverno.io'],
    resources: Object.values(KYVERNO_POLICY_KINDS as Record<string, KyvernoPolicyKindInfo>)
      .filter((k) => k.group === 'policies.kyverno.io')
      .map((k) => k.plural),
    verbs: ['get', 'list', 'create', 'update', 'delete'],
  },
];

/** The Lease lock, in the sync's own namespace only. */
export const KYVERNO_POLICY_SYNC_LEASE_RULES: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'delete'] },
];

// The Fairwinds runner also lists the CEL policy kinds, applies with patch and locks with a ConfigMap.
const FAIRWINDS_EXTRA_CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: ['kyverno.io'], resources: ['clusterpolicies', 'policies'], verbs: ['patch'] },
  {
    apiGroups: ['policies.kyverno.io'],
    resources: [
      'validatingpolicies',
      'mutatingpolicies',
      'generatingpolicies',
      'imagevalidatingpolicies',
      'deletingpolicies',
    ],
    verbs: ['get', 'list'],
  },
];
const FAIRWINDS_EXTRA_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'delete'] },
];

/**
 * Turns a `SYNC_INTERVAL` into a cron schedule: `15m` → `*\/15 * * * *`, `1h` → `0 * * * *`,
 * `6h` → `0 *\/6 * * *`; a cron expression (it has spaces) is returned as is. Intervals that a
 * cron step cannot express evenly are rejected.
 */
export function syncIntervalToSchedule(interval: string): string {
  if (/\s/.test(interval.trim())) return parseCronSchedule(interval.trim(), 'syncInterval').expression;
  const ms = parseGoDuration(interval, 'syncInterval');
  const minutes = ms / 60_000;
  const bad = (): Error =>
    new Error(
      `'syncInterval' must be minutes dividing an hour (1m..30m), hours dividing a day (1h..12h), 24h, or a cron expression, got ${JSON.stringify(interval)}`,
    );
  if (!Number.isInteger(minutes) || minutes < 1) throw bad();
  if (minutes < 60) {
    if (60 % minutes !== 0) throw bad();
    return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  }
  const hours = minutes / 60;
  if (!Number.isInteger(hours)) throw bad();
  if (hours === 1) return '0 * * * *';
  if (hours === 24) return '0 0 * * *';
  if (hours < 24 && 24 % hours === 0) return `0 */${hours} * * *`;
  throw bad();
}

/**
 * The Kyverno policy sync as a CronJob: an {@link InsightsReportCronJob} specialized for the
 * `kyverno-policy-sync` job type, every 15 minutes by default, never overlapping, no retries of
 * a failed run (the next run converges), with least RBAC: a ClusterRole on kyverno.io
 * clusterpolicies and policies, and a Role on the Lease lock in its namespace. Settings as env:
 * `SYNC_INTERVAL`, `DRY_RUN`, `VALIDATE_POLICIES`, `LOCK_TIMEOUT`, `LOG_LEVEL` (and for the
 * jobforge runner `MAX_REMOVALS`, `MAX_REMOVAL_RATIO`, `ALLOW_EMPTY_SOURCE`, `INSIGHTS_MAX_RESPONSE_BYTES`,
 * `OWNER_ANNOTATION_KEY`, `OWNER_ANNOTATION_VALUE`). The jobforge runner also syncs the CEL
 * policy kinds of `policies.kyverno.io`.
 */
export class KyvernoPolicySync extends InsightsReportCronJob {
  /** The cron schedule derived from `syncInterval`. */
  public readonly schedule: string;
  /** The program the CronJob runs. */
  public readonly runner: KyvernoPolicySyncRunner;

  public constructor(scope: Construct, id: string, props: KyvernoPolicySyncProps) {
    const p = KyvernoPolicySync.runnerProps(props);
    super(scope, id, p.runnerProps);
    this.schedule = p.schedule;
    this.runner = p.runner;
  }

  private static runnerProps(props: KyvernoPolicySyncProps) {
    const runner = props.runner ?? 'fairwinds';
    if (runner !== 'fairwinds' && runner !== 'jobforge') {
      throw new Error(`'runner' must be fairwinds or jobforge, got ${JSON.stringify(runner)}`);
    }
    const interval = props.syncInterval ?? '15m';
    const schedule = syncIntervalToSchedule(interval);
    const lockTimeout = props.lockTimeout ?? '30m';
    if (parseGoDuration(lockTimeout, 'lockTimeout') < 1000) {
      throw new Error(`'lockTimeout' must be at least 1s, got ${JSON.stringify(lockTimeout)}`);
    }
    const logLevel = parseLogLevel(props.logLevel, 'info');
    if (props.maxRemovals !== undefined && (!Number.isInteger(props.maxRemovals) || props.maxRemovals < 0)) {
      throw new Error(`'maxRemovals' must be a non-negative integer, got ${props.maxRemovals}`);
    }
    if (runner === 'fairwinds' && (props.maxRemovals !== undefined || props.ownerAnnotation !== undefined)) {
      throw new Error(
        `'maxRemovals' and 'ownerAnnotation' need runner jobforge (the Fairwinds runner has neither), got runner ${JSON.stringify(runner)}`,
      );
    }
    for (const key of ['maxRemovalRatio', 'allowEmptySource', 'maxResponseBytes'] as const) {
      if (runner === 'fairwinds' && props[key] !== undefined) {
        throw new Error(
          `'${key}' needs runner jobforge (the Fairwinds runner has no such setting), got runner ${JSON.stringify(runner)}`,
        );
      }
    }
    if (
      props.maxRemovalRatio !== undefined &&
      !(typeof props.maxRemovalRatio === 'number' && props.maxRemovalRatio >= 0 && props.maxRemovalRatio <= 1)
    ) {
      throw new Error(`'maxRemovalRatio' must be a number from 0 to 1, got ${props.maxRemovalRatio}`);
    }
    if (
      props.maxResponseBytes !== undefined &&
      (!Number.isInteger(props.maxResponseBytes) || props.maxResponseBytes < 1)
    ) {
      throw new Error(`'maxResponseBytes' must be a positive integer, got ${props.maxResponseBytes}`);
    }
    const env: Record<string, string> = {
      SYNC_INTERVAL: interval,
      DRY_RUN: String(props.dryRun ?? false),
      VALIDATE_POLICIES: String(props.validatePolicies ?? true),
      LOCK_TIMEOUT: lockTimeout,
      LOG_LEVEL: logLevel,
    };
    if (runner === 'jobforge') {
      env[S.maxRemovals.env] = String(props.maxRemovals ?? DEFAULT_MAX_REMOVALS);
      if (props.maxRemovalRatio !== undefined) env[S.maxRemovalRatio.env] = String(props.maxRemovalRatio);
      if (props.allowEmptySource !== undefined) env[S.allowEmptySource.env] = String(props.allowEmptySource);
      if (props.maxResponseBytes !== undefined) env[S.maxResponseBytes.env] = String(props.maxResponseBytes);
      if (props.ownerAnnotation) {
        env.OWNER_ANNOTATION_KEY = props.ownerAnnotation.key;
        env.OWNER_ANNOTATION_VALUE = props.ownerAnnotation.value;
      }
    }
    return {
      schedule,
      runner,
      runnerProps: {
        jobType: 'kyverno-policy-sync' as const,
        insights: props.insights,
        schedule,
        image: props.image ?? (runner === 'jobforge' ? JOBFORGE_IMAGE : FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE),
        args: runner === 'jobforge' ? ['policy-sync'] : undefined,
        env,
        namespace: props.namespace,
        name: props.name ?? 'kyverno-policy-sync',
        clusterRules: [
          ...KYVERNO_POLICY_SYNC_CLUSTER_RULES,
          ...(runner === 'fairwinds' ? FAIRWINDS_EXTRA_CLUSTER_RULES : KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES),
        ],
        namespaceRules: [
          ...KYVERNO_POLICY_SYNC_LEASE_RULES,
          ...(runner === 'fairwinds' ? FAIRWINDS_EXTRA_NAMESPACE_RULES : []),
        ],
        resources: props.resources,
        tokenAsFile: runner === 'jobforge',
        podSecurityContext: props.podSecurityContext,
        imagePullPolicy: props.imagePullPolicy,
        requireImageDigest: props.requireImageDigest,
        networkPolicy: props.networkPolicy,
        backoffLimit: 0,
        suspend: props.suspend,
      },
    };
  }
}
