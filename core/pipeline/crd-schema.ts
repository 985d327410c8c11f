import type * as Z from 'zod';
import { pipelineSchema } from './schema';

/**
 * The OpenAPI v3 schemas of the image resource controller's CRDs (ImageResourcePolicy,
 * ResourceTemplate, ImageDetected), derived from the one pipeline schema (schema.ts) with
 * `z.toJSONSchema`, so the apiserver and `validatePipelineConfig` check the same fields, types,
 * enums, limits and defaults. `toStructuralSchema` turns the JSON Schema into a Kubernetes
 * structural schema and refuses what a CRD cannot hold ($ref, anyOf, const …), so a schema
 * change that would break the CRD fails here, not at `kubectl apply`.
 *
 * Pure data: plain JSON Schema objects with Kubernetes' `x-kubernetes-*` keys.
 */

/** A JSON Schema object as a CRD's `openAPIV3Schema` holds it (JSON key names). */
export interface CrdJsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, CrdJsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: CrdJsonSchema;
  readonly additionalProperties?: CrdJsonSchema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly 'x-kubernetes-validations'?: ReadonlyArray<{ readonly rule: string; readonly message?: string }>;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

const ALLOWED = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'default',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]);

/**
 * A JSON Schema (from `z.toJSONSchema`) as a Kubernetes structural schema: every node has a
 * `type`; `additionalProperties: false` is dropped (the apiserver prunes unknown fields, and
 * rejects them under `fieldValidation=Strict`); `$schema` is dropped; any other keyword a
 * structural schema cannot hold throws, naming the path.
 */
