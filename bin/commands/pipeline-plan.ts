import * as fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { checkAuthSource, resolveGitAuth } from '../../core/io/git-credentials';
import { planPipelineRun, withRedactedErrors } from '../../core/io/pipeline-run';
import { parseWithSchema, pipelineSchema } from '../../core/pipeline/schema';
import type { ImagePipelineStackConfig } from '../../core/pipeline/schema';

/**
 * `jobforge pipeline-plan`: a dry run of the image pipeline from the same configuration the
 * Pulumi program reads (a `Pulumi.<stack>.yaml`, or a YAML/JSON file holding just the
 * configuration object). It scans ECR, reads the cluster and the Git branch, and prints what a
 * `pulumi up` would commit and skip, as JSON. It writes nothing. Credentials come from the
 * environment, as at `pulumi up`.
 */

/** The summary printed by `jobforge pipeline-plan`. */
export interface PipelinePlanSummary {
  readonly detected: string[];
  readonly wouldCreate: string[];
  readonly skipped: Array<{ image: string; file: string; reasonCode: string; reason: string }>;
  readonly apiCalls: {
    ecr: { describeRepositories: number; describeImages: number; total: number };
    kubernetes: number;
  };
  readonly repositoriesScanned: number;
  readonly repositoriesMatched: number;
}

/**
 * Reads the pipeline configuration from `file`: `config[key]` of a Pulumi stack file, or the
 * whole file; checked against the one pipeline schema (the stack config form).
 */
export function readPipelineConfigFile(
  file: string,
  key = 'jobforge:imagePipeline',
): ImagePipelineStackConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`'--config' cannot be read, got ${JSON.stringify(file)}`);
  }
  const doc = parseYaml(text) as Record<string, unknown> | null;
  const fromStack = (doc?.config as Record<string, unknown> | undefined)?.[key];
  const value = (fromStack ?? doc) as ImagePipelineStackConfig | null;
  if (value === null || typeof value !== 'object' || !('ecr' in value) || !('git' in value)) {
    throw new Error(
      `'--config' must hold the pipeline configuration (ecr, policy, template, git) or a Pulumi stack file with config.${key}, got ${JSON.stringify(file)}`,
    );
  }
  // The one pipeline schema (as the Pulumi stack config reader): shapes, limits, enums, defaults.
  parseWithSchema(pipelineSchema().stackConfig, value, fromStack !== undefined ? key : 'config');
  return value;
}

/** Plans the pipeline of `config` with the core's real I/O (core/io/pipeline-run.ts) and returns the summary. */
export async function planPipelineFromConfig(config: ImagePipelineStackConfig): Promise<PipelinePlanSummary> {
  const { auth, ...git } = config.git;
  checkAuthSource(auth ?? null);
  const plan = await withRedactedErrors('image pipeline', (secrets) =>
    planPipelineRun({ ...config, git }, { secrets, gitAuth: auth ? () => resolveGitAuth(auth) : undefined }),
  );
  return {
    detected: plan.detected.map((d) => d.fullImageName),
    wouldCreate: plan.toCreate.map((c) => c.file),
    skipped: plan.skipped.map((s) => ({
      image: s.fullImageName,
      file: s.file,
      reasonCode: s.reasonCode,
      reason: s.reason,
    })),
    apiCalls: plan.apiCalls,
    repositoriesScanned: plan.repositoriesScanned,
    repositoriesMatched: plan.repositoriesMatched,
  };
}

export function registerPipelinePlan(program: Command): void {
  program
    .command('pipeline-plan')
    .description(
      'Dry run of the image pipeline: what `pulumi up` would commit and skip now (JSON). Writes nothing.',
    )
    .requiredOption(
      '-c, --config <file>',
      'Pulumi.<stack>.yaml (reads config.<key>) or a file with the configuration object',
    )
    .option('-k, --key <key>', 'the stack config key', 'jobforge:imagePipeline')
    .action(async (opts: { config: string; key: string }) => {
      const summary = await planPipelineFromConfig(readPipelineConfigFile(opts.config, opts.key));
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });
}
