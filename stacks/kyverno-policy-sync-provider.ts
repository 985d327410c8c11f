/**
 * The implementation of the KyvernoPolicySyncResource dynamic provider. Loaded with require()
 * INSIDE the provider process (see stacks/kyverno-policy-sync.ts): the Kubernetes client and the
 * Insights source are created here at call time from plain inputs, and the Insights token is
 * read here from the environment (or the stack's Pulumi config), never from inputs.
 */
import type * as pulumi from '@pulumi/pulumi';
import { directoryPolicySource } from '../core/policy-sync/directory-source';
import { insightsPolicySource, maskUrlCredentials } from '../core/policy-sync/insights-source';
import { PolicySource } from '../core/policy-sync/policy-source';
import { syncKyvernoPolicies } from '../core/policy-sync/sync-kyverno-policies';
import { PolicySyncResult, summaryText } from '../core/policy-sync/sync-summary';
import { jsonLineLogger, parseLogLevel } from '../core/policy-sync/sync-logger';
import type { KyvernoPolicySyncInputs, KyvernoPolicySyncOutputs } from './kyverno-policy-sync';

let stackConfig: { get(key: string): string | undefined } | undefined;

/** Keeps the stack config Pulumi hands the provider, for `insights.tokenConfig`. */
export function configure(config: { get(key: string): string | undefined }): void {
  stackConfig = config;
}

const INPUT_KEYS: (keyof KyvernoPolicySyncInputs)[] = [
  'insights',
  'policyDirectory',
  'kubeconfig',
  'ownership',
  'validate',
  'maxRemovals',
  'maxRemovalRatio',
  'force',
  'allowEmptySource',
  'lockNamespace',
  'lockName',
  'lockTimeoutSeconds',
  'fieldManager',
  'removeOnDelete',
];

/** Validates the inputs; every problem is reported on its property. */
export async function check(
  _olds: KyvernoPolicySyncInputs,
  news: KyvernoPolicySyncInputs,
): Promise<pulumi.dynamic.CheckResult<KyvernoPolicySyncInputs>> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const hasInsights = news.insights !== undefined;
  const hasDir = news.policyDirectory !== undefined;
  if (hasInsights === hasDir) {
    failures.push({
      property: hasInsights ? 'policyDirectory' : 'insights',
      reason: `exactly one of 'insights' and 'policyDirectory' is required, got ${hasInsights ? 'both' : 'neither'}`,
    });
  }
  if (news.insights !== undefined) {
    for (const f of ['host', 'organization', 'cluster'] as const) {
      const v = news.insights[f];
      if (typeof v !== 'string' || v.trim() === '') {
        failures.push({
          property: 'insights',
          reason: `'insights.${f}' is required, got ${JSON.stringify(v)}`,
        });
      }
    }
    if (
      typeof news.insights.host === 'string' &&
      /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(news.insights.host)
    ) {
      failures.push({
        property: 'insights',
        reason: `'insights.host' must not contain credentials (user:password@; they would be stored in the state), got ${JSON.stringify(maskUrlCredentials(news.insights.host))}`,
      });
    }
    if ('token' in (news.insights as object)) {
      failures.push({
        property: 'insights',
        reason:
          "'insights.token' is not accepted: a token in inputs is stored in the state; set tokenEnv or tokenConfig",
      });
    }
  }
  if (news.maxRemovals !== undefined && (!Number.isInteger(news.maxRemovals) || news.maxRemovals < 0)) {
    failures.push({
      property: 'maxRemovals',
      reason: `'maxRemovals' must be a non-negative integer, got ${news.maxRemovals}`,
    });
  }
  if (
    news.maxRemovalRatio !== undefined &&
    (typeof news.maxRemovalRatio !== 'number' || !(news.maxRemovalRatio >= 0 && news.maxRemovalRatio <= 1))
  ) {
    failures.push({
      property: 'maxRemovalRatio',
      reason: `'maxRemovalRatio' must be a number from 0 to 1, got ${news.maxRemovalRatio}`,
    });
  }
  const maxBytes = news.insights?.maxResponseBytes;
  if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 1)) {
    failures.push({
      property: 'insights',
      reason: `'insights.maxResponseBytes' must be a positive integer, got ${maxBytes}`,
    });
  }
  if (
    news.lockTimeoutSeconds !== undefined &&
    (!Number.isInteger(news.lockTimeoutSeconds) || news.lockTimeoutSeconds < 1)
  ) {
    failures.push({
      property: 'lockTimeoutSeconds',
      reason: `'lockTimeoutSeconds' must be a positive integer, got ${news.lockTimeoutSeconds}`,
    });
  }
  return { inputs: news, failures };
}

