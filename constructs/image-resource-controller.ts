import { Construct } from 'constructs';
import {
  IntOrString,
  KubeDeployment,
  KubeNamespace,
  KubeService,
  KubeServiceAccount,
  PodSpec,
  PolicyRule,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { isDnsLabel } from '../core/dns-name';
import { checkInteger, checkPort } from '../core/k8s/field-checks';
import { IMAGE_RESOURCE_GROUP, ImageResourceCrds } from './image-resource-crds';
import { addBoundRole } from './rbac';
import { ContainerResources, ImagePullPolicy, controllerPodSpec, validateImagePullPolicy } from './pod';
import { requireImageDigest, validateContainerImage } from '../core/image-reference';
import { JOBFORGE_IMAGE } from '../core/jobforge-image';
import {
  APISERVER_6443_EGRESS,
  HTTPS_EGRESS,
  NetworkPolicyOptions,
  addNetworkPolicy,
  validateNamespaceList,
  validateNetworkPolicyOptions,
} from './network-policy';

/** Properties of {@link ImageResourceController}. */
export interface ImageResourceControllerProps {
  /**
   * Container image of the detection manager (scans ECR, writes ImageDetected resources).
   * @default JOBFORGE_IMAGE - jobforge's image of this version, running `jobforge controller image-detection`
   */
  readonly detectionImage?: string;

  /**
   * Container image of the creation manager (renders ResourceTemplates, commits to Git).
   * @default JOBFORGE_IMAGE - jobforge's image of this version, running `jobforge controller image-creation`
   */
  readonly creationImage?: string;

  /**
   * How the images are started: `jobforge` runs `jobforge controller image-detection` /
   * `image-creation` (jobforge's image, whose entrypoint is the `jobforge` CLI, with
   * POD_NAMESPACE / POD_NAME for the Lease and an emptyDir at /tmp for Git); `seed` passes only
   * the controller-runtime flags, as the seed operator's own images expect.
   * @default - 'jobforge' when neither image is given, else 'seed'
   */
  readonly imageFlavor?: 'jobforge' | 'seed';

  /**
   * Namespace the managers run in.
   * @default 'image-resource-controller-system'
   */
  readonly namespace?: string;

  /**
   * Create the namespace.
   * @default true
   */
  readonly createNamespace?: boolean;

  /**
   * Synthesize the CustomResourceDefinitions with the managers.
   * @default true
   */
  readonly installCrds?: boolean;

  /**
   * IAM role for the detection manager's ServiceAccount (IRSA): sets the
   * `eks.amazonaws.com/role-arn` annotation. See the `EcrReadRole` Pulumi component.
   * @default - no annotation; the managers use the node's or the environment's AWS credentials
   */
  readonly irsaRoleArn?: string;

  /**
   * Replicas of each manager; leader election keeps one active.
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Port the managers serve Prometheus metrics on (plain HTTP, `/metrics`).
   * @default 8080
   */
  readonly metricsPort?: number;

  /**
   * Port of the health probes (`/healthz`, `/readyz`).
   * @default 8081
   */
  readonly healthPort?: number;

  /**
   * User and group the managers run as (a high non-root ID; the kubebuilder base image's
   * `nonroot` user).
   * @default 65532
   */
  readonly runAsUser?: number;

  /** @default 65532 */
  readonly runAsGroup?: number;

  /** @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag */
  readonly imagePullPolicy?: ImagePullPolicy;

  /** Refuse manager images not pinned by digest (`…@sha256:<hex>`). @default false */
  readonly requireImageDigest?: boolean;

  /**
   * The managers' NetworkPolicy: ingress denied (but `metricsFromNamespaces`), egress to cluster
   * DNS and `egress`. Add `{ cidr, ports: [22] }` for Git over SSH.
   * @default - TCP 443 (the apiserver, ECR, Git over HTTPS) and 6443 (the apiserver's other usual port) anywhere but 169.254.169.254
   */
  readonly networkPolicy?: NetworkPolicyOptions;

  /**
   * Namespaces allowed to scrape the metrics port (e.g. Prometheus's).
   * @default [] - no ingress at all
   */
  readonly metricsFromNamespaces?: string[];
}

/** The managers run as this user and group unless `runAsUser` / `runAsGroup` say otherwise. */
export const MANAGER_USER_ID = 65532;

/** The Checkov finding that is wrong for the managers, with its reason (no '=' in it). */
const MANAGER_CHECKOV_SKIPS = {
  'checkov.io/skip1':
    'CKV_K8S_38=a controller watches and writes Kubernetes objects through the apiserver with its ServiceAccount token',
};

/** What each manager container asks for. */
const MANAGER_RESOURCES: ContainerResources = {
  requests: { cpu: '10m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;

const WORKLOAD_READ: PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['list', 'watch'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
];

type Manager = 'detection' | 'creation';

/** Cluster-wide rules of each manager: only what its reconcile loop reads and writes. */
const MANAGER_RULES: Record<Manager, PolicyRule[]> = {
  detection: [
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['imageresourcepolicies'],
      verbs: ['get', 'list', 'watch'],
    },
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['imageresourcepolicies/status'],
      verbs: ['get', 'patch', 'update'],
    },
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['imagedetecteds'],
      verbs: ['create', 'get', 'list', 'watch'],
    },
    // spec.aws.secretRef: one named Secret read at a time, never listed.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
  creation: [
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['imagedetecteds'],
      verbs: ['get', 'list', 'watch', 'delete'],
    },
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['imagedetecteds/status'],
      verbs: ['get', 'patch', 'update'],
    },
    {
      apiGroups: [IMAGE_RESOURCE_GROUP],
      resources: ['resourcetemplates', 'imageresourcepolicies'],
      verbs: ['get', 'list', 'watch'],
    },
    ...WORKLOAD_READ,
    // spec.gitRepository.secretRef: one named Secret read at a time, never listed.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
};

