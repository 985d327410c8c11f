import type * as Z from 'zod';
import type { GitAuth, TemplateFunction } from './types';

/**
 * THE schema of the image pipeline's configuration, written once with zod 4. Everything else is
 * derived from it:
 *
 * - the TypeScript types of the configuration (`EcrConfig`, `SelectionPolicy`, …, below);
 * - the validator's shape checks, defaults and limits (`validate.ts` parses with it first, then
 *   compiles regexes, ranges, globs and templates);
 * - the OpenAPI v3 schemas of the ImageResourcePolicy and ResourceTemplate CRDs
 *   (`crd-schema.ts`, through `z.toJSONSchema`);
 * - the Pulumi component's `Input` args, the stack config reader and the `jobforge
 *   pipeline-plan` input (`stackConfigSchema`).
 *
 * Field names, defaults and limits follow the seed's ImageResourcePolicy
 * (S-mishina/image-resource-controller): `perRepository` defaults to false, `order: desc` picks
 * the highest (latest) value, `extractPrefix: true` takes the regex's first capture group,
 * `maxRepositories` 1–200, `maxConcurrentScans` 1–50, `scanTimeout` a Go duration, `ttlDays`
 * 0–365 (fractions allowed).
 *
 * zod is loaded on first use (`pipelineSchema()`), so that `require('jobforge')` stays cheap
 * (test/integration/package-entry.test.ts).
 */

const zod = (): typeof Z => require('zod') as typeof Z;

/** Default of `ecr.maxRepositories` (the seed's). */
export const DEFAULT_MAX_REPOSITORIES = 50;
/** Default of `ecr.maxConcurrentScans`. */
export const DEFAULT_MAX_CONCURRENT_SCANS = 10;
/** Default of `ecr.scanTimeout`. */
export const DEFAULT_SCAN_TIMEOUT = '5m';
/** Default of `ttlDays`. */
export const DEFAULT_TTL_DAYS = 7;
/** Default of `dedup.cacheTtlSeconds`. */
export const DEFAULT_DEDUP_CACHE_TTL_SECONDS = 300;
/** Default of `git.maxPushAttempts`. */
export const DEFAULT_MAX_PUSH_ATTEMPTS = 5;

/** Limits, shared by the validator and the CRDs. */
export const LIMITS = {
  maxRepositories: { min: 1, max: 200 },
  maxConcurrentScans: { min: 1, max: 50 },
  scanTimeoutSeconds: { min: 1, max: 86400 },
  ttlDays: { min: 0, max: 365 },
  maxPushAttempts: { min: 1, max: 50 },
  cacheTtlSeconds: { min: 0, max: 86400 },
} as const;

/** A Go duration as the seed (and Kubernetes CEL's `duration()`) takes it: `90s`, `5m`, `1h30m`, `1.5h`. */
export const GO_DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

const DURATION_UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** The seconds of a Go duration (`5m` → 300), or undefined when it is not one. */
export function parseGoDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || !new RegExp(GO_DURATION_PATTERN).test(value)) return undefined;
  let seconds = 0;
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    seconds += Number(m[1]) * DURATION_UNIT_SECONDS[m[2]];
  }
  return seconds;
}

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9_+=,.@/-]+$/;

