import { gitAuthSecrets } from '../git-auth';
import { listGitFiles } from '../git-tree';
import { writeGitFiles } from '../git-writer';
import { compileTemplate, CompiledTemplate } from '../pipeline/render';
import type { GitAuth, GitFile, GitWriteResult, ResolvedPipelineConfig } from '../pipeline/types';
import { WorkloadIndex } from '../workload-index';
import {
  gitAuthFromSecret,
  resolveResourceConfig,
  toResourceFieldError,
  DEFAULT_POLICY_TTL_DAYS,
} from '../image-resource/policy-config';
import {
  CreationDecision,
  decideCreation,
  expiredImageDetected,
  needsProcessing,
  RESOURCE_CREATED,
  skipReasonName,
  statusFor,
} from '../image-resource/reconcile-creation';
import { findCondition, setCondition } from '../conditions';
import {
  IMAGE_RESOURCE_API,
  ImageDetected,
  ImageResourcePolicy,
  PLURALS,
  refNamespace,
  ResourceTemplate,
} from '../image-resource/resources';
import { ImageResourceKube, managerInformers, workloadSources } from './image-resource-kube';
import type { RunningInformer } from './informer';
import type { ControllerMetrics } from './controller-metrics';
import type { ControllerLogger } from './controller-log';

/**
 * The creation manager (`jobforge controller image-creation`): watches ImageDetected objects;
 * for each batch groups them by policy, resolves the policy + ResourceTemplate through the
 * pipeline's validator (core/image-resource/policy-config.ts), skips images the cluster already
 * runs (by image, or by tag prefix when the policy extracts one) from a workload index kept
 * current by watch events, skips manifests already on the branch, renders the rest and commits
 * them with the Git writer: one commit per Git target per batch, never forced. Status, Events
 * and TTL cleanup follow. The object is marked Processing before the commit, so a leader that
 * dies between push and status leaves a trace the next leader completes without a second commit.
 */

/** Options of {@link ImageCreationManager}. */
export interface ImageCreationManagerOptions {
  readonly kube: ImageResourceKube;
  readonly metrics: ControllerMetrics;
  readonly logger: ControllerLogger;
  /** Wait after a watch event before a batch, to gather what arrives together (ms). @default 1000 */
  readonly debounceMs?: number;
  /** Periodic batch (retries, TTL), in ms. @default 30000 */
  readonly resyncMs?: number;
  /** The Git writer (tests wrap it to pause mid-commit). @default writeGitFiles */
  readonly write?: (
    target: ResolvedPipelineConfig['git'],
    files: readonly GitFile[],
  ) => Promise<GitWriteResult>;
  readonly now?: () => Date;
}

interface Group {
  readonly policyKey: string;
  readonly objects: ImageDetected[];
}

interface ResolvedGroup {
  readonly config: ResolvedPipelineConfig;
  readonly template: CompiledTemplate;
  readonly templateObject: ResourceTemplate;
}

export class ImageCreationManager {
  private detected?: RunningInformer<ImageDetected>;
  private policies?: RunningInformer<ImageResourcePolicy>;
  private templates?: RunningInformer<ResourceTemplate>;
  private readonly workloads: Array<RunningInformer<unknown>> = [];
  /** The cluster's workloads, kept current by watch events. */
  readonly index = new WorkloadIndex();
  /** Failed objects and the configuration they failed with: retried only when it changes. */
  private readonly failedWith = new Map<string, string>();
  private wake?: () => void;
  private dirty = true;
  private readonly now: () => Date;

  constructor(private readonly options: ImageCreationManagerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    const { kube, metrics, logger } = this.options;
    const inform = managerInformers(kube.kubeConfig, metrics, logger);
    const poke = () => this.poke();
    this.detected = inform.customResource<ImageDetected>(PLURALS.ImageDetected, 'ImageDetected', {
      add: poke,
      update: poke,
    });
    this.policies = inform.customResource<ImageResourcePolicy>(
      PLURALS.ImageResourcePolicy,
      'ImageResourcePolicies',
      { update: poke },
    );
    this.templates = inform.customResource<ResourceTemplate>(PLURALS.ResourceTemplate, 'ResourceTemplates', {
      add: poke,
      update: poke,
    });
    for (const source of workloadSources(kube.kubeConfig)) {
      this.workloads.push(
        inform.start(source.path, source.list, `${source.kind}s`, {
          add: (o) => this.index.upsert(source.kind, o),
          update: (o) => this.index.upsert(source.kind, o),
          remove: (o) =>
            this.index.remove(source.kind, o.metadata?.namespace ?? 'default', o.metadata?.name ?? ''),
        }) as RunningInformer<unknown>,
      );
    }
    await Promise.all([
      this.detected.synced,
      this.policies.synced,
      this.templates.synced,
      ...this.workloads.map((w) => w.synced),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.detected, this.policies, this.templates, ...this.workloads].map((i) => i?.stop()),
    );
  }