export function toStructuralSchema(schema: unknown, path = '(root)'): CrdJsonSchema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`'${path}' must be a JSON Schema object, got ${JSON.stringify(schema)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    // zod bounds a bare integer by the safe-integer range; Kubernetes' int64 format says enough.
    if ((key === 'minimum' || key === 'maximum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER)
      continue;
    if (!ALLOWED.has(key)) {
      throw new Error(
        `'${path}' uses '${key}', which a CRD structural schema cannot hold (one type per field, no $ref/anyOf/const)`,
      );
    }
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          toStructuralSchema(v, `${path}.${k}`),
        ]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toStructuralSchema(value, `${path}.${key}`);
    } else {
      out[key] = value;
    }
  }
  if (typeof out.type !== 'string')
    throw new Error(`'${path}' has no type, which a CRD structural schema needs`);
  return out as CrdJsonSchema;
}

/** The statuses and the ImageDetected spec (the CRDs' own parts; the specs come from schema.ts). */
function crdParts(z: typeof Z) {
  const condition = z.object({
    type: z.string().max(316).meta({ description: 'Condition type in CamelCase.' }),
    status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'True, False or Unknown.' }),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .meta({ description: 'Programmatic identifier of the last transition, in CamelCase.' }),
    message: z.string().max(32768).meta({ description: 'Human-readable details of the last transition.' }),
    lastTransitionTime: z
      .string()
      .meta({ description: 'When the condition last changed.', format: 'date-time' }),
    observedGeneration: z
      .int()
      .min(0)
      .meta({ description: 'The .metadata.generation the condition was set from.', format: 'int64' })
      .optional(),
  });
  const conditions = z
    .array(condition.meta({ description: 'One aspect of the resource state.' }))
    .meta({
      description: 'The latest observations of the resource state.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    })
    .optional();
  const time = (description: string) => z.string().meta({ description, format: 'date-time' }).optional();
  const observedGeneration = z
    .int()
    .meta({ description: 'The last generation the controller observed.', format: 'int64' })
    .optional();
  const nonEmpty = (description: string) => z.string().min(1).meta({ description });
  const count = (description: string) => z.int().min(0).meta({ description, format: 'int32' }).optional();

  return {
    policyStatus: z
      .object({
        conditions,
        lastScannedTime: time('When the registry was last scanned.'),
        observedGeneration,
        repositoriesScanned: count('Repositories the last scan read.'),
        repositoriesMatched: count('Repositories matching the pattern (may exceed maxRepositories).'),
        imagesDetected: count('Images the last scan selected.'),
        imageDetectedCreated: count('ImageDetected objects the last scan created.'),
      })
      .meta({ description: 'What the detection manager observed.' }),
    templateStatus: z
      .object({
        conditions,
        lastValidated: time('When the template was last validated.'),
        observedGeneration,
      })
      .meta({ description: 'What the creation manager observed.' }),
    detectedSpec: z
      .object({
        imageName: nonEmpty('Base name of the image, e.g. web-app.'),
        imageTag: nonEmpty('Tag of the image, e.g. v1.2.3.'),
        imageDigest: z
          .string()
          .regex(/^sha256:[a-f0-9]{64}$/)
          .meta({ description: 'Content digest of the image.' }),
        fullImageName: nonEmpty('Full reference: registry/repository:tag.'),
        tagPrefix: z
          .string()
          .meta({ description: 'Tag prefix extracted by the policy (dev, staging, prod), for prefix dedup.' })
          .optional(),
        sourcePolicy: z
          .object({
            name: nonEmpty('Name of the policy.'),
            namespace: z.string().meta({ description: 'Namespace of the policy.' }).optional(),
          })
          .meta({ description: 'The ImageResourcePolicy that selected the image.' }),
        detectedAt: z.string().meta({ description: 'When the image was detected.', format: 'date-time' }),
      })
      .meta({ description: 'The detected image.' }),
    detectedStatus: z
      .object({
        conditions,
        phase: z
          .enum(['Pending', 'Processing', 'Completed', 'Skipped', 'Failed'])
          .default('Pending')
          .meta({ description: 'Lifecycle phase.' }),
        resourceCreated: z
          .boolean()
          .default(false)
          .meta({ description: 'Whether manifests were committed for the image.' }),
        skipReason: z
          .string()
          .meta({ description: 'Why no manifests were committed, naming the existing resource.' })
          .optional(),
        existingResource: z
          .object({
            kind: z.string().meta({ description: 'Kind of the workload.' }).optional(),
            namespace: z.string().meta({ description: 'Namespace of the workload.' }).optional(),
            name: z.string().meta({ description: 'Name of the workload.' }).optional(),
            container: z.string().meta({ description: 'The container running the image.' }).optional(),
          })
          .meta({ description: 'The workload that already runs the image (or its tag prefix).' })
          .optional(),
        gitCommitSHA: z.string().meta({ description: 'Commit holding the rendered manifests.' }).optional(),
        processedAt: time('When processing finished.'),
        observedGeneration,
      })
      .meta({ description: 'What the creation manager did with the image.' }),
  };
}

/** The three CRDs' schemas, by kind. */
export interface ImageResourceCrdSchemas {
  readonly ImageResourcePolicy: CrdJsonSchema;
  readonly ResourceTemplate: CrdJsonSchema;
  readonly ImageDetected: CrdJsonSchema;
}

let cached: ImageResourceCrdSchemas | undefined;

/** The OpenAPI v3 schemas of ImageResourcePolicy, ResourceTemplate and ImageDetected. */
export function imageResourceCrdSchemas(): ImageResourceCrdSchemas {
  if (cached) return cached;
  const z = require('zod') as typeof Z;
  const s = pipelineSchema();
  const parts = crdParts(z);
  const json = (schema: Z.ZodType, path: string): CrdJsonSchema =>
    toStructuralSchema(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }), path);
  const resource = (
    kind: string,
    description: string,
    spec: Z.ZodType,
    status: Z.ZodType,
  ): CrdJsonSchema => ({
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: json(spec, `${kind}.spec`),
      status: json(status, `${kind}.status`),
    },
  });
  cached = {
    ImageResourcePolicy: resource(
      'ImageResourcePolicy',
      'ImageResourcePolicy selects images from ECR repositories and records them as ImageDetected resources.',
      s.imageResourcePolicySpec,
      parts.policyStatus,
    ),
    ResourceTemplate: resource(
      'ResourceTemplate',
      'ResourceTemplate renders Kubernetes manifests for a detected image and commits them to a Git repository.',
      s.resourceTemplateSpec,
      parts.templateStatus,
    ),
    ImageDetected: resource(
      'ImageDetected',
      'ImageDetected records one image selected by an ImageResourcePolicy.',
      parts.detectedSpec,
      parts.detectedStatus,
    ),
  };
  return cached;
}
