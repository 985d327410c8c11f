import { Construct } from 'constructs';
import { JsonSchemaProps, KubeCustomResourceDefinition } from 'cdk8s-plus-28/lib/imports/k8s';
import type { CrdJsonSchema } from '../core/pipeline/crd-schema';

/** The API group of the image resource controller's custom resources (the operator's own group). */
export const IMAGE_RESOURCE_GROUP = 'automation.gitops.io';

/** The served and stored version of the image resource controller's custom resources. */
export const IMAGE_RESOURCE_VERSION = 'v1beta1';

/** `x-kubernetes-*` keys as cdk8s' JsonSchemaProps names them. */
const KUBE_KEYS: Record<string, string> = {
  'x-kubernetes-validations': 'xKubernetesValidations',
  'x-kubernetes-list-type': 'xKubernetesListType',
  'x-kubernetes-list-map-keys': 'xKubernetesListMapKeys',
};

/** A structural JSON Schema (JSON key names) as cdk8s' JsonSchemaProps. */
function toJsonSchemaProps(schema: CrdJsonSchema): JsonSchemaProps {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, CrdJsonSchema>).map(([k, v]) => [k, toJsonSchemaProps(v)]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toJsonSchemaProps(value as CrdJsonSchema);
    } else {
      out[KUBE_KEYS[key] ?? key] = value;
    }
  }
  return out as JsonSchemaProps;
}

/**
 * The OpenAPI v3 schemas of the three CRDs, derived from the one pipeline schema
 * (core/pipeline/schema.ts, through core/pipeline/crd-schema.ts). Loaded on first use: the
 * schema library is not loaded by `require('jobforge')`.
 */
export function imageResourceCrdOpenApiSchemas(): Readonly<Record<ImageResourceKind, JsonSchemaProps>> {
  const { imageResourceCrdSchemas } =
    require('../core/pipeline/crd-schema') as typeof import('../core/pipeline/crd-schema');
  const schemas = imageResourceCrdSchemas();
  return {
    ImageResourcePolicy: toJsonSchemaProps(schemas.ImageResourcePolicy),
    ResourceTemplate: toJsonSchemaProps(schemas.ResourceTemplate),
    ImageDetected: toJsonSchemaProps(schemas.ImageDetected),
  };
}

/** The kinds of the image resource controller. */
export type ImageResourceKind = 'ImageResourcePolicy' | 'ResourceTemplate' | 'ImageDetected';

interface CrdSpec {
  readonly kind: ImageResourceKind;
  readonly plural: string;
  readonly shortNames: string[];
  readonly columns: { name: string; type: string; jsonPath: string }[];
}

const CRDS: CrdSpec[] = [
  {
    kind: 'ImageResourcePolicy',
    plural: 'imageresourcepolicies',
    shortNames: ['irp'],
    columns: [
      { name: 'Region', type: 'string', jsonPath: '.spec.ecrRepository.region' },
      { name: 'Template', type: 'string', jsonPath: '.spec.templateRef.name' },
      { name: 'Last Scan', type: 'date', jsonPath: '.status.lastScannedTime' },
    ],
  },
  {
    kind: 'ResourceTemplate',
    plural: 'resourcetemplates',
    shortNames: ['rt'],
    columns: [
      { name: 'Repository', type: 'string', jsonPath: '.spec.gitRepository.url' },
      { name: 'Branch', type: 'string', jsonPath: '.spec.gitRepository.branch' },
    ],
  },
  {
    kind: 'ImageDetected',
    plural: 'imagedetecteds',
    shortNames: ['imgd'],
    columns: [
      { name: 'Image', type: 'string', jsonPath: '.spec.fullImageName' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Commit', type: 'string', jsonPath: '.status.gitCommitSHA' },
    ],
  },
];

/**
 * The CustomResourceDefinitions of the image resource controller: ImageResourcePolicy,
 * ResourceTemplate and ImageDetected (group `automation.gitops.io`, version `v1beta1`,
 * namespaced, with a status subresource). Their schemas derive from the one pipeline schema
 * (core/pipeline/schema.ts), so the apiserver accepts what `validatePipelineConfig` accepts.
 *
 * Construct IDs are the kinds.
 */
export class ImageResourceCrds extends Construct {
  /** The CRDs, by kind. */
  public readonly crds: Readonly<Record<string, KubeCustomResourceDefinition>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const crds: Record<string, KubeCustomResourceDefinition> = {};
    const schemas = imageResourceCrdOpenApiSchemas();
    for (const c of CRDS) {
      crds[c.kind] = new KubeCustomResourceDefinition(this, c.kind, {
        metadata: { name: `${c.plural}.${IMAGE_RESOURCE_GROUP}` },
        spec: {
          group: IMAGE_RESOURCE_GROUP,
          scope: 'Namespaced',
          names: {
            kind: c.kind,
            listKind: `${c.kind}List`,
            plural: c.plural,
            singular: c.kind.toLowerCase(),
            shortNames: c.shortNames,
            categories: ['image-resource-controller'],
          },
          versions: [
            {
              name: IMAGE_RESOURCE_VERSION,
              served: true,
              storage: true,
              schema: { openApiv3Schema: schemas[c.kind] },
              subresources: { status: {} },
              additionalPrinterColumns: [
                ...c.columns,
                { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
              ],
            },
          ],
        },
      });
    }
    this.crds = crds;
  }
}