  private poke(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Leads until `signal` aborts: a batch after watch events (debounced) and every resync. */
  async lead(signal: AbortSignal, guard: () => void = () => {}): Promise<void> {
    const debounce = this.options.debounceMs ?? 1000;
    const resync = this.options.resyncMs ?? 30_000;
    let last = 0;
    while (!signal.aborted) {
      if (this.dirty || Date.now() - last >= resync) {
        this.dirty = false;
        last = Date.now();
        try {
          await this.runBatch(guard);
        } catch (err) {
          this.options.metrics.errors.inc({ reason: 'BatchFailed' });
          this.options.logger.log('error', 'batch failed', { error: (err as Error).message });
        }
      }
      await new Promise<void>((resolve) => {
        let t: NodeJS.Timeout;
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        };
        t = setTimeout(done, this.dirty ? debounce : Math.max(debounce, 250));
        this.wake = () => {
          clearTimeout(t);
          t = setTimeout(done, debounce);
        };
        signal.addEventListener('abort', done, { once: true });
      });
      this.wake = undefined;
    }
  }

  /** One batch: process what needs it, then TTL cleanup. */
  async runBatch(guard: () => void = () => {}): Promise<void> {
    const groups = new Map<string, Group>();
    for (const d of this.detected?.list() ?? []) {
      if (!needsProcessing(d) && d.status?.phase !== 'Failed') continue;
      const ns = refNamespace(d.spec.sourcePolicy ?? {}, d.metadata);
      const policyKey = `${ns}/${d.spec.sourcePolicy?.name}`;
      let g = groups.get(policyKey);
      if (!g) groups.set(policyKey, (g = { policyKey, objects: [] }));
      g.objects.push(d);
    }
    // One Git write per target: groups of different policies sharing a target commit together.
    const writes = new Map<
      string,
      { config: ResolvedPipelineConfig; items: Array<{ d: ImageDetected; decision: CreationDecision }> }
    >();
    for (const group of groups.values()) {
      const resolved = await this.resolveGroup(group);
      if ('error' in resolved) {
        await this.failGroup(group, resolved.reason, resolved.error, resolved.configKey, resolved.target);
        continue;
      }
      const key = resolved.configKey;
      const todo = group.objects.filter((d) => needsProcessing(d) || this.failedWith.get(idOf(d)) !== key);
      if (todo.length === 0) continue;
      const gitKey = JSON.stringify([
        resolved.config.git.url,
        resolved.config.git.branch,
        resolved.config.git.path,
      ]);
      let filesInGit: Set<string>;
      try {
        filesInGit = new Set(await listGitFiles(resolved.config.git));
        this.options.metrics.apiCalls.inc({ api: 'git', operation: 'fetch' });
      } catch (err) {
        await this.failGroup(
          group,
          'GitReadFailed',
          this.options.logger.redact((err as Error).message),
          undefined,
          { kind: 'ResourceTemplate', metadata: resolved.templateObject.metadata },
          true,
        );
        continue;
      }
      const decisions = decideCreation(todo, {
        template: resolved.template,
        gitPath: resolved.config.git.path,
        filesInGit,
        index: this.index,
      });
      for (const d of todo) {
        const decision = decisions.get(d.metadata.name)!;
        if (decision.kind === 'create') {
          let w = writes.get(gitKey);
          if (!w) writes.set(gitKey, (w = { config: resolved.config, items: [] }));
          w.items.push({ d, decision });
          continue;
        }
        guard();
        if (decision.kind === 'fail') this.failedWith.set(idOf(d), key);
        else this.failedWith.delete(idOf(d));
        await this.finish(d, decision, resolved.templateObject);
      }
    }
    for (const w of writes.values()) await this.commit(w.config, w.items, guard);
    await this.cleanup(guard);
  }