/** Leader election, in the managers' own namespace only. */
const LEADER_ELECTION_RULES: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * The image resource controller, deployed as an operator instead of jobforge's `ImagePipeline`
 * Pulumi component: its CRDs, the detection and creation manager Deployments, one
 * ServiceAccount each with least-privilege RBAC, an optional IRSA annotation on the detection
 * manager (the only one calling ECR), and a metrics Service selecting both managers.
 *
 * Construct IDs: `Crds`, `Namespace`, `DetectionManager`, `CreationManager` (each with
 * `ServiceAccount`, `ClusterRole`, `ClusterRoleBinding`, `LeaderElectionRole`,
 * `LeaderElectionRoleBinding`, `Deployment`), `MetricsService`.
 */
export class ImageResourceController extends Construct {
  /** The namespace of the managers. */
  public readonly namespace: string;
  /** Name of the detection manager Deployment and ServiceAccount. */
  public readonly detectionManagerName: string;
  /** Name of the creation manager Deployment and ServiceAccount. */
  public readonly creationManagerName: string;
  /** Name of the metrics Service. */
  public readonly metricsServiceName: string;

  constructor(scope: Construct, id: string, props: ImageResourceControllerProps = {}) {
    super(scope, id);
    const detectionImage = props.detectionImage ?? JOBFORGE_IMAGE;
    const creationImage = props.creationImage ?? JOBFORGE_IMAGE;
    const flavor =
      props.imageFlavor ??
      (props.detectionImage === undefined && props.creationImage === undefined ? 'jobforge' : 'seed');
    if (flavor !== 'jobforge' && flavor !== 'seed') {
      throw new Error(`'imageFlavor' must be 'jobforge' or 'seed', got ${JSON.stringify(props.imageFlavor)}`);
    }
    const namespace = props.namespace ?? 'image-resource-controller-system';
    const replicas = props.replicas ?? 1;
    const metricsPort = props.metricsPort ?? 8080;
    const healthPort = props.healthPort ?? 8081;

    validateContainerImage('detectionImage', detectionImage);
    validateContainerImage('creationImage', creationImage);
    if (!isDnsLabel(namespace)) {
      throw new Error(`'namespace' must be a DNS-1123 label, got ${JSON.stringify(namespace)}`);
    }
    if (props.irsaRoleArn !== undefined && !IAM_ROLE_ARN.test(props.irsaRoleArn)) {
      throw new Error(
        `'irsaRoleArn' must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${JSON.stringify(props.irsaRoleArn)}`,
      );
    }
    checkInteger('replicas', replicas, 1);
    checkPort('metricsPort', metricsPort);
    const runAsUser = props.runAsUser ?? MANAGER_USER_ID;
    const runAsGroup = props.runAsGroup ?? MANAGER_USER_ID;
    checkInteger('runAsUser', runAsUser, 1, undefined, 'a non-root ID');
    checkInteger('runAsGroup', runAsGroup, 1, undefined, 'a non-root ID');
    if (props.requireImageDigest) {
      requireImageDigest('detectionImage', detectionImage);
      requireImageDigest('creationImage', creationImage);
    }
    const pullPolicy = props.imagePullPolicy;
    validateImagePullPolicy('imagePullPolicy', pullPolicy);
    validateNetworkPolicyOptions('networkPolicy', props.networkPolicy);
    validateNamespaceList('metricsFromNamespaces', props.metricsFromNamespaces);
    checkPort('healthPort', healthPort);
    if (metricsPort === healthPort) {
      throw new Error(`'healthPort' must differ from 'metricsPort', got ${healthPort} for both`);
    }

    this.namespace = namespace;
    this.detectionManagerName = 'image-resource-detection-manager';
    this.creationManagerName = 'image-resource-creation-manager';
    this.metricsServiceName = 'image-resource-controller-metrics';

    if (props.installCrds ?? true) {
      new ImageResourceCrds(this, 'Crds');
    }
    if (props.createNamespace ?? true) {
      new KubeNamespace(this, 'Namespace', { metadata: { name: namespace, labels: commonLabels() } });
    }

    const managers: { id: string; manager: Manager; name: string; image: string }[] = [
      {
        id: 'DetectionManager',
        manager: 'detection',
        name: this.detectionManagerName,
        image: detectionImage,
      },
      {
        id: 'CreationManager',
        manager: 'creation',
        name: this.creationManagerName,
        image: creationImage,
      },
    ];
    for (const m of managers) {
      const scopeOf = new Construct(this, m.id);
      const labels = { ...commonLabels(), 'app.kubernetes.io/component': `${m.manager}-manager` };
      const annotations =
        m.manager === 'detection' && props.irsaRoleArn !== undefined
          ? { 'eks.amazonaws.com/role-arn': props.irsaRoleArn }
          : undefined;
      new KubeServiceAccount(scopeOf, 'ServiceAccount', {
        metadata: { name: m.name, namespace, labels, annotations },
        automountServiceAccountToken: true,
      });
      const serviceAccount = { name: m.name, namespace };
      addBoundRole(scopeOf, 'ClusterRole', {
        name: m.name,
        labels,
        rules: MANAGER_RULES[m.manager],
        serviceAccount,
      });
      addBoundRole(scopeOf, 'LeaderElectionRole', {
        name: `${m.name}-leader-election`,
        namespace,
        labels,
        rules: LEADER_ELECTION_RULES,
        serviceAccount,
      });
      new KubeDeployment(scopeOf, 'Deployment', {
        metadata: { name: m.name, namespace, labels, annotations: { ...MANAGER_CHECKOV_SKIPS } },
        spec: {
          replicas,
          selector: {
            matchLabels: { ...selectorLabels(), 'app.kubernetes.io/component': `${m.manager}-manager` },
          },
          template: {
            metadata: {
              labels,
              annotations: { 'kubectl.kubernetes.io/default-container': 'manager' },
            },
            spec: managerPod({
              name: m.name,
              manager: m.manager,
              flavor,
              image: m.image,
              imagePullPolicy: pullPolicy,
              runAsUser,
              runAsGroup,
              metricsPort,
              healthPort,
            }),
          },
        },
      });
    }

    addNetworkPolicy(this, 'NetworkPolicy', {
      name: 'image-resource-controller',
      namespace,
      labels: commonLabels(),
      podLabels: selectorLabels(),
      options: props.networkPolicy ?? {},
      defaultEgress: [HTTPS_EGRESS, APISERVER_6443_EGRESS],
      ingressFromNamespaces: props.metricsFromNamespaces,
      ingressPort: metricsPort,
    });

    new KubeService(this, 'MetricsService', {
      metadata: { name: this.metricsServiceName, namespace, labels: commonLabels() },
      spec: {
        selector: selectorLabels(),
        ports: [
          {
            name: 'metrics',
            port: metricsPort,
            targetPort: IntOrString.fromString('metrics'),
            protocol: 'TCP',
          },
        ],
      },
    });
  }
}

