import { Construct } from 'constructs';
import { KubeDeployment, KubeNamespace, KubeServiceAccount, PolicyRule } from 'cdk8s-plus-28/lib/imports/k8s';
import { validateDnsLabel, validateDnsSubdomain } from '../core/dns-name';
import { DAEMON_JOB_PLURAL, JOBFORGE_GROUP } from '../core/daemon-job/daemon-job-resource';
import { parseGoDuration } from '../core/policy-sync/go-duration';
import { DaemonJobCrd } from './daemon-job-crd';
import { addBoundRole } from './rbac';
import { validateContainerImage } from '../core/image-reference';
import { JOBFORGE_IMAGE } from '../core/jobforge-image';
import { ContainerResources, ImagePullPolicy, controllerPodSpec, validateImagePullPolicy } from './pod';
import { checkInteger, checkPort } from '../core/k8s/field-checks';

/** What the controller container asks for. */
const CONTROLLER_RESOURCES: ContainerResources = {
  requests: { cpu: '20m', memory: '96Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

/** Props of a {@link DaemonJobController}. */
export interface DaemonJobControllerProps {
  /**
   * The image to run: jobforge's (its entrypoint is the `jobforge` CLI).
   * @default JOBFORGE_IMAGE - jobforge's image of this version
   */
  readonly image?: string;
  /** @default - Always for :latest or untagged images, else IfNotPresent */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Namespace of the controller (Deployment, ServiceAccount, Lease). @default 'jobforge-system' */
  readonly namespace?: string;
  /** @default true */
  readonly createNamespace?: boolean;
  /** Install the DaemonJob CRD. @default true */
  readonly installCrd?: boolean;
  /**
   * Follow the DaemonJobs of this namespace only: Jobs, DaemonJobs and Events are then allowed in
   * it alone (nodes stay cluster-wide).
   * @default - every namespace
   */
  readonly watchNamespace?: string;
  /** Replicas; one leads, the others stand by. @default 2 */
  readonly replicas?: number;
  /** A leader not renewing its Lease for this long is replaced (a Go duration). @default '15s' */
  readonly leaseDuration?: string;
  /** Port of /healthz, /readyz and /metrics. @default 8080 */
  readonly port?: number;
  /** @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The name of the controller's Deployment, ServiceAccount, RBAC objects and Lease. */
export const DAEMON_JOB_CONTROLLER_NAME = 'jobforge-daemonjob-controller';

/** What the controller does, and nothing more. */
export function daemonJobControllerRules(): {
  cluster: PolicyRule[];
  watched: PolicyRule[];
  lease: PolicyRule[];
} {
  return {
    cluster: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] }],
    watched: [
      { apiGroups: [JOBFORGE_GROUP], resources: [DAEMON_JOB_PLURAL], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [JOBFORGE_GROUP], resources: [`${DAEMON_JOB_PLURAL}/status`], verbs: ['update'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ],
    lease: [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [DAEMON_JOB_CONTROLLER_NAME],
        verbs: ['get', 'update', 'delete'],
      },
    ],
  };
}

/**
 * The DaemonJob controller (`jobforge controller daemonjob`) as a Deployment of jobforge's image:
 * two replicas with leader election on a Lease, least-privilege RBAC (nodes list/watch;
 * daemonjobs get/list/watch and status update; jobs create/delete/list/watch; events create; its
 * own Lease), probes on /healthz and /readyz, metrics on /metrics, restricted Pod Security, and
 * the DaemonJob CRD.
 */
export class DaemonJobController extends Construct {
  public readonly namespace: string;
  public readonly name = DAEMON_JOB_CONTROLLER_NAME;

  public constructor(scope: Construct, id: string, props: DaemonJobControllerProps = {}) {
    super(scope, id);
    const image = props.image ?? JOBFORGE_IMAGE;
    const namespace = props.namespace ?? 'jobforge-system';
    const replicas = props.replicas ?? 2;
    const port = props.port ?? 8080;
    const leaseDuration = props.leaseDuration ?? '15s';
    validateContainerImage('image', image);
    validateDnsLabel('namespace', namespace);
    if (props.watchNamespace !== undefined) validateDnsLabel('watchNamespace', props.watchNamespace);
    checkInteger('replicas', replicas, 1);
    checkPort('port', port);
    if (parseGoDuration(leaseDuration, 'leaseDuration') < 1000) {
      throw new Error(`'leaseDuration' must be at least 1s, got ${JSON.stringify(leaseDuration)}`);
    }
    if (props.logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(props.logLevel)) {
      throw new Error(`'logLevel' must be debug, info, warn or error, got ${JSON.stringify(props.logLevel)}`);
    }
    const pullPolicy = props.imagePullPolicy;
    validateImagePullPolicy('imagePullPolicy', pullPolicy);
    validateDnsSubdomain('name', DAEMON_JOB_CONTROLLER_NAME);
    this.namespace = namespace;

    const name = DAEMON_JOB_CONTROLLER_NAME;
    const selector = { 'app.kubernetes.io/name': name };
    const labels = { ...selector, 'app.kubernetes.io/managed-by': 'jobforge' };
    if (props.createNamespace ?? true) {
      new KubeNamespace(this, 'Namespace', { metadata: { name: namespace, labels } });
    }
    if (props.installCrd ?? true) new DaemonJobCrd(this, 'Crd');
    new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name, namespace, labels },
      automountServiceAccountToken: true,
    });
    const serviceAccount = { name, namespace };
    const rules = daemonJobControllerRules();
    const clusterRules =
      props.watchNamespace === undefined ? [...rules.cluster, ...rules.watched] : rules.cluster;
    addBoundRole(this, 'ClusterRole', { name, labels, rules: clusterRules, serviceAccount });
    if (props.watchNamespace !== undefined) {
      addBoundRole(this, 'WatchRole', {
        name,
        namespace: props.watchNamespace,
        labels,
        rules: rules.watched,
        serviceAccount,
      });
    }
    addBoundRole(this, 'LeaseRole', {
      name: `${name}-lease`,
      namespace,
      labels,
      rules: rules.lease,
      serviceAccount,
    });
    const fieldEnv = (envName: string, fieldPath: string) => ({
      name: envName,
      valueFrom: { fieldRef: { fieldPath } },
    });
    new KubeDeployment(this, 'Deployment', {
      metadata: { name, namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: controllerPodSpec({
            serviceAccountName: name,
            containerName: 'controller',
            image,
            imagePullPolicy: pullPolicy,
            args: ['controller', 'daemonjob'],
            env: [
              fieldEnv('POD_NAME', 'metadata.name'),
              fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
              { name: 'LEASE_NAME', value: name },
              { name: 'LEASE_DURATION', value: leaseDuration },
              { name: 'LISTEN_ADDRESS', value: `:${port}` },
              { name: 'LOG_LEVEL', value: props.logLevel ?? 'info' },
              ...(props.watchNamespace === undefined
                ? []
                : [{ name: 'WATCH_NAMESPACE', value: props.watchNamespace }]),
            ],
            ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
            probePort: 'http',
            livenessInitialDelaySeconds: 10,
            resources: CONTROLLER_RESOURCES,
            runAsUser: 1000,
            runAsGroup: 1000,
            terminationGracePeriodSeconds: 30,
          }),
        },
      },
    });
  }
}
