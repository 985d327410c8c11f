/**
 * The image pipeline's data, as plain types. No I/O here.
 *
 * Data flow (one way; I/O only at the two edges marked [io]):
 *
 * ```
 * ImagePipelineConfig
 *   → validatePipelineConfig (config.ts)        every field checked, defaults applied, BEFORE any API call
 *   → ResolvedPipelineConfig
 *   → scanEcr (ecr-scanner.ts) [io]             DescribeRepositories + DescribeImages, paginated,
 *                                               bounded concurrency, timeout, adaptive retry
 *   → EcrScanResult { candidates: ImageCandidate[], apiCalls }
 *   → selectImages (tag-selection.ts)           semver | alphabetical | numerical | pattern,
 *                                               per repository or across, deterministic ties
 *   → DetectedImage[] (+ tagPrefix, fullImageName, imageName, serviceName)
 *   → dedup (core/workload-index.ts + Git tree check; part of the Pulumi provider)
 *   → renderManifest (template.ts)              function or YAML template; objects validated
 *   → RenderedManifest[] { path, content }
 *   → writeGitFiles (../git-writer.ts) [io]     add-only (pipeline) or sync (`jobforge publish`),
 *                                               one commit, none when unchanged, never forces
 *   → GitWriteResult { commitSha, written, removed, unchanged }
 * ```
 *
 * Every type is JSON-safe plain data (ISO strings for times) except {@link TemplateFunction},
 * so results can be Pulumi outputs as they are.
 */

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/** Where to scan: the ECR registry and which repositories / images of it. */
export interface EcrConfig {
  /** AWS region of the registry, e.g. `eu-west-1`. */
  readonly region: string;
  /**
   * Glob over repository names (picomatch syntax): `*` matches any run of characters within a
   * path segment, `?` one character other than `/`, `**` as a whole segment any number of
   * segments (`team-a/**` matches `team-a` and everything under it). Examples: `team-a/*`,
   * `service-*`. Matched in time linear in the name.
   * Exactly one of `repositoryPattern`, `imageNamePattern` and `imagePattern` may be given.
   * @default - all repositories (subject to maxRepositories)
   */
  readonly repositoryPattern?: string;
  /**
   * Glob over the image name, i.e. the LAST path segment of the repository (`api` of
   * `team-a/api`). Example: `nginx*`.
   * @default - not used
   */
  readonly imageNamePattern?: string;
  /**
   * Glob over `repository:tag`, the repository part before the last `:`. Both parts are globs:
   * `team-a/*:v*`, `*\/nginx:stable-*`. A pattern without `:` is a repository glob with tag `*`.
   * @default - not used
   */
  readonly imagePattern?: string;
  /**
   * At most this many matching repositories are scanned (in name order); the result says when
   * more matched.
   * @default 50
   */
  readonly maxRepositories?: number;
  /** At most this many DescribeImages paginations run at once. @default 10 */
  readonly maxConcurrentScans?: number;
  /** The whole scan fails if it takes longer. @default 300 */
  readonly scanTimeoutSeconds?: number;
  /** The AWS account id owning the registry. @default - the caller's account */
  readonly registryId?: string;
  /**
   * An IAM role to assume (STS AssumeRole with the default-chain credentials).
   * @default - the default credential chain is used directly
   */
  readonly roleArn?: string;
  /**
   * ECR API endpoint, for ECR-compatible test servers (moto). With `roleArn`, STS is called on
   * this endpoint too (moto serves every service on one port).
   * @default - AWS's endpoint
   */
  readonly endpoint?: string;
}

/** Order of an alphabetical or numerical policy. `asc` picks the highest value, as Flux does. */
export type SortOrder = 'asc' | 'desc';

/** Semver policy: the highest version satisfying `range` (Flux ImagePolicy semantics). */
export interface SemverPolicy {
  /** A semver range (`>=1.0.0 <2.0.0`, `^1.2`, `1.x`, `>=1.0.0-0` to admit prereleases). */
  readonly range: string;
}

/** Alphabetical policy (Flux ImagePolicy semantics). */
export interface AlphabeticalPolicy {
  /** `asc` picks the last tag in ascending order (the "latest"), `desc` the first. @default 'asc' */
  readonly order?: SortOrder;
}

/** Numerical policy: tags (or extracted values) are numbers (Flux ImagePolicy semantics). */
export interface NumericalPolicy {
  /** `asc` picks the largest number, `desc` the smallest. @default 'asc' */
  readonly order?: SortOrder;
}