/** Builds every schema with the zod module given (called once, from {@link pipelineSchema}). */
function build(z: typeof Z) {
  /** A strict object: unknown keys are errors that list the known ones (a typo must not pass). */
  const obj = <T extends Z.ZodRawShape>(shape: T, description: string) =>
    z
      .strictObject(shape, {
        error: (iss) =>
          iss.code === 'unrecognized_keys'
            ? `is not a known setting (known: ${Object.keys(shape).join(', ')})`
            : 'must be an object',
      })
      .meta({ description });
  const str = (description: string, error = 'must be a non-empty string') =>
    z.string({ error }).min(1, { error }).meta({ description });
  const patternStr = (re: RegExp, error: string, description: string) =>
    z.string({ error }).regex(re, { error }).meta({ description });
  const int = (range: { min: number; max: number }, description: string) => {
    const error = `must be an integer from ${range.min} to ${range.max}`;
    return z
      .int({ error })
      .min(range.min, { error })
      .max(range.max, { error })
      .meta({ description, format: 'int32' });
  };
  const bool = (description: string) => z.boolean({ error: 'must be a boolean' }).meta({ description });
  const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
    z
      .enum(values, {
        error: `must be ${values
          .map((v) => `'${v}'`)
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1')}`,
      })
      .meta({ description });
  /** Exactly one of `keys` is set, checked by zod (validator) and CEL (apiserver) alike. */
  const exactlyOne = (keys: readonly string[], what: string) => {
    const message = `exactly one of ${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]} must be set`;
    return {
      check: (value: Record<string, unknown>, ctx: Z.RefinementCtx) => {
        const given = keys.filter((k) => value[k] !== undefined);
        if (given.length !== 1) {
          ctx.addIssue({
            code: 'custom',
            message: `must set exactly one of ${keys.join(', ')}, got ${given.length === 0 ? 'none' : given.join(' and ')}`,
          });
        }
      },
      meta: {
        'x-kubernetes-validations': [
          { rule: `[${keys.map((k) => `has(self.${k})`).join(', ')}].filter(x, x).size() == 1`, message },
        ],
      },
      what,
    };
  };

  // ---------------------------------------------------------------------------------------------
  // ECR: where to scan (the seed's `ecrRepository`)
  // ---------------------------------------------------------------------------------------------

  const scanTimeout = z
    .string({ error: 'must be a Go duration from 1s to 24h (e.g. 90s, 5m)' })
    .max(32, { error: 'must be a Go duration from 1s to 24h (e.g. 90s, 5m)' })
    .regex(new RegExp(GO_DURATION_PATTERN), { error: 'must be a Go duration from 1s to 24h (e.g. 90s, 5m)' })
    .refine(
      (v) => {
        const s = parseGoDuration(v) ?? 0;
        return s >= LIMITS.scanTimeoutSeconds.min && s <= LIMITS.scanTimeoutSeconds.max;
      },
      { error: 'must be a Go duration from 1s to 24h (e.g. 90s, 5m)' },
    )
    .meta({
      description: 'Time limit of one whole scan, as a Go duration (e.g. 90s, 5m); from 1s to 24h.',
      'x-kubernetes-validations': [
        {
          rule: "duration(self) >= duration('1s') && duration(self) <= duration('24h')",
          message: 'must be a duration from 1s to 24h',
        },
      ],
    });

  /** The fields of the seed's `spec.ecrRepository`, shared by the CRD and the pipeline. */
  const ecrRepositoryShape = {
    /** AWS region of the registry, e.g. `eu-west-1`. */
    region: patternStr(
      AWS_REGION,
      'must be an AWS region like eu-west-1',
      'AWS region of the registry, e.g. us-east-1.',
    ),
    /** The AWS account id owning the registry. @default - the caller's account */
    registryId: patternStr(
      ACCOUNT_ID,
      'must be a 12-digit AWS account id',
      'AWS account ID of the registry. Default: the caller account.',
    ).optional(),
    /** Glob over repository names (`team-a/*`, `service-*`). Exactly one of the three patterns. */
    repositoryPattern: str(
      'Glob over repository names, e.g. team-a/* or service-*.',
      'must be a non-empty pattern',
    ).optional(),
    /** Glob over the last path segment of repository names (`nginx-*`, `*-service`). */
    imageNamePattern: str(
      'Glob over the last path segment of repository names, across all repositories, e.g. *-service.',
      'must be a non-empty pattern',
    ).optional(),
    /** Glob over `repository:tag` (`team-a/*:v*`, `*\/nginx:stable-*`). */
    imagePattern: str(
      'Glob over repository:tag, e.g. team-a/*:v* or */nginx:stable-*.',
      'must be a non-empty pattern',
    ).optional(),
    /** At most this many matching repositories are scanned (in name order). @default 50 */
    maxRepositories: int(LIMITS.maxRepositories, 'Most repositories scanned per run.').default(
      DEFAULT_MAX_REPOSITORIES,
    ),
    /** At most this many repositories are scanned at the same time. @default 10 */
    maxConcurrentScans: int(LIMITS.maxConcurrentScans, 'Most repositories scanned at the same time.').default(
      DEFAULT_MAX_CONCURRENT_SCANS,
    ),
    /** The whole scan fails if it takes longer; a Go duration. @default '5m' */
    scanTimeout: scanTimeout.default(DEFAULT_SCAN_TIMEOUT),
  };
  const patterns = exactlyOne(['repositoryPattern', 'imageNamePattern', 'imagePattern'], 'ecr');
  const ecrRepository = obj(
    ecrRepositoryShape,
    'The ECR registry and the repositories or images to scan. Exactly one of repositoryPattern, imageNamePattern and imagePattern is set.',
  )
    .superRefine(patterns.check)
    .meta(patterns.meta);

  const roleArn = patternStr(
    ROLE_ARN,
    'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    'IAM role to assume for the scan.',
  );

  /** The pipeline's `ecr`: the seed's fields plus the role and a test endpoint. */
  const ecr = obj(
    {
      ...ecrRepositoryShape,
      /** An IAM role to assume (STS AssumeRole). @default - the default credential chain */
      roleArn: roleArn.optional(),
      /** ECR API endpoint, for ECR-compatible test servers (moto). @default - AWS's endpoint */
      endpoint: str('ECR API endpoint (http or https URL without credentials).').optional(),
    },
    'What to scan.',
  )
    .superRefine(patterns.check)
    .meta(patterns.meta);

  // ---------------------------------------------------------------------------------------------
  // Selection policy (the seed's `policy`)
  // ---------------------------------------------------------------------------------------------

  const order = oneOf(['asc', 'desc'], 'desc picks the highest (latest) value, asc the lowest.').default(
    'desc',
  );
  const semver = obj(
    { range: str('A semver range, e.g. >=1.0.0 or ~1.2.0.', 'must be a non-empty semver range') },
    'Pick the highest tag within a semver range (a leading v is accepted).',
  );
  const alphabetical = obj(
    { order },
    'Order tags alphabetically: desc picks the last (the latest), asc the first.',
  );
  const numerical = obj({ order }, 'Order numeric tags: desc picks the largest, asc the smallest.');
  const pattern = obj(
    {
      /** An RE2 regex; the leftmost match anywhere in the tag counts (anchor with ^…$). */
      regex: str(
        'Regular expression (RE2 syntax) a tag must match.',
        'must be a non-empty regular expression',
      ),
      /** The ranking value: a replacement with `$1`, `$<name>` or `${name}`. @default '$0' */
      extract: z
        .string({ error: 'must be a string' })
        .meta({
          description: 'Replacement naming the groups to order by, e.g. $ts or $1. Default: the whole tag.',
        })
        .optional(),
      /** Take the regex's first capture group as the tag prefix (dev, staging, prod). @default false */
      extractPrefix: bool(
        'Take the first capture group of regex as the tag prefix (dev, staging, prod).',
      ).default(false),
      /** How extracted values compare. @default - numerical when all are numbers, else alphabetical */
      compareAs: oneOf(
        ['semver', 'numerical', 'alphabetical'],
        'How extracted values are compared. Default: numerical when all are numbers, else alphabetical.',
      ).optional(),
      order,
    },
    'Keep tags matching a regular expression and order them by an extracted value.',
  );
  const kinds = exactlyOne(['semver', 'alphabetical', 'numerical', 'pattern'], 'policy');
  const policy = obj(
    {
      /** One image per repository (true) or one across all scanned repositories (false). @default false */
      perRepository: bool('Select one image per repository instead of one across all repositories.').default(
        false,
      ),
      semver: semver.optional(),
      alphabetical: alphabetical.optional(),
      numerical: numerical.optional(),
      pattern: pattern.optional(),
    },
    'How one tag is chosen among the candidates. Exactly one of semver, alphabetical, numerical and pattern is set.',
  )
    .superRefine(kinds.check)
    .meta(kinds.meta);

  // ---------------------------------------------------------------------------------------------
  // Template, Git target, dedup
  // ---------------------------------------------------------------------------------------------

  const templateValue = z.union([z.string(), z.number(), z.boolean()], {
    error: 'must be a string, a finite number or a boolean',
  });
  const templateShape = {
    /** A YAML template with placeholders (`{{ .ServiceName }}`, `{{ .ImageTag }}`, …). */
    yaml: str(
      'YAML of one or more documents with placeholders.',
      'must be a non-empty YAML template',
    ).optional(),
    /** User variables, `{{ .<key> }}`. @default {} */
    variables: z
      .record(z.string(), templateValue, { error: 'must be an object of strings, numbers or booleans' })
      .default({}),
    /** The value of `{{ .Namespace }}`. @default - empty */
    namespace: z.string({ error: 'must be a string' }).optional(),
    /** The file of each image's manifests, relative to `git.path`. @default '{{ .ImageRepository }}/{{ .ImageTag }}.yaml' */
    fileName: str('File each image is written to, relative to the Git path.').optional(),
  };
  const template = obj(
    {
      /** A typed template function (exactly one of `fn` and `yaml`). */
      fn: z
        .custom<TemplateFunction>((v) => typeof v === 'function', { error: 'must be a function' })
        .optional(),
      ...templateShape,
    },
    'How manifests are rendered.',
  );

  const author = obj(
    { name: z.string({ error: 'must be a string' }), email: z.string({ error: 'must be a string' }) },
    'Commit author and committer.',
  );
  const gitTargetShape = {
    /** Remote URL without credentials. */
    url: str(
      'Clone URL (https://, ssh://, git@host:path or file://), without credentials.',
      'must be a non-empty URL',
    ),
    /** @default 'main' */
    branch: str('Branch to commit to.').default('main'),
    /** Directory inside the repository that jobforge manages: relative, no `..`. @default '' (the root) */
    path: z.string({ error: 'must be a string' }).default(''),
    /** @default { name: 'jobforge', email: 'jobforge@users.noreply.local' } */
    author: author.optional(),
    /** Commit message template (`{{ .Count }}`, `{{ .Files }}`, …). @default - a generated summary */
    commitMessage: z.string({ error: 'must be a string' }).optional(),
    /** Push attempts, with fetch and rebase between them. @default 5 */
    maxPushAttempts: int(LIMITS.maxPushAttempts, 'Push attempts.').default(DEFAULT_MAX_PUSH_ATTEMPTS),
  };
  const git = obj(
    {
      ...gitTargetShape,
      /** Credentials, checked by the Git writer (values are never echoed). @default - none */
      auth: z
        .custom<GitAuth>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), {
          error: 'must be an object',
        })
        .optional(),
    },
    'Where manifests are committed.',
  );

  const dedup = obj(
    {
      /** `image`: skip an image some workload runs; `prefix`: same repository and tag prefix. @default 'image' */
      mode: oneOf(['image', 'prefix'], 'What counts as already running.').default('image'),
      /** A kubeconfig path or content. @default - $KUBECONFIG, ~/.kube/config or in-cluster */
      kubeconfig: str('Kubeconfig path or content.', 'must be a kubeconfig path or content').optional(),
      /** How long the workload index is reused. @default 300 */
      cacheTtlSeconds: int(LIMITS.cacheTtlSeconds, 'Seconds the workload index is reused.').default(
        DEFAULT_DEDUP_CACHE_TTL_SECONDS,
      ),
    },
    'Skipping images the cluster already runs.',
  );

  // Days, fractions allowed (the seed has int32; a number admits every seed value, and short TTLs).
  const ttlDaysError = `must be a number of days from ${LIMITS.ttlDays.min} to ${LIMITS.ttlDays.max} (0 keeps records forever)`;
  const ttlDays = z
    .number({ error: ttlDaysError })
    .min(LIMITS.ttlDays.min, { error: ttlDaysError })
    .max(LIMITS.ttlDays.max, { error: ttlDaysError })
    .meta({ description: 'Days after which detected images no longer selected are dropped; 0 keeps them.' })
    .default(DEFAULT_TTL_DAYS);

  /** The whole pipeline configuration (ImageResourcePolicy + ResourceTemplate + Git target). */
  const pipelineConfig = obj(
    { ecr, policy, template, git, dedup: dedup.optional(), ttlDays },
    'The image pipeline configuration.',
  );

  // ---------------------------------------------------------------------------------------------
  // The stack config / CLI form: plain data, YAML template, Git credentials named, never given
  // ---------------------------------------------------------------------------------------------

  const envName = (d: string) => str(d, 'must be a non-empty name').optional();
  const gitAuthSource = z.discriminatedUnion(
    'type',
    [
      obj(
        {
          type: z.literal('token'),
          tokenEnv: envName('Environment variable holding the token. Default: JOBFORGE_GIT_TOKEN.'),
          tokenConfig: envName('Pulumi config key holding the token.'),
          username: envName('User name paired with the token. Default: x-access-token.'),
        },
        'HTTPS token auth.',
      ),
      obj(
        {
          type: z.literal('basic'),
          usernameEnv: envName('Default: JOBFORGE_GIT_USERNAME.'),
          passwordEnv: envName('Default: JOBFORGE_GIT_PASSWORD.'),
          passwordConfig: envName('Pulumi config key holding the password.'),
        },
        'HTTPS basic auth.',
      ),
      obj(
        {
          type: z.literal('ssh'),
          privateKeyEnv: envName('Default: JOBFORGE_GIT_SSH_KEY.'),
          privateKeyFile: envName('A file holding the private key.'),
          privateKeyConfig: envName('Pulumi config key holding the private key.'),
          passphraseEnv: envName('Default: JOBFORGE_GIT_SSH_PASSPHRASE.'),
          knownHosts: envName('known_hosts lines for the server.'),
          knownHostsFile: envName('A known_hosts file.'),
        },
        'SSH key auth.',
      ),
    ],
    { error: "must be an object whose type is 'token', 'basic' or 'ssh'" },
  );
  const stackConfig = obj(
    {
      ecr,
      policy,
      template: obj(
        {
          ...templateShape,
          yaml: str('YAML template.', 'must be a YAML template string (stack config cannot hold a function)'),
        },
        'The YAML template.',
      ),
      git: obj({ ...gitTargetShape, auth: gitAuthSource.optional() }, 'Where manifests are committed.'),
      dedup: dedup.optional(),
      ttlDays,
    },
    'The image pipeline configuration as stack config or a CLI file.',
  );

  // ---------------------------------------------------------------------------------------------
  // The seed's custom resources (specs; the CRD construct adds status)
  // ---------------------------------------------------------------------------------------------

  const secretRef = obj(
    { name: str('Name of the Secret.') },
    'A Secret in the same namespace as the resource that refers to it.',
  );
  const imageResourcePolicySpec = obj(
    {
      ecrRepository,
      policy,
      templateRef: obj(
        {
          name: str('Name of the ResourceTemplate.'),
          namespace: z
            .string({ error: 'must be a string' })
            .meta({ description: 'Namespace of the ResourceTemplate. Default: the policy namespace.' })
            .optional(),
        },
        'The ResourceTemplate rendered for each detected image.',
      ),
      aws: obj(
        { roleArn: roleArn.optional(), secretRef: secretRef.optional() },
        'How the detection manager authenticates to AWS. Default: its own credentials (IRSA).',
      ).optional(),
      suspend: bool('Stop processing this policy.').default(false),
      /** How often the detection manager scans. @default - the manager's --scan-interval (5m) */
      scanInterval: z
        .string({ error: 'must be a Go duration (e.g. 30s, 5m)' })
        .max(32, { error: 'must be a Go duration (e.g. 30s, 5m)' })
        .regex(new RegExp(GO_DURATION_PATTERN), { error: 'must be a Go duration (e.g. 30s, 5m)' })
        .meta({
          description:
            "How often the registry is scanned, as a Go duration (e.g. 30s, 5m). Default: the detection manager's --scan-interval (5m).",
        })
        .optional(),
      ttlDays,
    },
    'The repositories to scan, the selection policy and the template to render.',
  );
  const resourceTemplateSpec = obj(
    {
      template: str(
        'YAML of one or more documents with placeholders such as {{ .ServiceName }}, {{ .ImageTag }}, {{ .FullImageName }}.',
        'must be a non-empty YAML template',
      ),
      variables: z
        .record(z.string(), z.string({ error: 'must be a string' }), {
          error: 'must be an object of strings',
        })
        .meta({ description: 'Extra values available to the template by name.' })
        .optional(),
      gitRepository: obj(
        {
          url: gitTargetShape.url,
          branch: gitTargetShape.branch,
          path: z
            .string({ error: 'must be a string' })
            .meta({ description: 'Directory inside the repository for the manifests.' })
            .default('./'),
          secretRef: secretRef.optional(),
        },
        'The GitOps repository the rendered manifests are committed to.',
      ),
      validation: obj(
        { dryRun: bool('Validate the rendered manifests before committing them.').default(true) },
        'Checks run on the rendered manifests.',
      ).optional(),
    },
    'The template, its variables and the Git target.',
  );

  return {
    ecrRepository,
    ecr,
    policy,
    semver,
    alphabetical,
    numerical,
    pattern,
    template,
    git,
    dedup,
    pipelineConfig,
    gitAuthSource,
    stackConfig,
    imageResourcePolicySpec,
    resourceTemplateSpec,
  };
}

