/**
 * The implementation of the ImagePipeline dynamic provider. This module is loaded with
 * require() INSIDE the provider process (see stacks/image-pipeline.ts), so every client (ECR,
 * Kubernetes, git) is created here, at call time, from plain inputs. Credentials are read here
 * from the environment or the stack's Pulumi config, never taken from inputs.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import type {
  DetectedImage,
  GitAuth,
  ImagePipelineConfig,
  ResolvedPipelineConfig,
  TemplateConfig,
  TemplateFunction,
} from '../core/pipeline/types';
import {
  applyPlan,
  DetectedRecord,
  PipelineIo,
  PipelineOutputs,
  PipelinePlan,
  PipelineStages,
  planChangesState,
  planPipeline,
} from '../core/pipeline/plan';
import { compilePolicy, selectImages } from '../core/pipeline/select';
import { compileTemplate, CompiledTemplate } from '../core/pipeline/render';
import { validatePipelineConfig } from '../core/pipeline/validate';
import { scanEcr } from '../core/io/ecr';
import { listGitFiles } from '../core/git-tree';
import { gitAuthSecrets, redactUrl } from '../core/git-auth';
import { writeGitFiles } from '../core/git-writer';
import { kubeWorkloadLister, WorkloadIndexCache } from '../core/workload-index';
import type { GitAuthSource, ImagePipelineRunInputs, ImagePipelineRunOutputs } from './image-pipeline';

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
    const plan = await planPipeline(toPipelineConfig(news), stages(), io(news, secrets), {
      previous,
      tagPrefixOf: tagPrefixOf(news),
    });
    return { changes: planChangesState(plan, previous) };
  });
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

/**
 * Plans a run from resource inputs with the real stages and I/O, writing nothing: what a
 * `pulumi up` would commit and skip now (`jobforge pipeline-plan` prints it).
 */
export async function planFromInputs(
  inputs: ImagePipelineRunInputs,
  previous: DetectedRecord[] = [],
): Promise<PipelinePlan> {
  checkKubeconfigInput(inputs);
  checkAuthSource(inputs.gitAuth);
  return guard(inputs, (secrets) =>
    planPipeline(toPipelineConfig(inputs), stages(), io(inputs, secrets), {
      previous,
      tagPrefixOf: tagPrefixOf(inputs),
    }),
  );
}

async function run(
  inputs: ImagePipelineRunInputs,
  previous: DetectedRecord[],
): Promise<ImagePipelineRunOutputs> {
  return guard(inputs, async (secrets) => {
    const theIo = io(inputs, secrets);
    const plan = await planPipeline(toPipelineConfig(inputs), stages(), theIo, {
      previous,
      tagPrefixOf: tagPrefixOf(inputs),
    });
    const outputs: PipelineOutputs = await applyPlan(plan, theIo);
    return jsonSafe({ ...inputs, ...outputs });
  });
}

// ---------------------------------------------------------------------------------------------

/** The real pure stages; a compiled template is reused for every image of a run. */
function stages(): PipelineStages {
  const compiled = new WeakMap<TemplateConfig, CompiledTemplate>();
  return {
    validate: validatePipelineConfig,
    select: selectImages,
    render(template: TemplateConfig, image: DetectedImage) {
      let c = compiled.get(template);
      if (!c) compiled.set(template, (c = compileTemplate(template)));
      return c.render(image);
    },
  };
}

/** Workload indexes survive between diff and update (one provider process per `pulumi up`). */
const indexCaches = new Map<string, WorkloadIndexCache>();

function io(inputs: ImagePipelineRunInputs, secrets: string[]): PipelineIo {
  let auth: GitAuth | undefined;
  const gitAuth = (): GitAuth | undefined => {
    if (inputs.gitAuth && !auth) {
      auth = resolveGitAuth(inputs.gitAuth);
      secrets.push(...gitAuthSecrets(auth));
    }
    return auth;
  };
  return {
    scan: (ecr) => scanEcr(ecr),
    async workloadIndex(dedup) {
      const key = stableJson([dedup.kubeconfig ?? '', dedup.cacheTtlSeconds, inputs.config.policy]);
      let cache = indexCaches.get(key);
      if (!cache) {
        cache = new WorkloadIndexCache(kubeWorkloadLister(dedup.kubeconfig), {
          cacheTtlSeconds: dedup.cacheTtlSeconds,
          tagPrefixOf: tagPrefixOf(inputs),
        });
        indexCaches.set(key, cache);
      }
      const got = await cache.get();
      return { index: got.index, apiCalls: got.apiCalls };
    },
    listGitFiles: async (git) => new Set(await listGitFiles(withAuth(git, gitAuth()))),
    writeGitFiles: (git, files) => writeGitFiles(withAuth(git, gitAuth()), files, { mode: 'add-only' }),
  };
}