/**
 * Regex policy: only tags matching `regex` are considered; `extract` builds the value they are
 * ranked by and `extractPrefix` the tag prefix used by `prefix` dedup.
 */
export interface PatternPolicy {
  /**
   * An RE2 regex (Go's `regexp` syntax, as Flux; `(?P<name>…)` or `(?<name>…)` groups, `(?i)`
   * flags, no look-arounds or backreferences), matched in linear time. The leftmost match anywhere
   * in the tag counts (anchor with `^…$`). E.g. `^(?P<env>dev|prod)-(?P<ts>\d+)$`.
   */
  readonly regex: string;
  /**
   * The ranking value: a replacement with `$1`, `$<name>` or `${name}` references.
   * @default '$0' - the whole match
   */
  readonly extract?: string;
  /**
   * The tag prefix: a replacement like `extract`, e.g. `$<env>` or `$1`.
   * @default - defaultTagPrefix(tag) (letters before the first `-` or `_`)
   */
  readonly extractPrefix?: string;
  /**
   * How extracted values are compared: `semver` (then `range` is not used; invalid values are
   * dropped), `numerical`, or `alphabetical`.
   * @default 'numerical' when every extracted value is a number, else 'alphabetical'
   */
  readonly compareAs?: 'semver' | 'numerical' | 'alphabetical';
  /** `asc` picks the highest value. @default 'asc' */
  readonly order?: SortOrder;
}

/** Which image(s) to pick. Exactly one of `semver`, `alphabetical`, `numerical`, `pattern`. */
export interface SelectionPolicy {
  /**
   * Pick one image per repository (true) or one image across all scanned repositories (false).
   * @default true
   */
  readonly perRepository?: boolean;
  readonly semver?: SemverPolicy;
  readonly alphabetical?: AlphabeticalPolicy;
  readonly numerical?: NumericalPolicy;
  readonly pattern?: PatternPolicy;
}

/** A Kubernetes object as a template produces it. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** The value of a template variable. */
export type TemplateValue = string | number | boolean;

/**
 * A typed template: from a detected image (and the user's variables, numbers and booleans given
 * as their strings) to Kubernetes objects.
 */
export type TemplateFunction = (
  image: DetectedImage,
  variables: Readonly<Record<string, string>>,
) => KubernetesObject | readonly KubernetesObject[];

/** The Git target as templates see it: `{{ .GitRepoURL }}`, `{{ .GitBranch }}`, `{{ .GitPath }}`. */
export interface TemplateGitContext {
  readonly url: string;
  readonly branch: string;
  readonly path: string;
}

/** How manifests are produced from a detected image. Exactly one of `fn` and `yaml`. */
export interface TemplateConfig {
  /** A typed template function. */
  readonly fn?: TemplateFunction;
  /**
   * A YAML template (one or more `---`-separated documents) whose STRING VALUES may contain
   * placeholders: `{{ .ServiceName }}`, `{{ .ImageTag }}`, `{{ .ImageDigest }}`,
   * `{{ .FullImageName }}`, `{{ .ImageRepository }}`, `{{ .ImageName }}`, `{{ .TagPrefix }}`,
   * `{{ .Namespace }}`, `{{ .GitRepoURL }}`, `{{ .GitBranch }}`, `{{ .GitPath }}`, and every key
   * of `variables` (`{{ .team }}`), with the pipes `default "x"`, `replace "a" "b"`, `lower`,
   * `upper`, `trunc N`. Substitution happens in the parsed document, so values never change its
   * structure. Placeholders give strings, except that an unquoted scalar that is exactly one
   * number or boolean variable keeps its type (`replicas: {{ .replicas }}`).
   */
  readonly yaml?: string;
  /**
   * User variables (strings, finite numbers or booleans), available as `{{ .<key> }}` and passed
   * to `fn`.
   * @default {}
   */
  readonly variables?: Readonly<Record<string, TemplateValue>>;
  /** The value of `{{ .Namespace }}`. @default - empty (use `| default "..."`) */
  readonly namespace?: string;
  /**
   * The file (relative to the Git target's `path`) each image's manifests are written to, as a
   * template string with the same placeholders.
   * @default '{{ .ImageRepository }}/{{ .ImageTag }}.yaml'
   */
  readonly fileName?: string;
}

