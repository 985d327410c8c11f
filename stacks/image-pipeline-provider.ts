/**
 * The implementation of the ImagePipeline dynamic provider: a thin adapter from resource inputs
 * to the pipeline in core (core/io/pipeline-run.ts). This module is loaded with require() INSIDE
 * the provider process (see stacks/image-pipeline.ts), so every client (ECR, Kubernetes, git) is
 * created at call time, from plain inputs. Credentials are read from the environment or the
 * stack's Pulumi config (core/io/git-credentials.ts), never taken from inputs.
 */
import * as crypto from 'node:crypto';
import * as nodePath from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import type { ImagePipelineConfig, TemplateFunction } from '../core/pipeline/types';
import { planChangesState } from '../core/pipeline/plan';
import type { DetectedRecord, PipelinePlan } from '../core/pipeline/plan';
import { validatePipelineConfig } from '../core/pipeline/validate';
import { redactUrl } from '../core/git-auth';
import { checkAuthSource, resolveGitAuth } from '../core/io/git-credentials';
import { planPipelineRun, runPipelineRun, withRedactedErrors } from '../core/io/pipeline-run';
import type { PipelineRunOptions } from '../core/io/pipeline-run';
import type { ImagePipelineRunInputs, ImagePipelineRunOutputs } from './image-pipeline';

/** The stack config the provider was configured with (Pulumi calls `configure` once per process). */
let stackConfig: { get(key: string): string | undefined } | undefined;

export function configure(config: { get(key: string): string | undefined }): void {
  stackConfig = config;
}

/** Validates the inputs before anything runs: every config error is reported on `config`. */
export async function check(
  _olds: ImagePipelineRunInputs,
  news: ImagePipelineRunInputs,
): Promise<pulumi.dynamic.CheckResult<ImagePipelineRunInputs>> {
  // During a preview, values computed by other resources are not known yet: check them at up.
  if (hasUnknowns(news)) return { inputs: news };
  try {
    validatePipelineConfig(toPipelineConfig(news, () => []));
    checkKubeconfigInput(news);
    checkAuthSource(news.gitAuth);
  } catch (err) {
    return { inputs: news, failures: [{ property: 'config', reason: (err as Error).message }] };
  }
  return { inputs: news };
}

/**
 * Changes when the inputs changed, or when a run now would commit a manifest or change the
 * detected-image records (a new image, an image skipped for a new reason, a TTL expiry).
 * Reads ECR, the cluster and the Git branch; writes nothing.
 */
export async function diff(
  _id: string,
  olds: ImagePipelineRunOutputs,
  news: ImagePipelineRunInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const inputsChanged =
    stableJson(news.config) !== stableJson(olds.config) ||
    stableJson(news.gitAuth) !== stableJson(olds.gitAuth) ||
    stableJson(news.templateFn) !== stableJson(olds.templateFn);
  if (inputsChanged || hasUnknowns(news)) return { changes: true };
  return guard(news, async (secrets) => {
    const previous = olds.detected ?? [];
    const plan = await planPipelineRun(toPipelineConfig(news), runOptions(news, secrets, previous));
    const changes = planChangesState(plan, previous);
    lastDiffPlan = changes ? { key: planKey(news, previous), plan } : undefined;
    return { changes };
  });
}

/**
 * The plan of the last `diff` that found changes, for the `update` Pulumi calls right after it
 * in the same provider process: one `pulumi up` scans ECR and lists the Git branch once (as the
 * workload index is built once). Taken at most once, and only for the same inputs and records.
 */
let lastDiffPlan: { readonly key: string; readonly plan: PipelinePlan } | undefined;

function planKey(inputs: ImagePipelineRunInputs, previous: readonly DetectedRecord[]): string {
  return stableJson([inputs, previous]);
}

export async function create(
  inputs: ImagePipelineRunInputs,
): Promise<pulumi.dynamic.CreateResult<ImagePipelineRunOutputs>> {
  const outs = await run(inputs, []);
  return { id: pipelineId(inputs), outs };
}

export async function update(
  _id: string,
  olds: ImagePipelineRunOutputs,
  news: ImagePipelineRunInputs,
): Promise<pulumi.dynamic.UpdateResult<ImagePipelineRunOutputs>> {
  return { outs: await run(news, olds.detected ?? []) };
}

/**
 * `pulumi destroy`: the records leave with the stack's state. The manifests stay in Git and no
 * history is rewritten (remove them with a normal commit if wanted).
 */
