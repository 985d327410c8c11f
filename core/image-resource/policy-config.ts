import { parseGoDuration } from '../policy-sync/go-duration';
import { resolveEcrConfig } from '../pipeline/repository-match';
import { compilePolicy } from '../pipeline/select';
import { validateImageResourcePolicySpec, validatePipelineConfig } from '../pipeline/validate';
import type {
  GitAuth,
  ImagePipelineConfig,
  ResolvedEcrConfig,
  ResolvedPipelineConfig,
  SelectionPolicy,
} from '../pipeline/types';
import { DEFAULT_SCAN_INTERVAL, ImageResourcePolicySpec, ResourceTemplateSpec } from './resources';

/**
 * The custom resources read through the pipeline's one validator: an ImageResourcePolicy's spec
 * becomes the pipeline's `ecr` and `policy` sections, a ResourceTemplate's spec its `template` and
 * `git` sections, and {@link validatePipelineConfig} checks them. Every error names the field of
 * the custom resource (`spec.ecrRepository.maxRepositories`, `spec.policy.pattern.regex`,
 * `spec.template`, `spec.gitRepository.url`), never a secret. Pure: no I/O.
 */

/** Default of `spec.ttlDays`. */
export const DEFAULT_POLICY_TTL_DAYS = 7;
/** Shortest `spec.scanInterval`: faster scans only spend ECR calls. */
export const MIN_SCAN_INTERVAL_MS = 1000;

/** What the detection manager needs of a policy. */
export interface DetectionSettings {
  readonly ecr: ResolvedEcrConfig;
  readonly policy: SelectionPolicy;
  readonly perRepository: boolean;
  readonly scanIntervalMs: number;
  readonly suspend: boolean;
  readonly ttlDays: number;
}

/** Options of {@link resolvePolicySpec}. */
export interface PolicySpecOptions {
  /** Interval of a policy without `spec.scanInterval`, as a Go duration. @default '5m' */
  readonly defaultScanInterval?: string;
  /** An ECR-compatible endpoint (moto) for every policy. @default - AWS */
  readonly ecrEndpoint?: string;
}

const show = (v: unknown): string => JSON.stringify(v);

