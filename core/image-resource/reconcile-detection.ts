import type { DetectedImage } from '../pipeline/types';
import { metaTime, setCondition } from '../conditions';
import {
  IMAGE_RESOURCE_API,
  ImageDetected,
  ImageResourcePolicy,
  ImageResourcePolicyStatus,
  imageDetectedName,
  POLICY_LABEL,
} from './resources';

/**
 * The detection manager's reconcile, pure: from a policy, the images its scan selected and the
 * ImageDetected objects that exist, to the objects to create or update and the policy's status.
 * The loop around it (bin/commands/controller.ts) only scans, applies and writes status.
 */

/** The Ready condition type of a policy. */
export const READY = 'Ready';

/** What a scan of one policy found (or why it could not run). */
export type ScanOutcome =
  | {
      readonly kind: 'scanned';
      readonly selected: readonly DetectedImage[];
      readonly repositoriesScanned: number;
      readonly repositoriesMatched: number;
    }
  | { readonly kind: 'invalid'; readonly reason: string; readonly message: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string }
  | { readonly kind: 'suspended' };

/** What to do for one policy. */
export interface DetectionActions {
  /** New ImageDetected objects. */
  readonly create: ImageDetected[];
  /** Existing objects whose spec changes (the tag now points at another digest). */
  readonly update: ImageDetected[];
  /** The policy's new status. */
  readonly status: ImageResourcePolicyStatus;
  /** An Event on the policy, when something worth telling happened. */
  readonly event?: { readonly type: 'Normal' | 'Warning'; readonly reason: string; readonly message: string };
}

/** The ImageDetected object of one selected image. */
export function imageDetectedFor(
  policy: ImageResourcePolicy,
  image: DetectedImage,
  now: Date,
): ImageDetected {
  const name = imageDetectedName(policy.metadata.name, image);
  return {
    apiVersion: IMAGE_RESOURCE_API,
    kind: 'ImageDetected',
    metadata: {
      name,
      namespace: policy.metadata.namespace ?? 'default',
      labels: {
        [POLICY_LABEL]: policy.metadata.name,
        'app.kubernetes.io/managed-by': 'jobforge',
      },
    },
    spec: {
      imageName: image.imageName,
      imageTag: image.tag,
      imageDigest: image.digest,
      fullImageName: image.fullImageName,
      ...(image.tagPrefix !== undefined && image.tagPrefix !== '' ? { tagPrefix: image.tagPrefix } : {}),
      sourcePolicy: { name: policy.metadata.name, namespace: policy.metadata.namespace ?? 'default' },
      detectedAt: metaTime(now),
    },
  };
}

/**
 * Reconciles one policy. `existing` are the ImageDetected objects in the policy's namespace
 * (any policy's; only those named for this policy's images are looked at). An object that exists
 * with the same digest is left alone; with another digest its spec is updated (and the creation
 * manager processes it again, its generation having changed).
 */
export function reconcileDetection(
  policy: ImageResourcePolicy,
  outcome: ScanOutcome,
  existing: ReadonlyMap<string, ImageDetected>,
  now: Date,
): DetectionActions {
  const generation = policy.metadata.generation;
  const old = policy.status ?? {};
  const base: ImageResourcePolicyStatus = { ...old, observedGeneration: generation };
  const ready = (status: 'True' | 'False', reason: string, message: string) =>
    setCondition(old.conditions, { type: READY, status, reason, message }, generation, now);
  switch (outcome.kind) {
    case 'suspended':
      return {
        create: [],
        update: [],
        status: {
          ...base,
          conditions: ready('False', 'Suspended', 'spec.suspend is true: the registry is not scanned'),
        },
      };
    case 'invalid':
    case 'failed':
      return {
        create: [],
        update: [],
        status: {
          ...base,
          conditions: ready('False', outcome.reason, outcome.message),
        },
        event: { type: 'Warning', reason: outcome.reason, message: outcome.message },
      };
    case 'scanned': {
      const create: ImageDetected[] = [];
      const update: ImageDetected[] = [];
      for (const image of outcome.selected) {
        const wanted = imageDetectedFor(policy, image, now);
        const have = existing.get(wanted.metadata.name);
        if (have === undefined) create.push(wanted);
        else if (have.spec.imageDigest !== image.digest) {
          update.push({ ...have, spec: { ...wanted.spec } });
        }
      }
      const message =
        `scanned ${outcome.repositoriesScanned} of ${outcome.repositoriesMatched} matching repositories; ` +
        `${outcome.selected.length} image(s) selected, ${create.length} new, ${update.length} re-pushed`;
      return {
        create,
        update,
        status: {
          ...base,
          lastScannedTime: metaTime(now),
          repositoriesScanned: outcome.repositoriesScanned,
          repositoriesMatched: outcome.repositoriesMatched,
          imagesDetected: outcome.selected.length,
          imageDetectedCreated: create.length,
          conditions: ready('True', 'Scanned', message),
        },
        ...(create.length + update.length > 0
          ? {
              event: {
                type: 'Normal' as const,
                reason: 'ImagesDetected',
                message: `detected ${[...create, ...update].map((d) => d.spec.fullImageName).join(', ')}`,
              },
            }
          : {}),
      };
    }
  }
}

/**
 * When a policy is next due: `interval` after its last scan, at once when its spec changed since
 * (generation ≠ observedGeneration) or when it was never scanned.
 */
export function nextScanAt(
  policy: ImageResourcePolicy,
  lastScanMs: number | undefined,
  intervalMs: number,
): number {
  const observed = policy.status?.observedGeneration;
  if (policy.metadata.generation !== undefined && observed !== policy.metadata.generation) return 0;
  const last = lastScanMs ?? Date.parse(policy.status?.lastScannedTime ?? '');
  return Number.isFinite(last) ? last + intervalMs : 0;
}