function withAuth(
  git: ResolvedPipelineConfig['git'],
  auth: GitAuth | undefined,
): ResolvedPipelineConfig['git'] {
  return auth ? { ...git, auth } : git;
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

function tagPrefixOf(inputs: ImagePipelineRunInputs): (tag: string) => string | undefined {
  const compiled = compilePolicy(inputs.config.policy);
  return (tag) => compiled.prefixOf(tag);
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

function readSecret(envName: string | undefined, configKey: string | undefined, what: string): string {
  if (configKey !== undefined) {
    const v = stackConfig?.get(configKey);
    if (v === undefined || v === '') {
      throw new Error(`'git.auth' ${what}: Pulumi config key ${JSON.stringify(configKey)} is not set`);
    }
    return v;
  }
  const name = envName as string;
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new Error(`'git.auth' ${what}: environment variable ${name} is not set`);
  }
  return v;
}

/** The Git credentials a source names, read from the environment, files or Pulumi config. */
export function resolveGitAuth(source: GitAuthSource): GitAuth {
  switch (source.type) {
    case 'token':
      return {
        type: 'token',
        token: readSecret(source.tokenEnv ?? 'JOBFORGE_GIT_TOKEN', source.tokenConfig, 'token'),
        ...(source.username !== undefined ? { username: source.username } : {}),
      };
    case 'basic':
      return {
        type: 'basic',
        username: readSecret(source.usernameEnv ?? 'JOBFORGE_GIT_USERNAME', undefined, 'username'),
        password: readSecret(
          source.passwordEnv ?? 'JOBFORGE_GIT_PASSWORD',
          source.passwordConfig,
          'password',
        ),
      };
    case 'ssh': {
      const privateKey =
        source.privateKeyFile !== undefined
          ? readFile(source.privateKeyFile, 'privateKeyFile')
          : readSecret(
              source.privateKeyEnv ?? 'JOBFORGE_GIT_SSH_KEY',
              source.privateKeyConfig,
              'private key',
            );
      const passphraseEnv = source.passphraseEnv ?? 'JOBFORGE_GIT_SSH_PASSPHRASE';
      const passphrase = process.env[passphraseEnv];
      const knownHosts =
        source.knownHostsFile !== undefined
          ? readFile(source.knownHostsFile, 'knownHostsFile')
          : source.knownHosts;
      if (knownHosts === undefined || knownHosts.trim() === '') {
        throw new Error(
          `'git.auth' ssh needs knownHosts or knownHostsFile (host keys are always checked), got none`,
        );
      }
      return { type: 'ssh', privateKey, knownHosts, ...(passphrase ? { passphrase } : {}) };
    }
    default:
      throw new Error(
        `'git.auth.type' must be token, basic or ssh, got ${JSON.stringify((source as { type: unknown }).type)}`,
      );
  }
}

function readFile(path: string, field: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `'git.auth.${field}' cannot be read, got ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
}

function checkAuthSource(source: GitAuthSource | null): void {
  if (source === null || source === undefined) return;
  if (typeof source !== 'object' || !['token', 'basic', 'ssh'].includes((source as { type: string }).type)) {
    throw new Error(`'git.auth.type' must be token, basic or ssh, got ${JSON.stringify(source)}`);
  }
  for (const [k, v] of Object.entries(source)) {
    if (/^(token|password|privateKey|passphrase)$/.test(k)) {
      throw new Error(
        `'git.auth.${k}' must not be given as an input (it would be stored in the stack); name an environment variable or Pulumi config key instead, got a value of ${String(v).length} characters`,
      );
    }
  }
}

function checkKubeconfigInput(inputs: ImagePipelineRunInputs): void {
  const kc = inputs.config.dedup?.kubeconfig;
  if (kc !== undefined && kc.includes('\n')) {
    throw new Error(
      `'dedup.kubeconfig' must be a file path: kubeconfig content holds credentials and is not stored in the stack, got content of ${kc.length} characters`,
    );
  }
}

/** Runs `body`; any error leaves with every credential redacted. */
async function guard<T>(inputs: ImagePipelineRunInputs, body: (secrets: string[]) => Promise<T>): Promise<T> {
  const secrets: string[] = [];
  try {
    return await body(secrets);
  } catch (err) {
    const e = err as Error;
    let message = e?.message ?? String(err);
    for (const s of secrets) if (s.length >= 4) message = message.split(s).join('***');
    message = redactUrl(message);
    throw new Error(`image pipeline ${pipelineId(inputs)}: ${message}`);
  }
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