  private async resolveGroup(group: Group): Promise<
    | (ResolvedGroup & { configKey: string })
    | {
        error: string;
        reason: string;
        configKey: string;
        target?: { kind: string; metadata: ResourceTemplate['metadata'] };
      }
  > {
    const { kube, logger } = this.options;
    const [ns, name] = splitKey(group.policyKey);
    const policy = this.policies?.get(name, ns);
    if (!policy) {
      return {
        reason: 'PolicyNotFound',
        error: `'spec.sourcePolicy' ImageResourcePolicy ${group.policyKey} does not exist`,
        configKey: `missing-policy`,
      };
    }
    const ref = policy.spec.templateRef;
    const tns = refNamespace(ref ?? {}, policy.metadata);
    const template = ref?.name ? this.templates?.get(ref.name, tns) : undefined;
    const policyTarget = { kind: 'ImageResourcePolicy', metadata: policy.metadata };
    if (!template) {
      return {
        reason: 'TemplateNotFound',
        error: `'spec.templateRef' ResourceTemplate ${tns}/${ref?.name} does not exist`,
        configKey: `missing-template:${policy.metadata.generation}`,
        target: policyTarget,
      };
    }
    const templateTarget = { kind: 'ResourceTemplate', metadata: template.metadata };
    const baseKey = `${policy.metadata.generation}:${template.metadata.resourceVersion}`;
    let auth: GitAuth | undefined;
    const secretRef = template.spec?.gitRepository?.secretRef;
    if (secretRef?.name) {
      const data = await kube.secretData(tns, secretRef.name);
      if (data === undefined) {
        return {
          reason: 'SecretNotFound',
          error: `'spec.gitRepository.secretRef' Secret ${JSON.stringify(secretRef.name)} does not exist in namespace ${tns}`,
          configKey: `${baseKey}:missing-secret`,
          target: templateTarget,
        };
      }
      try {
        auth = gitAuthFromSecret(secretRef.name, data);
        logger.addSecrets(gitAuthSecrets(auth));
      } catch (err) {
        return {
          reason: 'InvalidSecret',
          error: (err as Error).message,
          configKey: `${baseKey}:bad-secret`,
          target: templateTarget,
        };
      }
    }
    try {
      const config = resolveResourceConfig(policy.spec, template.spec, auth);
      let compiled: CompiledTemplate;
      try {
        compiled = compileTemplate(config.template);
      } catch (err) {
        throw toResourceFieldError(err);
      }
      return { config, template: compiled, templateObject: template, configKey: baseKey };
    } catch (err) {
      return {
        reason: 'InvalidTemplate',
        error: (err as Error).message,
        configKey: baseKey,
        target: templateTarget,
      };
    }
  }

  /** Marks every object of a group Failed (once per configuration) with an Event on each and on the target. */
  private async failGroup(
    group: Group,
    reason: string,
    message: string,
    configKey: string | undefined,
    target?: { kind: string; metadata: ResourceTemplate['metadata'] },
    transient = false,
  ): Promise<void> {
    const { metrics, logger } = this.options;
    metrics.errors.inc({ reason });
    let changed = false;
    for (const d of group.objects) {
      const id = idOf(d);
      if (
        !transient &&
        configKey !== undefined &&
        this.failedWith.get(id) === configKey &&
        d.status?.phase === 'Failed'
      )
        continue;
      if (!transient && configKey !== undefined) this.failedWith.set(id, configKey);
      changed = true;
      const status = transient
        ? {
            ...(d.status ?? {}),
            conditions: setCondition(
              d.status?.conditions,
              { type: RESOURCE_CREATED, status: 'False', reason, message },
              d.metadata.generation,
              this.now(),
            ),
          }
        : statusFor(d, { kind: 'fail', reason, message }, this.now());
      await this.patch(d, status);
      await this.event(d, 'ImageDetected', 'Warning', reason, message);
    }
    if (changed) {
      logger.log('warn', 'images not processed', { policy: group.policyKey, reason, message });
      if (target) await this.event(target, target.kind, 'Warning', reason, message);
    }
  }

  private async finish(
    d: ImageDetected,
    decision: CreationDecision,
    template: ResourceTemplate,
  ): Promise<void> {
    const { metrics, logger } = this.options;
    const status = statusFor(d, decision, this.now());
    const old = findCondition(d.status?.conditions, RESOURCE_CREATED);
    const cond = findCondition(status.conditions, RESOURCE_CREATED);
    if (d.status?.phase === status.phase && old?.reason === cond?.reason && old?.message === cond?.message)
      return;
    await this.patch(d, status);
    if (decision.kind === 'skip') {
      metrics.skips.inc({ reason: decision.reasonCode });
      await this.event(d, 'ImageDetected', 'Normal', skipReasonName(decision.reasonCode), decision.reason);
    } else if (decision.kind === 'fail') {
      metrics.errors.inc({ reason: decision.reason });
      await this.event(d, 'ImageDetected', 'Warning', decision.reason, decision.message);
      await this.event(template, 'ResourceTemplate', 'Warning', decision.reason, decision.message);
    } else if (decision.kind === 'committed-earlier') {
      await this.event(d, 'ImageDetected', 'Normal', 'Committed', cond?.message ?? '');
    }
    logger.log('info', 'image processed', {
      image: d.spec.fullImageName,
      phase: status.phase,
      reason: cond?.reason,
    });
  }