function commonLabels(): Record<string, string> {
  return { ...selectorLabels(), 'app.kubernetes.io/managed-by': 'jobforge' };
}

function selectorLabels(): Record<string, string> {
  return { 'app.kubernetes.io/name': 'image-resource-controller' };
}

/** The pod of one manager, through the pod model: one `manager` container. */
function managerPod(m: {
  name: string;
  manager: Manager;
  flavor: 'jobforge' | 'seed';
  image: string;
  imagePullPolicy?: ImagePullPolicy;
  runAsUser: number;
  runAsGroup: number;
  metricsPort: number;
  healthPort: number;
}): PodSpec {
  return controllerPodSpec({
    serviceAccountName: m.name,
    containerName: 'manager',
    image: m.image,
    imagePullPolicy: m.imagePullPolicy,
    args: [
      ...(m.flavor === 'jobforge' ? ['controller', `image-${m.manager}`] : []),
      '--leader-elect',
      `--metrics-bind-address=:${m.metricsPort}`,
      `--health-probe-bind-address=:${m.healthPort}`,
    ],
    ...(m.flavor === 'jobforge'
      ? {
          env: [
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          // The Git writer clones into the temp directory; the root filesystem is read-only.
          scratch: { name: 'tmp', mountPath: '/tmp', sizeLimit: '1Gi' },
        }
      : {}),
    ports: [
      { name: 'metrics', containerPort: m.metricsPort, protocol: 'TCP' },
      { name: 'health', containerPort: m.healthPort, protocol: 'TCP' },
    ],
    probePort: 'health',
    livenessInitialDelaySeconds: 15,
    resources: MANAGER_RESOURCES,
    runAsUser: m.runAsUser,
    runAsGroup: m.runAsGroup,
    terminationGracePeriodSeconds: 10,
  });
}