export async function remove(_id: string, _props: ImagePipelineRunOutputs): Promise<void> {
  return;
}

async function run(
  inputs: ImagePipelineRunInputs,
  previous: DetectedRecord[],
): Promise<ImagePipelineRunOutputs> {
  const planned = lastDiffPlan?.key === planKey(inputs, previous) ? lastDiffPlan.plan : undefined;
  lastDiffPlan = undefined;
  return guard(inputs, async (secrets) => {
    const config = toPipelineConfig(inputs);
    const outputs = await runPipelineRun(config, runOptions(inputs, secrets, previous), planned);
    return jsonSafe({ ...inputs, ...outputs });
  });
}

// ---------------------------------------------------------------------------------------------

/** The previous records and the Git credentials (from the env or the stack config) of a run. */
function runOptions(
  inputs: ImagePipelineRunInputs,
  secrets: string[],
  previous: readonly DetectedRecord[],
): PipelineRunOptions {
  const source = inputs.gitAuth;
  return {
    previous,
    secrets,
    gitAuth: source ? () => resolveGitAuth(source, (key) => stackConfig?.get(key)) : undefined,
  };
}

/** The pipeline configuration the core takes, from the resource inputs. */
export function toPipelineConfig(inputs: ImagePipelineRunInputs, fn?: TemplateFunction): ImagePipelineConfig {
  const c = inputs.config;
  const templateFn = inputs.templateFn ? (fn ?? loadTemplateFunction(inputs.templateFn)) : undefined;
  return {
    ecr: c.ecr,
    policy: c.policy,
    template: templateFn ? { ...c.template, fn: templateFn } : c.template,
    git: c.git,
    ...(c.dedup ? { dedup: c.dedup } : {}),
    ...(c.ttlDays !== undefined ? { ttlDays: c.ttlDays } : {}),
  };
}

const loadedTemplates = new Map<string, TemplateFunction>();

/** Rebuilds a template function serialized by Pulumi's closure serialization. */
export function loadTemplateFunction(serialized: { text: string; exportName: string }): TemplateFunction {
  const cached = loadedTemplates.get(serialized.text);
  if (cached) return cached;
  const Module = require('node:module') as {
    new (id: string, parent?: NodeModule): NodeModule & { _compile(code: string, filename: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const filename = nodePath.join(__dirname, `__template_fn_${sha(serialized.text).slice(0, 12)}.js`);
  const m = new Module(filename, module);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(__dirname);
  m._compile(serialized.text, filename);
  const fn = (m.exports as Record<string, unknown>)[serialized.exportName];
  if (typeof fn !== 'function') {
    throw new Error(`'template.fn' did not deserialize to a function, got ${typeof fn}`);
  }
  loadedTemplates.set(serialized.text, fn as TemplateFunction);
  return fn as TemplateFunction;
}

// ---------------------------------------------------------------------------------------------
// Credentials: read here, at call time; redacted from every error.
// ---------------------------------------------------------------------------------------------

function checkKubeconfigInput(inputs: ImagePipelineRunInputs): void {
  const kc = inputs.config.dedup?.kubeconfig;
  if (kc !== undefined && kc.includes('\n')) {
    throw new Error(
      `'dedup.kubeconfig' must be a file path: kubeconfig content holds credentials and is not stored in the stack, got content of ${kc.length} characters`,
    );
  }
}

/** Runs `body`; any error leaves with every credential redacted. */
function guard<T>(inputs: ImagePipelineRunInputs, body: (secrets: string[]) => Promise<T>): Promise<T> {
  return withRedactedErrors(`image pipeline ${pipelineId(inputs)}`, body);
}

function pipelineId(inputs: ImagePipelineRunInputs): string {
  const g = inputs.config.git;
  return `imagepipeline-${sha(`${redactUrl(g.url)}#${g.branch ?? 'main'}:${g.path ?? ''}`).slice(0, 12)}`;
}

function sha(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** Pulumi's placeholder for a value not known during a preview. */
const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

function hasUnknowns(value: unknown): boolean {
  return JSON.stringify(value)?.includes(UNKNOWN) ?? false;
}

/** JSON with sorted keys, for comparisons that ignore key order. */
function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : v,
    ) ?? 'null'
  );
}

/** Outputs as JSON would carry them: no undefined, Date, Map or class instances. */
function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