  private async commit(
    config: ResolvedPipelineConfig,
    items: Array<{ d: ImageDetected; decision: CreationDecision }>,
    guard: () => void,
  ): Promise<void> {
    const { metrics, logger } = this.options;
    // Processing first: a leader that dies after the push leaves this trace for the next one.
    for (const { d } of items) {
      if (d.status?.phase !== 'Processing') {
        guard();
        await this.patch(d, { ...(d.status ?? {}), phase: 'Processing' });
      }
    }
    const files = items.map(({ decision }) => (decision as { manifest: GitFile }).manifest);
    guard();
    let result: GitWriteResult;
    try {
      result = await (this.options.write ?? ((git, f) => writeGitFiles(git, f, { mode: 'add-only' })))(
        config.git,
        files,
      );
    } catch (err) {
      const message = logger.redact((err as Error).message);
      metrics.errors.inc({ reason: 'GitWriteFailed' });
      logger.log('error', 'git write failed; retried at the next batch', { error: message });
      for (const { d } of items) {
        await this.patch(d, {
          ...(d.status ?? {}),
          phase: 'Processing',
          conditions: setCondition(
            d.status?.conditions,
            { type: RESOURCE_CREATED, status: 'False', reason: 'GitWriteFailed', message },
            d.metadata.generation,
            this.now(),
          ),
        });
      }
      return;
    }
    metrics.apiCalls.inc({ api: 'git', operation: 'push' });
    if (result.commitSha) metrics.commits.inc();
    logger.log('info', 'committed', {
      commit: result.commitSha,
      files: result.written,
      unchanged: result.unchanged,
      url: config.git.url,
    });
    for (const { d, decision } of items) {
      const status = statusFor(d, decision, this.now(), result.commitSha);
      this.failedWith.delete(idOf(d));
      await this.patch(d, status);
      const cond = findCondition(status.conditions, RESOURCE_CREATED);
      await this.event(d, 'ImageDetected', 'Normal', 'Committed', cond?.message ?? '');
    }
  }

  /** Deletes ImageDetected objects past their policy's ttlDays. */
  private async cleanup(guard: () => void): Promise<void> {
    const policyOf = (d: ImageDetected) =>
      this.policies?.get(
        d.spec.sourcePolicy?.name ?? '',
        refNamespace(d.spec.sourcePolicy ?? {}, d.metadata),
      );
    const ttlOf = (d: ImageDetected): number => policyOf(d)?.spec.ttlDays ?? DEFAULT_POLICY_TTL_DAYS;
    for (const d of expiredImageDetected(this.detected?.list() ?? [], ttlOf, this.now())) {
      guard();
      await this.options.kube.remove(
        PLURALS.ImageDetected,
        d.metadata.namespace ?? 'default',
        d.metadata.name,
        d.metadata.uid,
      );
      const ttlDays = ttlOf(d);
      this.options.logger.log('info', 'ImageDetected expired', { name: d.metadata.name, ttlDays });
      const policy = policyOf(d);
      if (policy) {
        await this.event(
          { metadata: policy.metadata },
          'ImageResourcePolicy',
          'Normal',
          'Expired',
          `ImageDetected ${d.metadata.name} (${d.spec.fullImageName}) removed after ${ttlDays} day(s)`,
        );
      }
    }
  }

  private async patch(d: ImageDetected, status: object): Promise<void> {
    try {
      await this.options.kube.patchStatus(
        PLURALS.ImageDetected,
        d.metadata.namespace ?? 'default',
        d.metadata.name,
        status,
      );
    } catch (err) {
      this.options.logger.log('warn', 'could not write ImageDetected status', {
        name: d.metadata.name,
        error: (err as Error).message,
      });
    }
  }

  private async event(
    target: { metadata: ImageDetected['metadata'] },
    kind: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    await this.options.kube
      .event({ apiVersion: IMAGE_RESOURCE_API, kind, metadata: target.metadata }, type, reason, message)
      .catch((err: unknown) =>
        this.options.logger.log('warn', 'could not record an Event', { error: (err as Error).message }),
      );
  }
}

/** The key of an ImageDetected in {@link ImageCreationManager}'s failure memory. */
function idOf(d: ImageDetected): string {
  return d.metadata.uid ?? d.metadata.name;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