/** Every schema of the pipeline, built with zod on first use. */
export type PipelineSchemas = ReturnType<typeof build>;

let built: PipelineSchemas | undefined;

/** The pipeline's schemas (zod 4), built on first use. */
export function pipelineSchema(): PipelineSchemas {
  return (built ??= build(zod()));
}

// ---------------------------------------------------------------------------------------------
// Types derived from the schema: `…Config` as written (defaults optional), `Resolved…` as parsed
// ---------------------------------------------------------------------------------------------

type In<K extends keyof PipelineSchemas> = Z.input<PipelineSchemas[K]>;
type Out<K extends keyof PipelineSchemas> = Z.output<PipelineSchemas[K]>;

/** Where to scan: the ECR registry and which repositories / images of it. */
export type EcrConfig = In<'ecr'>;
/** {@link EcrConfig} with its defaults applied. */
export type ResolvedEcrConfig = Out<'ecr'>;
/** The seed's `spec.ecrRepository`. */
export type EcrRepositorySpec = In<'ecrRepository'>;
/** Order of an alphabetical, numerical or pattern policy: `desc` picks the highest. */
export type SortOrder = 'asc' | 'desc';
/** Semver policy: the highest version satisfying `range`. */
export type SemverPolicy = In<'semver'>;
/** Alphabetical policy: `desc` (default) picks the last tag in byte order, `asc` the first. */
export type AlphabeticalPolicy = In<'alphabetical'>;
/** Numerical policy: `desc` (default) picks the largest number, `asc` the smallest. */
export type NumericalPolicy = In<'numerical'>;
/** Regex policy: tags matching `regex`, ranked by `extract`; `extractPrefix` takes group 1 as the tag prefix. */
export type PatternPolicy = In<'pattern'>;
/** Which image(s) to pick: exactly one of `semver`, `alphabetical`, `numerical`, `pattern`. */
export type SelectionPolicy = In<'policy'>;
/** {@link SelectionPolicy} with its defaults applied. */
export type ResolvedSelectionPolicy = Out<'policy'>;
/** How manifests are produced from a detected image: exactly one of `fn` and `yaml`. */
export type TemplateConfig = In<'template'>;
/** Where manifests are committed. */
export type GitTarget = In<'git'>;
/** Skipping images the cluster already runs. */
export type DedupConfig = In<'dedup'>;
/** The whole pipeline configuration (ImageResourcePolicy + ResourceTemplate + Git target). */
export type ImagePipelineConfig = In<'pipelineConfig'>;
/** Where Git credentials come from at run time (stack config / CLI): names, never values. */
export type GitAuthSource = In<'gitAuthSource'>;
/** The configuration as `Pulumi.<stack>.yaml` (`jobforge:imagePipeline`) and `jobforge pipeline-plan` take it. */
export type ImagePipelineStackConfig = In<'stackConfig'>;
/** The seed's ImageResourcePolicy `spec`. */
export type ImageResourcePolicySpec = In<'imageResourcePolicySpec'>;
/** The seed's ResourceTemplate `spec`. */
export type ResourceTemplateSpec = In<'resourceTemplateSpec'>;

