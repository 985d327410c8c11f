import { resolveGitTarget } from '../git-writer';
import { resolveEcrConfig } from '../io/ecr';
import { compilePolicy } from './select';
import { compileTemplate, DEFAULT_FILE_NAME } from './render';
import type { DedupConfig, ImagePipelineConfig, ResolvedPipelineConfig } from './types';

/**
 * Validates a whole image pipeline configuration and applies its defaults, BEFORE any API
 * call: the ECR patterns and limits, the selection policy (semver range parsed, regexes
 * compiled by RE2, extract templates checked against the
 * regex's groups), the template (placeholders, variables, file names), the Git target (URL
 * without credentials, branch, managed path, auth shape, author, commit message), dedup and
 * TTL. The first problem throws an Error naming the field and the value received
 * (`'ecr.maxRepositories' must be an integer from 1 to 10000, got 0`); secrets are never echoed.
 */

const show = (value: unknown): string => JSON.stringify(value);

/** Default of {@link ImagePipelineConfig.ttlDays}. */
export const DEFAULT_TTL_DAYS = 7;
/** Default of {@link DedupConfig.cacheTtlSeconds}. */
export const DEFAULT_DEDUP_CACHE_TTL_SECONDS = 300;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': ['ecr', 'policy', 'template', 'git', 'dedup', 'ttlDays'],
  ecr: [
    'region',
    'repositoryPattern',
    'imageNamePattern',
    'imagePattern',
    'maxRepositories',
    'maxConcurrentScans',
    'scanTimeoutSeconds',
    'registryId',
    'roleArn',
    'endpoint',
  ],
  policy: ['perRepository', 'semver', 'alphabetical', 'numerical', 'pattern'],
  template: ['fn', 'yaml', 'variables', 'namespace', 'fileName'],
  git: ['url', 'branch', 'path', 'auth', 'author', 'commitMessage', 'maxPushAttempts'],
  dedup: ['mode', 'kubeconfig', 'cacheTtlSeconds'],
};

/** Unknown keys are errors: a typo (`repositoryPatern`) must not silently scan everything. */
function checkKeys(section: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`'${section || 'config'}' must be an object, got ${show(value)}`);
  }
  const known = KNOWN_KEYS[section];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new Error(
        `'${section ? `${section}.` : ''}${key}' is not a known setting (known: ${known.join(', ')})`,
      );
    }
  }
}

function resolveDedup(dedup: DedupConfig | undefined): ResolvedPipelineConfig['dedup'] {
  if (dedup === undefined) return undefined;
  checkKeys('dedup', dedup);
  const mode = dedup.mode ?? 'image';
  if (mode !== 'image' && mode !== 'prefix') {
    throw new Error(`'dedup.mode' must be 'image' or 'prefix', got ${show(mode)}`);
  }
  const cacheTtlSeconds = dedup.cacheTtlSeconds ?? DEFAULT_DEDUP_CACHE_TTL_SECONDS;
  if (!Number.isInteger(cacheTtlSeconds) || cacheTtlSeconds < 0) {
    throw new Error(`'dedup.cacheTtlSeconds' must be a non-negative integer, got ${show(cacheTtlSeconds)}`);
  }
  if (dedup.kubeconfig !== undefined && (typeof dedup.kubeconfig !== 'string' || dedup.kubeconfig === '')) {
    throw new Error(`'dedup.kubeconfig' must be a kubeconfig path or content, got ${show(dedup.kubeconfig)}`);
  }
  return { ...dedup, mode, cacheTtlSeconds };
}

/** Validates `config` and applies defaults. Pure: no I/O, no API calls. */
export function validatePipelineConfig(config: ImagePipelineConfig): ResolvedPipelineConfig {
  checkKeys('', config);
  for (const section of ['ecr', 'policy', 'template', 'git'] as const) {
    if (config[section] === undefined) throw new Error(`'${section}' is required, got undefined`);
    checkKeys(section, config[section]);
  }
  const ecr = resolveEcrConfig(config.ecr);
  const compiled = compilePolicy(config.policy);
  compileTemplate(config.template);
  const git = resolveGitTarget(config.git);
  const templateGit = { url: git.url, branch: git.branch, path: git.path };
  const dedup = resolveDedup(config.dedup);
  const ttlDays = config.ttlDays ?? DEFAULT_TTL_DAYS;
  if (typeof ttlDays !== 'number' || !Number.isFinite(ttlDays) || ttlDays < 0) {
    throw new Error(
      `'ttlDays' must be a non-negative number of days (0 keeps records forever), got ${show(ttlDays)}`,
    );
  }
  return {
    ecr,
    policy: { ...config.policy, perRepository: compiled.perRepository },
    template: {
      ...config.template,
      variables: { ...(config.template.variables ?? {}) },
      fileName: config.template.fileName ?? DEFAULT_FILE_NAME,
      git: templateGit,
    },
    git,
    ...(dedup !== undefined ? { dedup } : {}),
    ttlDays,
  };
}
