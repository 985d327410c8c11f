import { resolveGitTarget } from '../git-writer';
import { resolveEcrConfig } from './repository-match';
import type * as Z from 'zod';
import { parseWithSchema, pipelineSchema } from './schema';
import type { PipelineSchemas } from './schema';
import { compilePolicy } from './select';
import { compileTemplate, DEFAULT_FILE_NAME } from './render';
import type { ImagePipelineConfig, ResolvedPipelineConfig } from './types';

export { DEFAULT_DEDUP_CACHE_TTL_SECONDS, DEFAULT_TTL_DAYS } from './schema';

/**
 * Validates a whole image pipeline configuration and applies its defaults, BEFORE any API
 * call. First the one schema (schema.ts: shapes, types, enums, limits, unknown keys, exactly
 * one pattern and one policy kind, defaults), then what a schema cannot say: the ECR globs
 * compiled, the semver range parsed, regexes compiled by RE2, extract templates checked
 * against the regex's groups, the template (placeholders, variables, file names), the Git
 * target (URL without credentials, branch, managed path, auth, author, commit message). The
 * first problem throws an Error naming the field and the value received
 * (`'ecr.maxRepositories' must be an integer from 1 to 200, got 500`); secrets are never echoed.
 */
export function validatePipelineConfig(config: ImagePipelineConfig): ResolvedPipelineConfig {
  const parsed = parseWithSchema(pipelineSchema().pipelineConfig, config);
  const ecr = resolveEcrConfig(parsed.ecr);
  compilePolicy(parsed.policy);
  compileTemplate(parsed.template);
  const git = resolveGitTarget(parsed.git);
  const dedup = parsed.dedup;
  if (dedup?.kubeconfig !== undefined && dedup.kubeconfig.trim() === '') {
    throw new Error(
      `'dedup.kubeconfig' must be a kubeconfig path or content, got ${JSON.stringify(dedup.kubeconfig)}`,
    );
  }
  return {
    ecr,
    policy: parsed.policy,
    template: {
      ...parsed.template,
      fileName: parsed.template.fileName ?? DEFAULT_FILE_NAME,
      git: { url: git.url, branch: git.branch, path: git.path },
    },
    git,
    ...(dedup !== undefined ? { dedup } : {}),
    ttlDays: parsed.ttlDays,
  };
}

/**
 * Validates the `spec` of an ImageResourcePolicy (the seed's custom resource) and applies its
 * defaults: the one schema the CRD is derived from, then the ECR globs and the selection policy
 * compiled (regex, range, extract, extractPrefix), which the apiserver cannot check. Field
 * names in errors are relative to `spec` (`'ecrRepository.maxRepositories' must be …`).
 */
export function validateImageResourcePolicySpec(spec: unknown): ImageResourcePolicyResolvedSpec {
  const parsed = parseWithSchema(pipelineSchema().imageResourcePolicySpec, spec);
  resolveEcrConfig(parsed.ecrRepository, 'ecrRepository');
  compilePolicy(parsed.policy, 'policy');
  return parsed;
}

/** An ImageResourcePolicy `spec` with its defaults applied (what the apiserver stores). */
export type ImageResourcePolicyResolvedSpec = Z.output<PipelineSchemas['imageResourcePolicySpec']>;