// ---------------------------------------------------------------------------------------------
// Errors in the project's style
// ---------------------------------------------------------------------------------------------

const SECRET_KEY = /^(token|password|privateKey|passphrase)$/;

function describeValue(value: unknown, key: string | number | undefined): string {
  if (typeof key === 'string' && SECRET_KEY.test(key)) {
    return typeof value === 'string' ? `a value of ${value.length} characters` : typeof value;
  }
  if (typeof value === 'function') return 'a function';
  return JSON.stringify(value) ?? String(value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * Parses `input` with `schema`: the parsed value (defaults applied), or an Error naming the
 * first problem's field and the value received, e.g.
 * `'ecr.maxRepositories' must be an integer from 1 to 200, got 500`. Secret values are never echoed.
 */
export function parseWithSchema<S extends Z.ZodType>(schema: S, input: unknown, field = ''): Z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = (path: readonly PropertyKey[]): string =>
    [field, ...path.map(String)].filter((p) => p !== '').join('.') || 'config';
  if (issue.code === 'unrecognized_keys') {
    throw new Error(`'${where([...issue.path, issue.keys[0]])}' ${issue.message}`);
  }
  const value = valueAt(input, issue.path);
  if (value === undefined && issue.code === 'invalid_type') {
    throw new Error(`'${where(issue.path)}' is required, got undefined`);
  }
  if (issue.code === 'custom' && issue.message.includes(', got ')) {
    throw new Error(`'${where(issue.path)}' ${issue.message}`);
  }
  const last = issue.path[issue.path.length - 1];
  throw new Error(
    `'${where(issue.path)}' ${issue.message}, got ${describeValue(value, typeof last === 'symbol' ? undefined : last)}`,
  );
}