/** HTTPS token auth (sent as an HTTP Authorization header, never in the URL). */
export interface GitTokenAuth {
  readonly type: 'token';
  readonly token: string;
  /** Basic-auth user name paired with the token. @default 'x-access-token' */
  readonly username?: string;
}

/** HTTPS basic auth. */
export interface GitBasicAuth {
  readonly type: 'basic';
  readonly username: string;
  readonly password: string;
}

/** SSH key auth; host keys are always checked. */
export interface GitSshAuth {
  readonly type: 'ssh';
  /** The private key (OpenSSH PEM text). */
  readonly privateKey: string;
  /** The key's passphrase. @default - the key is not encrypted */
  readonly passphrase?: string;
  /** known_hosts lines for the server (StrictHostKeyChecking=yes). */
  readonly knownHosts: string;
}

/** Git credentials. Resolve them from secrets at run time; never log them. */
export type GitAuth = GitTokenAuth | GitBasicAuth | GitSshAuth;

/** A commit author / committer. */
export interface GitAuthor {
  readonly name: string;
  readonly email: string;
}

/** Where manifests are committed. */
export interface GitTarget {
  /**
   * Remote URL: `https://…`, `http://…`, `ssh://…`, `git@host:path`, or `file://…`. No credentials in
   * it: no user:password, no query string or fragment (`?access_token=…`).
   */
  readonly url: string;
  /** @default 'main' */
  readonly branch?: string;
  /** Directory inside the repository that jobforge manages: relative, no `..`. @default '' (the root) */
  readonly path?: string;
  /** @default - no credentials (file:// or a public/anonymous remote) */
  readonly auth?: GitAuth;
  /** @default { name: 'jobforge', email: 'jobforge@users.noreply.local' } */
  readonly author?: GitAuthor;
  /**
   * Commit message template. Placeholders: `{{ .Count }}` (files added/changed/removed),
   * `{{ .Added }}`, `{{ .Removed }}`, `{{ .Files }}` (newline-separated list), `{{ .Path }}`.
   * @default - a generated summary listing the files
   */
  readonly commitMessage?: string;
  /** Push attempts (fetch + rebase between them) before failing. @default 5 */
  readonly maxPushAttempts?: number;
}

/** Skipping images the cluster already runs. */
export interface DedupConfig {
  /**
   * `image`: skip when the exact image is used by some workload; `prefix`: skip when some
   * workload runs the same repository with the same tag prefix (GitOps owns its upgrades).
   * @default 'image'
   */
  readonly mode?: 'image' | 'prefix';
  /** A kubeconfig path or content. @default - $KUBECONFIG, ~/.kube/config or in-cluster */
  readonly kubeconfig?: string;
  /** How long the workload index is reused. @default 300 */
  readonly cacheTtlSeconds?: number;
}

/** The whole pipeline configuration (ImageResourcePolicy + ResourceTemplate + Git target). */
export interface ImagePipelineConfig {
  readonly ecr: EcrConfig;
  readonly policy: SelectionPolicy;
  readonly template: TemplateConfig;
  readonly git: GitTarget;
  /** @default - no cluster dedup (the Git tree check still applies) */
  readonly dedup?: DedupConfig;
  /**
   * Detected-image records of images no longer selected leave the outputs this many days after
   * they were detected; 0 keeps them forever (fractions of a day are allowed).
   * @default 7
   */
  readonly ttlDays?: number;
}

/** EcrConfig with its defaults applied. */
export interface ResolvedEcrConfig extends EcrConfig {
  readonly maxRepositories: number;
  readonly maxConcurrentScans: number;
  readonly scanTimeoutSeconds: number;
}

/** The validated configuration, defaults applied. */
export interface ResolvedPipelineConfig {
  readonly ecr: ResolvedEcrConfig;
  readonly policy: SelectionPolicy & { readonly perRepository: boolean };
  readonly template: TemplateConfig & {
    readonly variables: Readonly<Record<string, TemplateValue>>;
    readonly fileName: string;
    /** The Git target, for `{{ .GitRepoURL }}`, `{{ .GitBranch }}` and `{{ .GitPath }}`. */
    readonly git: TemplateGitContext;
  };
  readonly git: GitTarget & {
    readonly branch: string;
    readonly path: string;
    readonly author: GitAuthor;
    readonly maxPushAttempts: number;
  };
  readonly dedup?: DedupConfig & { readonly mode: 'image' | 'prefix'; readonly cacheTtlSeconds: number };
  readonly ttlDays: number;
}

