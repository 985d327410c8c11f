import { joinRepoPath } from '../git-path';
import { clusterSkip, SkipReasonCode } from '../pipeline/plan';
import type { CompiledTemplate } from '../pipeline/render';
import type { GitFile } from '../pipeline/types';
import type { WorkloadIndex } from '../workload-index';
import { metaTime, setCondition } from '../conditions';
import { detectedImageOf, ExistingResource, ImageDetected, ImageDetectedStatus } from './resources';

/**
 * The creation manager's reconcile, pure: for the ImageDetected objects of one Git target, which
 * to skip (the cluster already runs the image or its tag prefix, or the manifest is already on
 * the branch), which fail to render, and which manifests go into the one commit of the batch.
 */

/** The condition type of an ImageDetected. */
export const RESOURCE_CREATED = 'ResourceCreated';

/** Whether an ImageDetected still needs the creation manager: new, in progress, or its spec changed. */
export function needsProcessing(d: ImageDetected): boolean {
  const s = d.status;
  if (d.metadata.deletionTimestamp) return false;
  if (s === undefined || s.phase === undefined || s.phase === 'Pending' || s.phase === 'Processing')
    return true;
  return d.metadata.generation !== undefined && s.observedGeneration !== d.metadata.generation;
}

/** The decision for one image. */
export type CreationDecision =
  | {
      readonly kind: 'skip';
      readonly reasonCode: SkipReasonCode;
      readonly reason: string;
      readonly existing?: ExistingResource;
      readonly file?: string;
    }
  | { readonly kind: 'create'; readonly file: string; readonly manifest: GitFile }
  /** The manifest is on the branch and this object was Processing: a previous leader committed it. */
  | { readonly kind: 'committed-earlier'; readonly file: string }
  | { readonly kind: 'fail'; readonly reason: string; readonly message: string };

/** Inputs of {@link decideCreation}. */
export interface CreationContext {
  readonly template: CompiledTemplate;
  /** The managed path of the Git target (files are written relative to it). */
  readonly gitPath: string;
  /** Files on the branch, relative to the repository root. */
  readonly filesInGit: ReadonlySet<string>;
  readonly index: WorkloadIndex;
}

/** Decides what becomes of each object; every render error is a `fail`, never a throw. */
export function decideCreation(
  objects: readonly ImageDetected[],
  ctx: CreationContext,
): Map<string, CreationDecision> {
  const decisions = new Map<string, CreationDecision>();
  const files = new Map<string, string>();
  for (const d of objects) {
    const key = d.metadata.name;
    let image;
    let manifest;
    try {
      image = detectedImageOf(d.spec);
      manifest = ctx.template.render(image);
    } catch (err) {
      decisions.set(key, { kind: 'fail', reason: 'TemplateRenderFailed', message: (err as Error).message });
      continue;
    }
    const file = joinRepoPath(ctx.gitPath.replace(/\/+$/, ''), manifest.path);
    const skip = clusterSkip(ctx.index, image.tagPrefix !== undefined ? 'prefix' : 'image', image);
    if (skip) {
      decisions.set(key, {
        kind: 'skip',
        reasonCode: skip.reasonCode,
        reason: skip.reason,
        ...(skip.existing ? { existing: skip.existing } : {}),
        file,
      });
      continue;
    }
    if (ctx.filesInGit.has(file)) {
      decisions.set(
        key,
        d.status?.phase === 'Processing'
          ? { kind: 'committed-earlier', file }
          : {
              kind: 'skip',
              reasonCode: 'manifest-in-git',
              reason: `manifest ${file} is already on the branch`,
              file,
            },
      );
      continue;
    }
    const other = files.get(file);
    if (other !== undefined) {
      decisions.set(key, {
        kind: 'fail',
        reason: 'DuplicateFile',
        message: `'spec.template' gives the same file ${JSON.stringify(file)} for ${other} and ${d.spec.fullImageName}`,
      });
      continue;
    }
    files.set(file, d.spec.fullImageName);
    decisions.set(key, {
      kind: 'create',
      file,
      manifest: { path: manifest.path, content: manifest.content },
    });
  }
  return decisions;
}

/** The status an object gets for a decision (after the commit, for `create`). */
export function statusFor(
  d: ImageDetected,
  decision: CreationDecision,
  now: Date,
  commitSha?: string | null,
): ImageDetectedStatus {
  const generation = d.metadata.generation;
  const old = d.status ?? {};
  const cond = (status: 'True' | 'False', reason: string, message: string) =>
    setCondition(old.conditions, { type: RESOURCE_CREATED, status, reason, message }, generation, now);
  const done = { observedGeneration: generation, processedAt: metaTime(now) };
  switch (decision.kind) {
    case 'skip':
      return {
        ...done,
        phase: 'Skipped',
        resourceCreated: false,
        skipReason: decision.reason,
        ...(decision.existing ? { existingResource: decision.existing } : {}),
        conditions: cond('False', skipReasonName(decision.reasonCode), decision.reason),
      };
    case 'fail':
      return {
        ...done,
        phase: 'Failed',
        resourceCreated: false,
        conditions: cond('False', decision.reason, decision.message),
      };
    case 'committed-earlier':
      return {
        ...done,
        phase: 'Completed',
        resourceCreated: true,
        conditions: cond(
          'True',
          'Committed',
          `manifest ${decision.file} is on the branch (committed before a restart)`,
        ),
      };
    case 'create':
      return {
        ...done,
        phase: 'Completed',
        resourceCreated: true,
        ...(commitSha ? { gitCommitSHA: commitSha } : {}),
        conditions: cond(
          'True',
          'Committed',
          commitSha
            ? `manifest ${decision.file} committed in ${commitSha}`
            : `manifest ${decision.file} is on the branch`,
        ),
      };
  }
}

/** A skip reason code as a condition reason (CamelCase). */
export function skipReasonName(code: SkipReasonCode): string {
  return code
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/**
 * The ImageDetected objects past their policy's `ttlDays`, counted from `spec.detectedAt`.
 * Objects still being processed stay; `ttlDays` 0 keeps them forever.
 */
export function expiredImageDetected(
  objects: Iterable<ImageDetected>,
  ttlDaysOf: (d: ImageDetected) => number,
  now: Date,
): ImageDetected[] {
  const out: ImageDetected[] = [];
  for (const d of objects) {
    if (d.metadata.deletionTimestamp || needsProcessing(d)) continue;
    const ttlDays = ttlDaysOf(d);
    if (!(ttlDays > 0)) continue;
    const at = Date.parse(d.spec.detectedAt);
    if (Number.isFinite(at) && now.getTime() - at > ttlDays * 24 * 60 * 60 * 1000) out.push(d);
  }
  return out;
}
