import { gitAuthSecrets, redactUrl } from '../git-auth';
import { listGitFiles } from '../git-tree';
import { writeGitFiles } from '../git-writer';
import { applyPlan, planPipeline } from '../pipeline/plan';
import type { DetectedRecord, PipelineIo, PipelineOutputs, PipelinePlan } from '../pipeline/plan';
import { pipelineStages, tagPrefixOfPolicy } from '../pipeline/stages';
import type { GitAuth, ImagePipelineConfig, ResolvedPipelineConfig } from '../pipeline/types';
import { kubeWorkloadLister, WorkloadIndexCache } from '../workload-index';
import { scanEcr } from './ecr';

/**
 * The image pipeline with its real I/O edges: ECR (./ecr.ts), the cluster's workload index,
 * the Git branch's tree and the Git writer. One image, from ECR to a Git commit:
 *
 * ```
 * planPipelineRun / runPipelineRun (here)
 *   → validatePipelineConfig (../pipeline/validate.ts, the one schema + compiled checks)
 *   → scanEcr (./ecr.ts)                 candidates
 *   → selectImages (../pipeline/select.ts) detected images (+ tag prefix)
 *   → render (../pipeline/render.ts)     manifests
 *   → dedup: workload index (../workload-index.ts) + Git tree (../git-tree.ts)
 *   → applyPlan (../pipeline/plan.ts) → writeGitFiles (../git-writer.ts): one commit
 * ```
 *
 * Every driver (the Pulumi provider, `jobforge pipeline-plan`) calls these; none composes the
 * stages itself.
 */

/** Options of {@link planPipelineRun} and {@link runPipelineRun}. */
export interface PipelineRunOptions {
  /** The records of the previous run. @default [] */
  readonly previous?: readonly DetectedRecord[];
  /** The Git credentials, resolved on first use (a run that never reaches Git reads none). */
  readonly gitAuth?: () => GitAuth | undefined;
  /** Credentials read during the run are pushed here, so that callers redact them from errors. */
  readonly secrets?: string[];
}

/** Workload indexes survive between runs of one process (a `pulumi up` calls diff, then update). */
const indexCaches = new Map<string, WorkloadIndexCache>();

/** The real I/O edges of a run of `config`. */
export function pipelineIo(config: ImagePipelineConfig, options: PipelineRunOptions = {}): PipelineIo {
  let auth: GitAuth | undefined;
  let resolved = false;
  const gitAuth = (): GitAuth | undefined => {
    if (!resolved && options.gitAuth) {
      auth = options.gitAuth();
      resolved = true;
      if (auth) options.secrets?.push(...gitAuthSecrets(auth));
    }
    return auth;
  };
  const withAuth = (git: ResolvedPipelineConfig['git']): ResolvedPipelineConfig['git'] => {
    const a = gitAuth();
    return a ? { ...git, auth: a } : git;
  };
  return {
    scan: (ecr) => scanEcr(ecr),
    async workloadIndex(dedup) {
      const key = JSON.stringify([dedup.kubeconfig ?? '', dedup.cacheTtlSeconds, config.policy]);
      let cache = indexCaches.get(key);
      if (!cache) {
        cache = new WorkloadIndexCache(kubeWorkloadLister(dedup.kubeconfig), {
          cacheTtlSeconds: dedup.cacheTtlSeconds,
          tagPrefixOf: tagPrefixOfPolicy(config.policy),
        });
        indexCaches.set(key, cache);
      }
      const got = await cache.get();
      return { index: got.index, apiCalls: got.apiCalls };
    },
    listGitFiles: async (git) => new Set(await listGitFiles(withAuth(git))),
    writeGitFiles: (git, files) => writeGitFiles(withAuth(git), files, { mode: 'add-only' }),
  };
}

/** Plans a run with the real stages and I/O, writing nothing: what a run would commit and skip. */
export function planPipelineRun(
  config: ImagePipelineConfig,
  options: PipelineRunOptions = {},
  io: PipelineIo = pipelineIo(config, options),
): Promise<PipelinePlan> {
  return planPipeline(config, pipelineStages(), io, { previous: options.previous ?? [] });
}

/**
 * Runs the pipeline: plan (unless given `plan`, made by {@link planPipelineRun} of the same
 * config and previous records), then one Git commit when there is anything new.
 */
export async function runPipelineRun(
  config: ImagePipelineConfig,
  options: PipelineRunOptions = {},
  plan?: PipelinePlan,
): Promise<PipelineOutputs> {
  const io = pipelineIo(config, options);
  return applyPlan(plan ?? (await planPipelineRun(config, options, io)), io);
}

/**
 * Runs `body` with a fresh list for {@link PipelineRunOptions.secrets}; an error leaves as
 * `<label>: <message>` with every credential read during the run and URL credentials redacted.
 */
export async function withRedactedErrors<T>(
  label: string,
  body: (secrets: string[]) => Promise<T>,
): Promise<T> {
  const secrets: string[] = [];
  try {
    return await body(secrets);
  } catch (err) {
    let message = (err as Error)?.message ?? String(err);
    for (const s of secrets) if (s.length >= 4) message = message.split(s).join('***');
    throw new Error(`${label}: ${redactUrl(message)}`);
  }
}
