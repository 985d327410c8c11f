import { setTimeout as sleep } from 'node:timers/promises';
import type { EcrClientLike, EcrScanResult, ResolvedEcrConfig } from '../pipeline/types';
import { selectImages } from '../pipeline/select';
import { createEcrClient, scanEcr } from './ecr';
import {
  resolvePolicySpec,
  awsCredentialsFromSecret,
  DetectionSettings,
} from '../image-resource/policy-config';
import { nextScanAt, READY, reconcileDetection, ScanOutcome } from '../image-resource/reconcile-detection';
import { findCondition } from '../conditions';
import { IMAGE_RESOURCE_API, ImageDetected, ImageResourcePolicy, PLURALS } from '../image-resource/resources';
import { ImageResourceKube, managerInformers } from './image-resource-kube';
import type { RunningInformer } from './informer';
import { isStatus } from './kube';
import type { ControllerMetrics } from './controller-metrics';
import type { ControllerLogger } from './controller-log';

/**
 * The detection manager (`jobforge controller image-detection`): for every ImageResourcePolicy,
 * on its interval, scans ECR (core/io/ecr.ts), selects images (core/pipeline/select.ts) and
 * creates or updates ImageDetected objects with deterministic names; writes the policy's status
 * (Ready condition, lastScannedTime, counts, observedGeneration) and Events. Policies and
 * ImageDetected objects come from informers, so a steady state costs only the ECR scan and one
 * status write per interval. Bad input (an invalid regex, a missing Secret) is a Ready=False
 * condition naming the field and a Warning Event, never a crash.
 */

/** Options of {@link ImageDetectionManager}. */
export interface ImageDetectionManagerOptions {
  readonly kube: ImageResourceKube;
  readonly metrics: ControllerMetrics;
  readonly logger: ControllerLogger;
  /** Interval of policies without `spec.scanInterval` (Go duration). @default '5m' */
  readonly defaultScanInterval?: string;
  /** ECR endpoint for every policy (moto in tests). @default - AWS */
  readonly ecrEndpoint?: string;
  /** Policies scanned at once. @default 4 */
  readonly maxConcurrentPolicies?: number;
  /** How often due policies are looked for, in ms. @default 1000 */
  readonly tickMs?: number;
  /** The scanner (tests and benches pass a counting one). @default scanEcr */
  readonly scan?: (ecr: ResolvedEcrConfig, client: EcrClientLike | undefined) => Promise<EcrScanResult>;
  readonly now?: () => Date;
}

/** What one scan did, for logs and tests. */
export interface PolicyScanReport {
  readonly policy: string;
  readonly outcome: ScanOutcome['kind'];
  readonly created: number;
  readonly updated: number;
}

export class ImageDetectionManager {
  private policies?: RunningInformer<ImageResourcePolicy>;
  private detected?: RunningInformer<ImageDetected>;
  private readonly lastScan = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly now: () => Date;

  constructor(private readonly options: ImageDetectionManagerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Starts the informers (standby replicas keep warm caches too); resolves once synced. */
  async start(): Promise<void> {
    const { kube, metrics, logger } = this.options;
    const inform = managerInformers(kube.kubeConfig, metrics, logger);
    this.policies = inform.customResource<ImageResourcePolicy>(
      PLURALS.ImageResourcePolicy,
      'ImageResourcePolicies',
      {},
    );
    this.detected = inform.customResource<ImageDetected>(PLURALS.ImageDetected, 'ImageDetected', {});
    await Promise.all([this.policies.synced, this.detected.synced]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.policies?.stop(), this.detected?.stop()]);
  }

  /** Leads until `signal` aborts: scans each policy when it is due. `guard` throws once the Lease is lost. */
  async lead(signal: AbortSignal, guard: () => void = () => {}): Promise<void> {
    const tick = this.options.tickMs ?? 1000;
    const limit = this.options.maxConcurrentPolicies ?? 4;
    const inFlight = new Set<Promise<void>>();
    while (!signal.aborted) {
      for (const policy of this.duePolicies()) {
        if (inFlight.size >= limit || signal.aborted) break;
        const key = keyOf(policy);
        this.running.add(key);
        const p: Promise<void> = this.reconcile(policy, guard)
          .then(() => undefined)
          .catch((err: unknown) => {
            this.options.metrics.errors.inc({ reason: 'ReconcileFailed' });
            this.options.logger.log('error', 'policy reconcile failed', {
              policy: key,
              error: (err as Error).message,
            });
          })
          .finally(() => {
            this.running.delete(key);
            inFlight.delete(p);
          });
        inFlight.add(p);
      }
      await sleep(tick, undefined, { signal }).catch(() => undefined); // an abort ends the wait
    }
    // Graceful shutdown: let the scans in flight write their results.
    await Promise.allSettled([...inFlight]);
  }

  /** The policies due now, longest overdue first (so many short intervals cannot starve one policy). */
  private duePolicies(): ImageResourcePolicy[] {
    const now = this.now().getTime();
    const due: Array<{ policy: ImageResourcePolicy; at: number }> = [];
    for (const policy of this.policies?.list() ?? []) {
      const key = keyOf(policy);
      if (this.running.has(key) || policy.metadata.deletionTimestamp) continue;
      let interval: number;
      try {
        interval = resolvePolicySpec(policy.spec, this.specOptions()).scanIntervalMs;
      } catch {
        interval = 60_000; // an invalid spec is re-checked every minute (and at once when it changes)
      }
      const at = nextScanAt(policy, this.lastScan.get(key), interval);
      if (at <= now) due.push({ policy, at });
    }
    return due.sort((a, b) => a.at - b.at).map((d) => d.policy);
  }

