import type {
  DetectedImage,
  EcrApiCalls,
  EcrScanResult,
  GitFile,
  GitWriteResult,
  ImageCandidate,
  ImagePipelineConfig,
  RenderedManifest,
  ResolvedEcrConfig,
  ResolvedPipelineConfig,
  SelectionPolicy,
  TemplateConfig,
} from './types';
import type { WorkloadImageUse, WorkloadIndex } from '../workload-index';
import { joinRepoPath } from '../git-path';

/**
 * The image pipeline as one function: validate → scan → select → render → dedup (cluster
 * workload index, Git tree) → one Git write → outputs. Pure composition: every stage and every
 * I/O edge is passed in, so the whole flow runs in unit tests with fakes and in the Pulumi
 * provider with the real scanner, cluster and Git remote.
 */

/** The pure stages (implemented in validate.ts, select.ts and render.ts; stages.ts composes them). */
export interface PipelineStages {
  readonly validate: (config: ImagePipelineConfig) => ResolvedPipelineConfig;
  readonly select: (candidates: readonly ImageCandidate[], policy: SelectionPolicy) => DetectedImage[];
  readonly render: (template: TemplateConfig, image: DetectedImage) => RenderedManifest;
}

/** The I/O edges. */
export interface PipelineIo {
  /** Scans ECR. */
  readonly scan: (ecr: ResolvedEcrConfig) => Promise<EcrScanResult>;
  /**
   * The cluster's workload index (cached by the caller for `dedup.cacheTtlSeconds`). Only
   * called when `dedup` is configured.
   */
  readonly workloadIndex?: (
    dedup: NonNullable<ResolvedPipelineConfig['dedup']>,
  ) => Promise<{ readonly index: WorkloadIndex; readonly apiCalls: number }>;
  /**
   * The files that exist on the target branch under the target's `path`, relative to the
   * repository root (`/`-separated). An empty set when the branch does not exist yet.
   */
  readonly listGitFiles: (git: ResolvedPipelineConfig['git']) => Promise<ReadonlySet<string>>;
  /** Writes the files (relative to the target's `path`) in one commit, add-only, never forcing the push. */
  readonly writeGitFiles: (
    git: ResolvedPipelineConfig['git'],
    files: readonly GitFile[],
  ) => Promise<GitWriteResult>;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
}

/** The workload that made an image redundant. */
export interface ExistingWorkload {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
}

/** Why an image got no new manifest. */
export type SkipReasonCode = 'image-in-cluster' | 'prefix-in-cluster' | 'manifest-in-git' | 'created-earlier';

/**
 * One detected image as the stack remembers it (JSON-safe: strings, numbers, booleans, null).
 * Records survive across runs and leave the outputs `ttlDays` after `detectedAt` once their
 * image is no longer selected.
 */
export interface DetectedRecord {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly pushedAt: string;
  readonly fullImageName: string;
  readonly tagPrefix: string | null;
  /** When a run first detected this image (ISO 8601). */
  readonly detectedAt: string;
  /** `created`: its manifest was committed by this stack; `skipped`: see `reason`. */
  readonly status: 'created' | 'skipped';
  /** The manifest file, relative to the repository root. */
  readonly file: string;
  readonly reasonCode: SkipReasonCode | null;
  readonly reason: string | null;
  readonly existing: ExistingWorkload | null;
  /** The commit that added the manifest (status `created`). */
  readonly commitSha: string | null;
}

/** A skip of the latest run. */
export interface SkippedImage {
  readonly fullImageName: string;
  readonly file: string;
  readonly reasonCode: SkipReasonCode;
  readonly reason: string;
  readonly existing: ExistingWorkload | null;
}

/** API calls made by one run. */
export interface PipelineApiCalls {
  readonly ecr: EcrApiCalls;
  /** Kubernetes list calls (0 when the workload index came from the cache or dedup is off). */
  readonly kubernetes: number;
}

/** What a run plans, before any Git write. */
export interface PipelinePlan {
  readonly config: ResolvedPipelineConfig;
  /** The images selected by this run. */
  readonly detected: DetectedImage[];
  /**
   * The manifests to commit, sorted: `manifest.path` is relative to the target's `path` (what
   * the writer takes), `file` relative to the repository root (what reports show).
   */
  readonly toCreate: ReadonlyArray<{
    readonly image: DetectedImage;
    readonly file: string;
    readonly manifest: GitFile;
  }>;
  readonly skipped: SkippedImage[];
  /** The records the stack keeps after this run, assuming the write succeeds. */
  readonly records: DetectedRecord[];
  /** Records that left because of `ttlDays`. */
  readonly expired: DetectedRecord[];
  readonly apiCalls: PipelineApiCalls;
  readonly repositoriesScanned: number;
  readonly repositoriesMatched: number;
}

