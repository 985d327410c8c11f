import { Construct } from 'constructs';
import { JsonSchemaProps, KubeCustomResourceDefinition } from 'cdk8s-plus-28/lib/imports/k8s';

/** The API group of the image resource controller's custom resources (the operator's own group). */
export const IMAGE_RESOURCE_GROUP = 'automation.gitops.io';

/** The served and stored version of the image resource controller's custom resources. */
export const IMAGE_RESOURCE_VERSION = 'v1beta1';

const str = (description: string, extra: Partial<JsonSchemaProps> = {}): JsonSchemaProps => ({
  type: 'string',
  description,
  ...extra,
});

const obj = (
  description: string,
  properties: Record<string, JsonSchemaProps>,
  extra: Partial<JsonSchemaProps> = {},
): JsonSchemaProps => ({ type: 'object', description, properties, ...extra });

const secretRef = obj(
  'A Secret in the same namespace as the resource that refers to it.',
  { name: str('Name of the Secret.', { minLength: 1 }) },
  { required: ['name'] },
);

/** metav1.Condition, as Kubernetes API conventions define it. */
const conditions: JsonSchemaProps = {
  type: 'array',
  description: 'The latest observations of the resource state.',
  xKubernetesListType: 'map',
  xKubernetesListMapKeys: ['type'],
  items: obj(
    'One aspect of the resource state.',
    {
      type: str('Condition type in CamelCase.', { maxLength: 316 }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      reason: str('Programmatic identifier of the last transition, in CamelCase.', {
        maxLength: 1024,
        minLength: 1,
      }),
      message: str('Human-readable details of the last transition.', { maxLength: 32768 }),
      lastTransitionTime: str('When the condition last changed.', { format: 'date-time' }),
      observedGeneration: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description: 'The .metadata.generation the condition was set from.',
      },
    },
    { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
  ),
};

const observedGeneration: JsonSchemaProps = {
  type: 'integer',
  format: 'int64',
  description: 'The last generation the controller observed.',
};

const count = (description: string): JsonSchemaProps => ({
  type: 'integer',
  format: 'int32',
  minimum: 0,
  description,
});

const order = (what: string): JsonSchemaProps =>
  obj(`Select the ${what} tag: desc picks the highest, asc the lowest.`, {
    order: str('asc or desc.', { enum: ['asc', 'desc'], default: 'desc' }),
  });

/** ImageResourcePolicy: which ECR images to detect and how to pick among their tags. */
export const IMAGE_RESOURCE_POLICY_SCHEMA: JsonSchemaProps = obj(
  'ImageResourcePolicy selects images from ECR repositories and records them as ImageDetected resources.',
  {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: obj(
      'The repositories to scan, the selection policy and the template to render.',
      {
        ecrRepository: obj(
          'The ECR registry and the repositories or images to scan. Exactly one of repositoryPattern, imageNamePattern and imagePattern is set.',
          {
            region: str('AWS region of the registry, e.g. us-east-1.', { minLength: 1 }),
            registryId: str('AWS account ID of the registry. Default: the caller account.', {
              pattern: '^[0-9]{12}$',
            }),
            repositoryPattern: str('Glob over repository names, e.g. team-a/* or service-*.', {
              minLength: 1,
            }),
            imageNamePattern: str(
              'Glob over the last path segment of repository names, across all repositories, e.g. *-service.',
              { minLength: 1 },
            ),
            imagePattern: str('Glob over repository:tag, e.g. team-a/*:v* or */nginx:stable-*.', {
              minLength: 1,
            }),
            maxRepositories: {
              type: 'integer',
              format: 'int32',
              minimum: 1,
              maximum: 200,
              default: 50,
              description: 'Most repositories scanned per run.',
            },
            maxConcurrentScans: {
              type: 'integer',
              format: 'int32',
              minimum: 1,
              maximum: 50,
              default: 10,
              description: 'Most repositories scanned at the same time.',
            },
            scanTimeout: str('Time limit of one whole scan, as a Go duration (e.g. 90s, 5m).', {
              pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
              default: '5m',
            }),
          },
          {
            required: ['region'],
            xKubernetesValidations: [
              {
                rule: '[has(self.repositoryPattern), has(self.imageNamePattern), has(self.imagePattern)].filter(x, x).size() == 1',
                message: 'exactly one of repositoryPattern, imageNamePattern and imagePattern must be set',
              },
            ],
          },
        ),
        policy: obj(
          'How one tag is chosen among the candidates. Exactly one of semver, alphabetical, numerical and pattern is set.',
          {
            perRepository: {
              type: 'boolean',
              default: false,
              description: 'Select one image per repository instead of one across all repositories.',
            },
            semver: obj(
              'Pick the highest tag within a semver range (a leading v is accepted).',
              { range: str('A semver range, e.g. >=1.0.0 or ~1.2.0.', { minLength: 1 }) },
              { required: ['range'] },
            ),
            alphabetical: order('alphabetically highest or lowest'),
            numerical: order('numerically highest or lowest'),
            pattern: obj(
              'Keep tags matching a regular expression and order them by an extracted value.',
              {
                regex: str('Regular expression the whole tag must match.', { minLength: 1 }),
                extract: str(
                  'Replacement naming the groups to order by, e.g. $ts or $1. Default: the whole tag.',
                ),
                extractPrefix: {
                  type: 'boolean',
                  default: false,
                  description: 'Take the first capture group as the tag prefix (dev, staging, prod).',
                },
              },
              { required: ['regex'] },
            ),
          },
          {
            xKubernetesValidations: [
              {
                rule: '[has(self.semver), has(self.alphabetical), has(self.numerical), has(self.pattern)].filter(x, x).size() == 1',
                message: 'exactly one of semver, alphabetical, numerical and pattern must be set',
              },
            ],
          },
        ),
        templateRef: obj(
          'The ResourceTemplate rendered for each detected image.',
          {
            name: str('Name of the ResourceTemplate.', { minLength: 1 }),
            namespace: str('Namespace of the ResourceTemplate. Default: the policy namespace.'),
          },
          { required: ['name'] },
        ),
        aws: obj('How the detection manager authenticates to AWS. Default: its own credentials (IRSA).', {
          roleArn: str('IAM role to assume for the scan.', {
            pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$',
          }),
          secretRef,
        }),
        suspend: { type: 'boolean', default: false, description: 'Stop processing this policy.' },
        scanInterval: str(
          "How often the registry is scanned, as a Go duration (e.g. 30s, 5m). Default: the detection manager's --scan-interval (5m).",
          {
            pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
          },
        ),
        ttlDays: {
          type: 'integer',
          format: 'int32',
          minimum: 0,
          maximum: 365,
          default: 7,
          description: 'Days after which ImageDetected resources of this policy are removed; 0 keeps them.',
        },
      },
      { required: ['ecrRepository', 'policy', 'templateRef'] },
    ),
    status: obj('What the detection manager observed.', {
      conditions,
      lastScannedTime: str('When the registry was last scanned.', { format: 'date-time' }),
      observedGeneration,
      repositoriesScanned: count('Repositories the last scan read.'),
      repositoriesMatched: count('Repositories matching the pattern (may exceed maxRepositories).'),
      imagesDetected: count('Images the last scan selected.'),
      imageDetectedCreated: count('ImageDetected objects the last scan created.'),
    }),
  },
);

/** ResourceTemplate: the manifests rendered for a detected image, and where they are committed. */
export const RESOURCE_TEMPLATE_SCHEMA: JsonSchemaProps = obj(
  'ResourceTemplate renders Kubernetes manifests for a detected image and commits them to a Git repository.',
  {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: obj(
      'The template, its variables and the Git target.',
      {
        template: str(
          'YAML of one or more documents with placeholders such as {{ .ServiceName }}, {{ .ImageTag }}, {{ .FullImageName }}.',
          { minLength: 1 },
        ),
        variables: {
          type: 'object',
          description: 'Extra values available to the template by name.',
          additionalProperties: { type: 'string' },
        },
        gitRepository: obj(
          'The GitOps repository the rendered manifests are committed to.',
          {
            url: str('Clone URL (https://, ssh:// or git@host:path).', { minLength: 1 }),
            branch: str('Branch to commit to.', { default: 'main' }),
            path: str('Directory inside the repository for the manifests.', { default: './' }),
            secretRef,
          },
          { required: ['url'] },
        ),
        validation: obj('Checks run on the rendered manifests.', {
          dryRun: {
            type: 'boolean',
            default: true,
            description: 'Validate the rendered manifests before committing them.',
          },
        }),
      },
      { required: ['template', 'gitRepository'] },
    ),
    status: obj('What the creation manager observed.', {
      conditions,
      lastValidated: str('When the template was last validated.', { format: 'date-time' }),
      observedGeneration,
    }),
  },
);

/** ImageDetected: one image a policy selected, and what became of it. */
export const IMAGE_DETECTED_SCHEMA: JsonSchemaProps = obj(
  'ImageDetected records one image selected by an ImageResourcePolicy.',
  {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: obj(
      'The detected image.',
      {
        imageName: str('Base name of the image, e.g. web-app.', { minLength: 1 }),
        imageTag: str('Tag of the image, e.g. v1.2.3.', { minLength: 1 }),
        imageDigest: str('Content digest of the image.', { pattern: '^sha256:[a-f0-9]{64}$' }),
        fullImageName: str('Full reference: registry/repository:tag.', { minLength: 1 }),
        tagPrefix: str('Tag prefix extracted by the policy (dev, staging, prod), for prefix dedup.'),
        sourcePolicy: obj(
          'The ImageResourcePolicy that selected the image.',
          {
            name: str('Name of the policy.', { minLength: 1 }),
            namespace: str('Namespace of the policy.'),
          },
          { required: ['name'] },
        ),
        detectedAt: str('When the image was detected.', { format: 'date-time' }),
      },
      {
        required: ['imageName', 'imageTag', 'imageDigest', 'fullImageName', 'sourcePolicy', 'detectedAt'],
      },
    ),
    status: obj('What the creation manager did with the image.', {
      conditions,
      phase: str('Lifecycle phase.', {
        enum: ['Pending', 'Processing', 'Completed', 'Skipped', 'Failed'],
        default: 'Pending',
      }),
      resourceCreated: {
        type: 'boolean',
        default: false,
        description: 'Whether manifests were committed for the image.',
      },
      skipReason: str('Why no manifests were committed, naming the existing resource.'),
      existingResource: obj('The workload that already runs the image (or its tag prefix).', {
        kind: str('Kind of the workload.'),
        namespace: str('Namespace of the workload.'),
        name: str('Name of the workload.'),
        container: str('The container running the image.'),
      }),
      gitCommitSHA: str('Commit holding the rendered manifests.'),
      processedAt: str('When processing finished.', { format: 'date-time' }),
      observedGeneration,
    }),
  },
);

interface CrdSpec {
  readonly kind: string;
  readonly plural: string;
  readonly shortNames: string[];
  readonly schema: JsonSchemaProps;
  readonly columns: { name: string; type: string; jsonPath: string }[];
}

const CRDS: CrdSpec[] = [
  {
    kind: 'ImageResourcePolicy',
    plural: 'imageresourcepolicies',
    shortNames: ['irp'],
    schema: IMAGE_RESOURCE_POLICY_SCHEMA,
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
    schema: RESOURCE_TEMPLATE_SCHEMA,
    columns: [
      { name: 'Repository', type: 'string', jsonPath: '.spec.gitRepository.url' },
      { name: 'Branch', type: 'string', jsonPath: '.spec.gitRepository.branch' },
    ],
  },
  {
    kind: 'ImageDetected',
    plural: 'imagedetecteds',
    shortNames: ['imgd'],
    schema: IMAGE_DETECTED_SCHEMA,
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
 * namespaced, with a status subresource).
 *
 * Construct IDs are the kinds.
 */
export class ImageResourceCrds extends Construct {
  /** The CRDs, by kind. */
  public readonly crds: Readonly<Record<string, KubeCustomResourceDefinition>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const crds: Record<string, KubeCustomResourceDefinition> = {};
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
              schema: { openApiv3Schema: c.schema },
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