// ---------------------------------------------------------------------------------------------
// Data between the stages
// ---------------------------------------------------------------------------------------------

/** One tag of one image in ECR (an image with three tags gives three candidates). */
export interface ImageCandidate {
  /** Repository name inside the registry, e.g. `team-a/api`. */
  readonly repository: string;
  /** Registry host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly registry: string;
  readonly tag: string;
  /** `sha256:…` */
  readonly digest: string;
  /** ISO 8601 push time (ECR's resolution is one second). */
  readonly pushedAt: string;
}

/** A selected image, with the names templates use. */
export interface DetectedImage extends ImageCandidate {
  /** The tag prefix (`dev`, `staging`, `prod`) for `prefix` dedup; undefined when none. */
  readonly tagPrefix?: string;
  /** `registry/repository:tag`. */
  readonly fullImageName: string;
  /** Last path segment of the repository (`api` of `team-a/api`). */
  readonly imageName: string;
  /** A DNS-1123 label derived from `imageName`, for object names. */
  readonly serviceName: string;
}

/** API calls made by a scan, by operation. */
export interface EcrApiCalls {
  readonly describeRepositories: number;
  readonly describeImages: number;
  readonly total: number;
}

/** What a scan found. */
export interface EcrScanResult {
  /** Candidates, sorted by repository, then tag. */
  readonly candidates: ImageCandidate[];
  /** The repositories scanned (matching, at most maxRepositories), sorted. */
  readonly repositories: string[];
  /** How many repositories matched the pattern (may exceed `repositories.length`). */
  readonly repositoriesMatched: number;
  readonly apiCalls: EcrApiCalls;
  readonly durationMs: number;
}

/** A rendered file: its path relative to the Git target's `path`, and its YAML. */
export interface RenderedManifest {
  readonly path: string;
  readonly content: string;
  /** The objects it holds (kind/namespace/name), for reports. */
  readonly objects: ReadonlyArray<{
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
  }>;
}

/** A file to write under the Git target's path. */
export interface GitFile {
  /** Relative to the target's `path`; `/`-separated; no `..`, not absolute. */
  readonly path: string;
  readonly content: string;
}

/**
 * `add-only`: write the given files, leave every other file alone (the pipeline).
 * `sync`: the managed path becomes exactly the given files (`jobforge publish`).
 */
export type GitWriteMode = 'add-only' | 'sync';

/** What a Git write did. Paths are relative to the repository root. */
export interface GitWriteResult {
  /** The pushed commit, or null when nothing changed (no commit made). */
  readonly commitSha: string | null;
  /** Files created or changed by the commit. */
  readonly written: string[];
  /** Files deleted by the commit (sync mode). */
  readonly removed: string[];
  /** Given files whose content was already in the branch. */
  readonly unchanged: string[];
  /** Push attempts made (0 when no commit). */
  readonly pushAttempts: number;
}

// ---------------------------------------------------------------------------------------------
// Signatures of the stages (implemented in the files named)
// ---------------------------------------------------------------------------------------------

/** config.ts: throws `'<field>' …, got <value>` on the first problem; never does I/O. */
export type ValidatePipelineConfig = (config: ImagePipelineConfig) => ResolvedPipelineConfig;

/** The subset of `@aws-sdk/client-ecr`'s ECRClient the scanner uses (a mock implements it in unit tests). */
export interface EcrClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** ecr-scanner.ts. `client` is for unit tests; by default the client is built from `config`. */
export type ScanEcr = (
  config: ResolvedEcrConfig,
  options?: { client?: EcrClientLike },
) => Promise<EcrScanResult>;

/** tag-selection.ts: candidates → the selected images, sorted by repository. */
export type SelectImages = (
  candidates: readonly ImageCandidate[],
  policy: SelectionPolicy,
) => DetectedImage[];

/** template.ts: one detected image → one file of manifests; throws before any Git work. */
export type RenderManifest = (template: TemplateConfig, image: DetectedImage) => RenderedManifest;

/** git-writer.ts. */
export type WriteGitFiles = (
  target: GitTarget,
  files: readonly GitFile[],
  options: { readonly mode: GitWriteMode; readonly log?: (line: string) => void },
) => Promise<GitWriteResult>;