function tokenFor(inputs: KyvernoPolicySyncInputs): string {
  const ins = inputs.insights!;
  if (ins.tokenConfig) {
    const v =
      stackConfig?.get(ins.tokenConfig) ??
      stackConfig?.get(`${process.env.PULUMI_PROJECT ?? ''}:${ins.tokenConfig}`);
    if (v) return v;
    throw new Error(
      `the Insights token is not set: Pulumi config '${ins.tokenConfig}' is empty (pulumi config set --secret ${ins.tokenConfig} ...)`,
    );
  }
  const env = ins.tokenEnv ?? 'FAIRWINDS_TOKEN';
  const v = process.env[env];
  if (!v)
    throw new Error(
      `the Insights token is not set: environment variable ${env} of the pulumi process is empty`,
    );
  return v;
}

function sourceFor(inputs: KyvernoPolicySyncInputs): PolicySource {
  if (inputs.policyDirectory !== undefined) return directoryPolicySource(inputs.policyDirectory);
  const ins = inputs.insights!;
  return insightsPolicySource({
    host: ins.host,
    organization: ins.organization,
    cluster: ins.cluster,
    token: tokenFor(inputs),
    maxResponseBytes: ins.maxResponseBytes,
  });
}

async function run(
  inputs: KyvernoPolicySyncInputs,
  opts: { dryRun: boolean; source?: PolicySource; force?: boolean; allowEmptySource?: boolean },
): Promise<PolicySyncResult> {
  return syncKyvernoPolicies({
    source: opts.source ?? sourceFor(inputs),
    kubeconfig: inputs.kubeconfig || undefined,
    ownership: inputs.ownership,
    dryRun: opts.dryRun,
    validate: inputs.validate ?? true,
    maxRemovals: inputs.maxRemovals,
    maxRemovalRatio: inputs.maxRemovalRatio,
    force: opts.force ?? inputs.force ?? false,
    allowEmptySource: opts.allowEmptySource ?? inputs.allowEmptySource ?? false,
    lock: {
      namespace: inputs.lockNamespace,
      name: inputs.lockName,
      timeoutMs: (inputs.lockTimeoutSeconds ?? 1800) * 1000,
    },
    fieldManager: inputs.fieldManager,
    logger: jsonLineLogger(parseLogLevel(process.env.LOG_LEVEL, 'warn'), (l) => process.stderr.write(l)),
  });
}

function outputs(inputs: KyvernoPolicySyncInputs, r: PolicySyncResult): KyvernoPolicySyncOutputs {
  const outs: Record<string, unknown> = {};
  for (const k of INPUT_KEYS) if (inputs[k] !== undefined) outs[k] = inputs[k];
  return {
    ...(outs as KyvernoPolicySyncInputs),
    applied: [...r.applied],
    updated: [...r.updated],
    removed: [...r.removed],
    unchanged: r.unchanged.length,
    conflicts: [...r.conflicts],
    summary: summaryText(r),
    syncedAt: new Date().toISOString(),
  };
}

async function syncOrThrow(inputs: KyvernoPolicySyncInputs): Promise<KyvernoPolicySyncOutputs> {
  const r = await run(inputs, { dryRun: false });
  if (!r.success) throw new Error(`Kyverno policy sync failed: ${summaryText(r)}: ${r.errors.join('; ')}`);
  return outputs(inputs, r);
}

/**
 * Changed inputs are a change. With the same inputs, a dry-run sync decides: anything to apply,
 * update or remove (drift in the cluster, or new policies in Insights) is a change, so each
 * `pulumi up` converges and a converged stack shows no diff. A failing dry run is a change too,
 * so that the update reports the error.
 */
export async function diff(
  _id: string,
  olds: KyvernoPolicySyncOutputs,
  news: KyvernoPolicySyncInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const changed = INPUT_KEYS.filter(
    (k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
  );
  if (changed.length > 0) return { changes: true, replaces: [], deleteBeforeReplace: false };
  try {
    const r = await run(news, { dryRun: true });
    return { changes: !r.success || r.applied.length + r.updated.length + r.removed.length > 0 };
  } catch {
    return { changes: true };
  }
}

export async function create(
  inputs: KyvernoPolicySyncInputs,
): Promise<pulumi.dynamic.CreateResult<KyvernoPolicySyncOutputs>> {
  const outs = await syncOrThrow(inputs);
  const key = inputs.insights
    ? `${inputs.insights.organization}/${inputs.insights.cluster}`
    : inputs.policyDirectory!;
  return { id: `kyverno-policy-sync:${key}`, outs };
}

export async function update(
  _id: string,
  _olds: KyvernoPolicySyncOutputs,
  news: KyvernoPolicySyncInputs,
): Promise<pulumi.dynamic.UpdateResult<KyvernoPolicySyncOutputs>> {
  return { outs: await syncOrThrow(news) };
}

/** Deleting the resource leaves the policies, unless `removeOnDelete`: then every owned policy is removed. */
export async function remove(_id: string, props: KyvernoPolicySyncOutputs): Promise<void> {
  if (!props.removeOnDelete) return;
  const nothing: PolicySource = { description: 'no policies (resource deleted)', fetchYaml: async () => [] };
  const r = await run(props, { dryRun: false, source: nothing, force: true, allowEmptySource: true });
  if (!r.success)
    throw new Error(`removing the synced Kyverno policies failed: ${summaryText(r)}: ${r.errors.join('; ')}`);
}