/** The outputs of a run (JSON-safe). */
export interface PipelineOutputs {
  /** Detected-image records: this run's selection and earlier ones not yet past `ttlDays`. */
  readonly detected: DetectedRecord[];
  /** Files the run committed, relative to the repository root. */
  readonly createdFiles: string[];
  readonly skipped: SkippedImage[];
  /** The run's commit, or null when it committed nothing. */
  readonly commitSha: string | null;
  readonly apiCalls: PipelineApiCalls;
  readonly repositoriesScanned: number;
  readonly repositoriesMatched: number;
  /** When the run finished (ISO 8601). */
  readonly ranAt: string;
}

/** Options of {@link planPipeline} and {@link runPipeline}. */
export interface RunOptions {
  /** The records of the previous run (the stack's state). @default [] */
  readonly previous?: readonly DetectedRecord[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Plans a run: everything up to (not including) the Git write. Reads ECR, the cluster and Git. */
export async function planPipeline(
  config: ImagePipelineConfig,
  stages: PipelineStages,
  io: PipelineIo,
  options: RunOptions = {},
): Promise<PipelinePlan> {
  const resolved = stages.validate(config);
  const now = (io.now ?? (() => new Date()))();
  const scan = await io.scan(resolved.ecr);
  const detected = stages.select(scan.candidates, resolved.policy);

  // Render every selected image first: a bad template fails the run before any Git work.
  const rendered = detected.map((image) => {
    const manifest = stages.render(resolved.template, image);
    return { image, file: joinRepoPath(resolved.git.path.replace(/\/+$/, ''), manifest.path), manifest };
  });
  const byFile = new Map<string, DetectedImage>();
  for (const r of rendered) {
    const other = byFile.get(r.file);
    if (other) {
      throw new Error(
        `'template.fileName' gives the same file ${JSON.stringify(r.file)} for ${other.fullImageName} and ${r.image.fullImageName}; include {{ .ImageTag }} or {{ .ImageRepository }} in it`,
      );
    }
    byFile.set(r.file, r.image);
  }

  let kubernetesCalls = 0;
  let index: WorkloadIndex | undefined;
  if (resolved.dedup && io.workloadIndex) {
    const built = await io.workloadIndex(resolved.dedup);
    index = built.index;
    kubernetesCalls = built.apiCalls;
  }
  const inGit = await io.listGitFiles(resolved.git);

  const previousByKey = new Map((options.previous ?? []).map((r) => [recordKey(r), r]));
  const toCreate: { image: DetectedImage; file: string; manifest: GitFile }[] = [];
  const skipped: SkippedImage[] = [];
  for (const r of rendered) {
    const skip =
      clusterSkip(index, resolved.dedup?.mode, r.image) ??
      gitSkip(inGit, resolved.git.branch, r.file) ??
      createdEarlier(previousByKey.get(recordKey(r.image)));
    if (skip) skipped.push({ fullImageName: r.image.fullImageName, file: r.file, ...skip });
    else {
      toCreate.push({
        image: r.image,
        file: r.file,
        manifest: { path: r.manifest.path, content: r.manifest.content },
      });
    }
  }
  toCreate.sort((a, b) => cmp(a.file, b.file));

  const { records, expired } = mergeRecords(
    options.previous ?? [],
    detected,
    rendered,
    skipped,
    resolved.ttlDays,
    now,
  );
  return {
    config: resolved,
    detected,
    toCreate,
    skipped,
    records,
    expired,
    apiCalls: { ecr: scan.apiCalls, kubernetes: kubernetesCalls },
    repositoriesScanned: scan.repositories.length,
    repositoriesMatched: scan.repositoriesMatched,
  };
}

/** Runs the pipeline: {@link planPipeline}, then one Git write when there is anything new. */
export async function runPipeline(
  config: ImagePipelineConfig,
  stages: PipelineStages,
  io: PipelineIo,
  options: RunOptions = {},
): Promise<PipelineOutputs> {
  const plan = await planPipeline(config, stages, io, options);
  return applyPlan(plan, io);
}

/** Writes a plan's manifests (one commit, none when there is nothing new) and gives the outputs. */
export async function applyPlan(plan: PipelinePlan, io: PipelineIo): Promise<PipelineOutputs> {
  let commitSha: string | null = null;
  let createdFiles: string[] = [];
  if (plan.toCreate.length > 0) {
    const result = await io.writeGitFiles(
      plan.config.git,
      plan.toCreate.map((c) => c.manifest),
    );
    commitSha = result.commitSha;
    createdFiles = [...result.written].sort();
  }
  const created = new Set(createdFiles);
  const records = plan.records.map((r) =>
    r.status === 'created' && r.commitSha === null
      ? { ...r, commitSha: created.has(r.file) ? commitSha : null }
      : r,
  );
  const now = (io.now ?? (() => new Date()))();
  return {
    detected: records,
    createdFiles,
    skipped: plan.skipped,
    commitSha,
    apiCalls: plan.apiCalls,
    repositoriesScanned: plan.repositoriesScanned,
    repositoriesMatched: plan.repositoriesMatched,
    ranAt: now.toISOString(),
  };
}

/** Whether applying `plan` over the `previous` records would change anything. */
export function planChangesState(plan: PipelinePlan, previous: readonly DetectedRecord[]): boolean {
  return plan.toCreate.length > 0 || JSON.stringify(plan.records) !== JSON.stringify(previous);
}

/** Why the cluster makes an image redundant: the exact image runs, or (prefix mode) its repository with the same tag prefix. */
export function clusterSkip(
  index: WorkloadIndex | undefined,
  mode: 'image' | 'prefix' | undefined,
  image: DetectedImage,
): Omit<SkippedImage, 'fullImageName' | 'file'> | undefined {
  if (!index) return undefined;
  const exact = index.findImage(image.fullImageName, image.digest)[0];
  if (exact) {
    return {
      reasonCode: 'image-in-cluster',
      reason: `image ${image.fullImageName} is already used by ${describe(exact)}`,
      existing: existingOf(exact),
    };
  }
  if (mode === 'prefix' && image.tagPrefix !== undefined && image.tagPrefix !== '') {
    const same = index.findPrefix(`${image.registry}/${image.repository}`, image.tagPrefix)[0];
    if (same) {
      return {
        reasonCode: 'prefix-in-cluster',
        reason: `${image.registry}/${image.repository} with tag prefix ${JSON.stringify(image.tagPrefix)} already runs as ${same.image} in ${describe(same)}; GitOps owns its upgrades`,
        existing: existingOf(same),
      };
    }
  }
  return undefined;
}

function gitSkip(
  inGit: ReadonlySet<string>,
  branch: string,
  file: string,
): Omit<SkippedImage, 'fullImageName' | 'file'> | undefined {
  if (!inGit.has(file)) return undefined;
  return {
    reasonCode: 'manifest-in-git',
    reason: `manifest ${file} is already on branch ${branch}`,
    existing: null,
  };
}

/** A manifest this stack committed before and someone removed since: not written again. */
function createdEarlier(
  old: DetectedRecord | undefined,
): Omit<SkippedImage, 'fullImageName' | 'file'> | undefined {
  if (old?.status !== 'created') return undefined;
  return {
    reasonCode: 'created-earlier',
    reason: `manifest ${old.file} was committed by this stack${old.commitSha ? ` in ${old.commitSha}` : ''} and removed from Git since; it is not written again`,
    existing: null,
  };
}

function mergeRecords(
  previous: readonly DetectedRecord[],
  detected: readonly DetectedImage[],
  rendered: ReadonlyArray<{ image: DetectedImage; file: string }>,
  skipped: readonly SkippedImage[],
  ttlDays: number,
  now: Date,
): { records: DetectedRecord[]; expired: DetectedRecord[] } {
  const byKey = new Map(previous.map((r) => [recordKey(r), r]));
  const fileOf = new Map(rendered.map((r) => [r.image, r.file]));
  const skipOf = new Map(skipped.map((s) => [s.file, s]));
  const selected = new Set<string>();
  const records: DetectedRecord[] = [];
  for (const image of detected) {
    const key = recordKey(image);
    selected.add(key);
    const old = byKey.get(key);
    const file = fileOf.get(image)!;
    const skip = skipOf.get(file);
    if (old && (skip || old.status === 'created')) {
      // Known image: its record stands (a created manifest now found in Git is the same one).
      records.push(old);
      continue;
    }
    records.push({
      registry: image.registry,
      repository: image.repository,
      tag: image.tag,
      digest: image.digest,
      pushedAt: image.pushedAt,
      fullImageName: image.fullImageName,
      tagPrefix: image.tagPrefix ?? null,
      detectedAt: old?.detectedAt ?? now.toISOString(),
      status: skip ? 'skipped' : 'created',
      file,
      reasonCode: skip?.reasonCode ?? null,
      reason: skip?.reason ?? null,
      existing: skip?.existing ?? null,
      commitSha: null,
    });
  }
  const expired: DetectedRecord[] = [];
  for (const old of previous) {
    if (selected.has(recordKey(old))) continue;
    const age = now.getTime() - Date.parse(old.detectedAt);
    if (ttlDays > 0 && age > ttlDays * DAY_MS) expired.push(old);
    else records.push(old);
  }
  records.sort((a, b) => cmp(a.file, b.file) || cmp(recordKey(a), recordKey(b)));
  return { records, expired };
}

function recordKey(r: { registry: string; repository: string; tag: string; digest: string }): string {
  return `${r.registry}/${r.repository}:${r.tag}@${r.digest}`;
}

function describe(u: WorkloadImageUse): string {
  return `${u.kind} ${u.namespace}/${u.name} (${containerLabel(u)} ${u.container})`;
}

function containerLabel(u: WorkloadImageUse): string {
  return u.containerType === 'initContainer'
    ? 'init container'
    : u.containerType === 'ephemeralContainer'
      ? 'ephemeral container'
      : 'container';
}

function existingOf(u: WorkloadImageUse): ExistingWorkload {
  return { kind: u.kind, namespace: u.namespace, name: u.name, container: u.container };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