/** The pipeline's `ecr` section of a policy spec. */
function ecrOf(spec: ImageResourcePolicySpec, endpoint: string | undefined): ImagePipelineConfig['ecr'] {
  const e = spec.ecrRepository;
  if (e === null || typeof e !== 'object') {
    throw new Error(`'spec.ecrRepository' must be an object, got ${show(e)}`);
  }
  return {
    region: e.region,
    ...(e.registryId !== undefined ? { registryId: e.registryId } : {}),
    ...(e.repositoryPattern !== undefined ? { repositoryPattern: e.repositoryPattern } : {}),
    ...(e.imageNamePattern !== undefined ? { imageNamePattern: e.imageNamePattern } : {}),
    ...(e.imagePattern !== undefined ? { imagePattern: e.imagePattern } : {}),
    ...(e.maxRepositories !== undefined ? { maxRepositories: e.maxRepositories } : {}),
    ...(e.maxConcurrentScans !== undefined ? { maxConcurrentScans: e.maxConcurrentScans } : {}),
    ...(e.scanTimeout !== undefined ? { scanTimeout: e.scanTimeout } : {}),
    ...(spec.aws?.roleArn !== undefined && spec.aws.roleArn !== '' ? { roleArn: spec.aws.roleArn } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/** The pipeline's `policy` section of a policy spec (the one schema's shape: nothing to translate). */
function selectionOf(spec: ImageResourcePolicySpec): SelectionPolicy {
  const p = spec.policy as Record<string, unknown> | undefined;
  if (p === null || typeof p !== 'object') throw new Error(`'spec.policy' must be an object, got ${show(p)}`);
  return p as SelectionPolicy;
}

const SPEC_FIELDS = /'(?=(?:ecrRepository|policy|templateRef|aws|suspend|ttlDays|scanInterval)\b)/g;

/**
 * Checks a policy spec and gives the detection manager's settings. Throws naming the field:
 * `'spec.ecrRepository.repositoryPattern' …`, `'spec.policy.pattern.regex' …`.
 */
export function resolvePolicySpec(
  spec: ImageResourcePolicySpec,
  options: PolicySpecOptions = {},
): DetectionSettings {
  if (spec === null || typeof spec !== 'object')
    throw new Error(`'spec' must be an object, got ${show(spec)}`);
  // The one schema (the CRD's source) and the compiled policy, as the apiserver cannot check it.
  try {
    validateImageResourcePolicySpec(spec);
  } catch (err) {
    throw new Error((err as Error).message.replace(SPEC_FIELDS, "'spec."));
  }
  const ecr = resolveEcrConfig(ecrOf(spec, options.ecrEndpoint), 'spec.ecrRepository');
  const policy = selectionOf(spec);
  const compiled = compilePolicy(policy, 'spec.policy');
  const interval = spec.scanInterval ?? options.defaultScanInterval ?? DEFAULT_SCAN_INTERVAL;
  const scanIntervalMs = parseGoDuration(String(interval), 'spec.scanInterval');
  if (scanIntervalMs < MIN_SCAN_INTERVAL_MS) {
    throw new Error(`'spec.scanInterval' must be at least 1s, got ${show(interval)}`);
  }
  const ttlDays = spec.ttlDays ?? DEFAULT_POLICY_TTL_DAYS;
  if (typeof ttlDays !== 'number' || !Number.isFinite(ttlDays) || ttlDays < 0) {
    throw new Error(
      `'spec.ttlDays' must be a non-negative number of days (0 keeps them), got ${show(ttlDays)}`,
    );
  }
  if (spec.suspend !== undefined && typeof spec.suspend !== 'boolean') {
    throw new Error(`'spec.suspend' must be a boolean, got ${show(spec.suspend)}`);
  }
  if (spec.aws?.roleArn && spec.aws?.secretRef) {
    throw new Error(`'spec.aws' must set at most one of roleArn and secretRef, got both`);
  }
  return {
    ecr,
    policy,
    perRepository: compiled.perRepository,
    scanIntervalMs,
    suspend: spec.suspend ?? false,
    ttlDays,
  };
}

/** Field names of the pipeline's validator → the custom resources' field names. */
const FIELD_MAP: ReadonlyArray<[RegExp, string]> = [
  [/'template\.yaml/g, "'spec.template"],
  [/'template\.variables/g, "'spec.variables"],
  [/'template\.namespace/g, "'spec.variables.namespace"],
  [/'template\.fileName/g, "'spec.template"],
  [/'template'/g, "'spec.template'"],
  [/'git\./g, "'spec.gitRepository."],
  [/'ecr\./g, "'spec.ecrRepository."],
  [/'policy\./g, "'spec.policy."],
];

/** An error of the pipeline's validator, with the custom resources' field names. */
export function toResourceFieldError(err: unknown): Error {
  let message = err instanceof Error ? err.message : String(err);
  for (const [re, to] of FIELD_MAP) message = message.replace(re, to);
  return new Error(message);
}

/**
 * The whole pipeline configuration of a (policy, template) pair, validated by the one validator.
 * `variables.namespace` is also `{{ .Namespace }}` (the seed's README uses both).
 */
export function resolveResourceConfig(
  policySpec: ImageResourcePolicySpec,
  templateSpec: ResourceTemplateSpec,
  gitAuth: GitAuth | undefined,
  options: PolicySpecOptions = {},
): ResolvedPipelineConfig {
  if (templateSpec === null || typeof templateSpec !== 'object') {
    throw new Error(`'spec' of the ResourceTemplate must be an object, got ${show(templateSpec)}`);
  }
  if (typeof templateSpec.template !== 'string' || templateSpec.template.trim() === '') {
    throw new Error(`'spec.template' must be a non-empty YAML template, got ${show(templateSpec.template)}`);
  }
  const repo = templateSpec.gitRepository;
  if (repo === null || typeof repo !== 'object') {
    throw new Error(`'spec.gitRepository' must be an object, got ${show(repo)}`);
  }
  const variables = { ...(templateSpec.variables ?? {}) };
  const namespace = variables.namespace;
  const path = (repo.path ?? '').replace(/^(\.\/)+/, '').replace(/^\.$/, '');
  const config: ImagePipelineConfig = {
    ecr: ecrOf(policySpec, options.ecrEndpoint),
    policy: selectionOf(policySpec),
    template: {
      yaml: templateSpec.template,
      variables,
      ...(namespace !== undefined && namespace !== '' ? { namespace } : {}),
    },
    git: {
      url: repo.url,
      ...(repo.branch !== undefined ? { branch: repo.branch } : {}),
      path,
      ...(gitAuth !== undefined ? { auth: gitAuth } : {}),
    },
    ttlDays: policySpec.ttlDays ?? DEFAULT_POLICY_TTL_DAYS,
  };
  try {
    return validatePipelineConfig(config);
  } catch (err) {
    throw toResourceFieldError(err);
  }
}

/**
 * Git credentials from a Secret's data (base64 values decoded): `token` (+ optional `username`),
 * `username` + `password`, or `ssh-privatekey` (+ `ssh-passphrase`, and `known_hosts` for the
 * server's host keys). Errors name the Secret and the key, never a value.
 */
export function gitAuthFromSecret(secretName: string, data: Readonly<Record<string, string>>): GitAuth {
  const where = `Secret ${show(secretName)}`;
  if (data.token !== undefined && data.token !== '') {
    return { type: 'token', token: data.token, ...(data.username ? { username: data.username } : {}) };
  }
  if (data['ssh-privatekey'] !== undefined && data['ssh-privatekey'] !== '') {
    if (!data.known_hosts) {
      throw new Error(
        `'spec.gitRepository.secretRef' ${where} has ssh-privatekey but no known_hosts key (host keys are always checked)`,
      );
    }
    return {
      type: 'ssh',
      privateKey: data['ssh-privatekey'],
      ...(data['ssh-passphrase'] ? { passphrase: data['ssh-passphrase'] } : {}),
      knownHosts: data.known_hosts,
    };
  }
  if (data.username && data.password) {
    return { type: 'basic', username: data.username, password: data.password };
  }
  throw new Error(
    `'spec.gitRepository.secretRef' ${where} must hold token, username + password, or ssh-privatekey, got keys ${show(Object.keys(data).sort())}`,
  );
}

/** AWS credentials from a Secret's data (`accessKeyId`, `secretAccessKey`, optional `sessionToken`). */
export function awsCredentialsFromSecret(
  secretName: string,
  data: Readonly<Record<string, string>>,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  if (!data.accessKeyId || !data.secretAccessKey) {
    throw new Error(
      `'spec.aws.secretRef' Secret ${show(secretName)} must hold accessKeyId and secretAccessKey, got keys ${show(Object.keys(data).sort())}`,
    );
  }
  return {
    accessKeyId: data.accessKeyId,
    secretAccessKey: data.secretAccessKey,
    ...(data.sessionToken ? { sessionToken: data.sessionToken } : {}),
  };
}