  private specOptions() {
    return {
      ...(this.options.defaultScanInterval !== undefined
        ? { defaultScanInterval: this.options.defaultScanInterval }
        : {}),
      ...(this.options.ecrEndpoint !== undefined ? { ecrEndpoint: this.options.ecrEndpoint } : {}),
    };
  }

  /** Scans one policy and applies the result. */
  async reconcile(policy: ImageResourcePolicy, guard: () => void = () => {}): Promise<PolicyScanReport> {
    const { kube, metrics, logger } = this.options;
    const key = keyOf(policy);
    const namespace = policy.metadata.namespace ?? 'default';
    this.lastScan.set(key, this.now().getTime());
    const outcome = await this.scanPolicy(policy);
    const existing = new Map<string, ImageDetected>();
    for (const d of this.detected?.list() ?? []) {
      if ((d.metadata.namespace ?? 'default') === namespace) existing.set(d.metadata.name, d);
    }
    const actions = reconcileDetection(policy, outcome, existing, this.now());
    guard();
    for (const d of actions.create) {
      try {
        await kube.create(PLURALS.ImageDetected, namespace, d);
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
      }
      metrics.imagesDetected.inc();
    }
    for (const d of actions.update) {
      await kube.replace(PLURALS.ImageDetected, namespace, d.metadata.name, d);
      metrics.imagesDetected.inc();
    }
    const old = findCondition(policy.status?.conditions, READY);
    const now = findCondition(actions.status.conditions, READY);
    const unchanged =
      outcome.kind !== 'scanned' &&
      old?.reason === now?.reason &&
      old?.message === now?.message &&
      policy.status?.observedGeneration === actions.status.observedGeneration;
    if (!unchanged) {
      await kube.patchStatus(PLURALS.ImageResourcePolicy, namespace, policy.metadata.name, actions.status);
      if (actions.event) {
        await kube
          .event(
            { apiVersion: IMAGE_RESOURCE_API, kind: 'ImageResourcePolicy', metadata: policy.metadata },
            actions.event.type,
            actions.event.reason,
            actions.event.message,
          )
          .catch((err: unknown) =>
            logger.log('warn', 'could not record an Event', { error: (err as Error).message }),
          );
      }
    }
    if (outcome.kind === 'invalid' || outcome.kind === 'failed')
      metrics.errors.inc({ reason: outcome.reason });
    logger.log(
      outcome.kind === 'scanned' || outcome.kind === 'suspended' ? 'info' : 'warn',
      'policy reconciled',
      {
        policy: key,
        outcome: outcome.kind,
        ...(outcome.kind === 'invalid' || outcome.kind === 'failed'
          ? { reason: outcome.reason, message: outcome.message }
          : {}),
        created: actions.create.length,
        updated: actions.update.length,
      },
    );
    return {
      policy: key,
      outcome: outcome.kind,
      created: actions.create.length,
      updated: actions.update.length,
    };
  }

  private async scanPolicy(policy: ImageResourcePolicy): Promise<ScanOutcome> {
    const { kube, metrics, logger } = this.options;
    let settings: DetectionSettings;
    try {
      settings = resolvePolicySpec(policy.spec, this.specOptions());
    } catch (err) {
      return { kind: 'invalid', reason: 'InvalidSpec', message: (err as Error).message };
    }
    if (settings.suspend) return { kind: 'suspended' };
    let client: EcrClientLike | undefined;
    const ref = policy.spec.aws?.secretRef;
    if (ref?.name) {
      const namespace = policy.metadata.namespace ?? 'default';
      const data = await kube.secretData(namespace, ref.name);
      if (data === undefined) {
        return {
          kind: 'invalid',
          reason: 'SecretNotFound',
          message: `'spec.aws.secretRef' Secret ${JSON.stringify(ref.name)} does not exist in namespace ${namespace}`,
        };
      }
      try {
        const creds = awsCredentialsFromSecret(ref.name, data);
        logger.addSecrets([creds.secretAccessKey, creds.sessionToken]);
        client = createEcrClient(settings.ecr, creds);
      } catch (err) {
        return { kind: 'invalid', reason: 'InvalidSecret', message: (err as Error).message };
      }
    }
    const started = process.hrtime.bigint();
    let result: EcrScanResult;
    try {
      result = await (this.options.scan ?? ((ecr, c) => scanEcr(ecr, c ? { client: c } : {})))(
        settings.ecr,
        client,
      );
    } catch (err) {
      return { kind: 'failed', reason: 'ScanFailed', message: logger.redact((err as Error).message) };
    } finally {
      metrics.scanDuration.observe(
        { policy: keyOf(policy) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      (client as { destroy?: () => void } | undefined)?.destroy?.();
    }
    metrics.apiCalls.inc(
      { api: 'ecr', operation: 'DescribeRepositories' },
      result.apiCalls.describeRepositories,
    );
    metrics.apiCalls.inc({ api: 'ecr', operation: 'DescribeImages' }, result.apiCalls.describeImages);
    let selected;
    try {
      selected = selectImages(result.candidates, settings.policy);
    } catch (err) {
      return { kind: 'invalid', reason: 'InvalidSpec', message: (err as Error).message };
    }
    return {
      kind: 'scanned',
      selected,
      repositoriesScanned: result.repositories.length,
      repositoriesMatched: result.repositoriesMatched,
    };
  }
}

function keyOf(policy: ImageResourcePolicy): string {
  return `${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`;
}
