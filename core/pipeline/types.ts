/**
 * The image pipeline's data, as plain types. No I/O here.
 *
 * Data flow (one way; I/O only at the two edges marked [io]):
 *
 * ```
 ImagePipelineConfig (schema.ts: the one schema; the CRDs, Pulumi args and stack config derive from it)
 *   → validatePipelineConfig (validate.ts)      every field checked, defaults applied, BEFORE any API call
 *   → ResolvedPipelineConfig
 *   → scanEcr (../io/ecr.ts) [io]               DescribeRepositories + DescribeImages, paginated,
 *                                               bounded concurrency, timeout, adaptive retry
 *   → EcrScanResult { candidates: ImageCandidate[], apiCalls }
 *   → selectImages (select.ts)                  semver | alphabetical | numerical | pattern,
 *                                               per repository or across, deterministic ties
 *   → DetectedImage[] (+ tagPrefix, fullImageName, imageName, serviceName)
 *   → planPipeline (plan.ts)                    dedup (../workload-index.ts index + Git tree), records, TTL
 *   → renderManifest (render.ts)                function or YAML template; objects validated
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

import type {
  DedupConfig,
  GitTarget,
  ImagePipelineConfig,
  ResolvedEcrConfig,
  ResolvedSelectionPolicy,
  SelectionPolicy,
  TemplateConfig,
} from './schema';

export type {
  AlphabeticalPolicy,
  DedupConfig,
  EcrConfig,
  GitAuthSource,
  GitTarget,
  ImagePipelineConfig,
  ImagePipelineStackConfig,
  NumericalPolicy,
  PatternPolicy,
  ResolvedEcrConfig,
  ResolvedSelectionPolicy,
  SelectionPolicy,
  SemverPolicy,
  SortOrder,
  TemplateConfig,
} from './schema';

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

/** The validated configuration, defaults applied. */
export interface ResolvedPipelineConfig {
  readonly ecr: ResolvedEcrConfig;
  readonly policy: ResolvedSelectionPolicy;
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

/** validate.ts: throws `'<field>' …, got <value>` on the first problem; never does I/O. */
export type ValidatePipelineConfig = (config: ImagePipelineConfig) => ResolvedPipelineConfig;

/** The subset of `@aws-sdk/client-ecr`'s ECRClient the scanner uses (a mock implements it in unit tests). */
export interface EcrClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** ../io/ecr.ts. `client` is for unit tests; by default the client is built from `config`. */
export type ScanEcr = (
  config: ResolvedEcrConfig,
  options?: { client?: EcrClientLike },
) => Promise<EcrScanResult>;

/** select.ts: candidates → the selected images, sorted by repository. */
export type SelectImages = (
  candidates: readonly ImageCandidate[],
  policy: SelectionPolicy,
) => DetectedImage[];

/** render.ts: one detected image → one file of manifests; throws before any Git work. */
export type RenderManifest = (template: TemplateConfig, image: DetectedImage) => RenderedManifest;

/** git-writer.ts. */
export type WriteGitFiles = (
  target: GitTarget,
  files: readonly GitFile[],
  options: { readonly mode: GitWriteMode; readonly log?: (line: string) => void },
) => Promise<GitWriteResult>;
