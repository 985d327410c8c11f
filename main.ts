// The example cdk8s app: `npm run synth` (cdk8s synth) writes its YAML to dist/.
import { App, Chart } from 'cdk8s';
import { DaemonJob } from './constructs/daemon-job';
import { PodFailurePolicy } from './constructs/pod';
import { KubernetesCronJob } from './constructs/kubernetes-cron-job';
import { KubernetesJob } from './constructs/kubernetes-job';
import { ImageResourceController } from './constructs/image-resource-controller';
import { KyvernoPolicySync } from './constructs/kyverno-policy-sync';
import { HTTPS_EGRESS } from './constructs/network-policy';
import { UniqueJobPerImagePolicy } from './constructs/unique-job-per-image-policy';

const app = new App();

// Images are pinned by digest (Checkov CKV_K8S_43; the pull policy is then IfNotPresent). The
// digests here are placeholders: pin the one your registry reports (`crane digest <image>`).
const BUSYBOX =
  'docker.io/library/busybox:1.36.1@sha256:510d68f9f75213f848270e62ed463ac39766519a9f4dc2d6b9b09f9d54ba2c49';

// Typed batch workloads: a one-off Job, a CronJob and a DaemonJob sharing one namespace.
const batch = new Chart(app, 'batch');
const migrate = new KubernetesJob(batch, 'Migrate', {
  namespace: 'batch-demo',
  createNamespace: true,
  name: 'db-migrate',
  image: BUSYBOX,
  command: ['sh', '-c', 'echo migrating with the URL in "$DATABASE_URL_FILE"'],
  env: { LOG_LEVEL: 'info' },
  // The URL is a file (Checkov CKV_K8S_35): DATABASE_URL_FILE=/var/run/secrets/jobforge/db-migrate-db/url
  secretEnv: { DATABASE_URL_FILE: { secretName: 'db-migrate-db', key: 'url', asFile: true } },
  requireImageDigest: true,
  // Ingress denied; egress to cluster DNS and the database's network only.
  networkPolicy: { egress: [{ cidr: '10.0.0.0/16', ports: [5432] }] },
  configMaps: { 'db-migrate-config': { 'settings.ini': '[migrate]\nlock_timeout = 30\n' } },
  volumeMounts: [
    { mountPath: '/etc/migrate', configMap: 'db-migrate-config' },
    { mountPath: '/tmp', emptyDir: { sizeLimit: '64Mi' } },
  ],
  podSecurityContext: { runAsUser: 65532, runAsGroup: 65532 },
  backoffLimit: 2,
  ttlSecondsAfterFinished: 3600,
  podFailurePolicy: PodFailurePolicy.of(
    PodFailurePolicy.ignoreDisruptions(),
    PodFailurePolicy.failFastOnExitCodes([42]),
  ),
});
new KubernetesCronJob(batch, 'Report', {
  namespace: migrate.namespace,
  name: 'nightly-report',
  image: BUSYBOX,
  command: ['sh', '-c', 'date'],
  schedule: '30 2 * * MON-FRI',
  timeZone: 'Europe/Paris',
  podSecurityContext: { runAsUser: 65532 },
  // IRSA needs no ServiceAccount API token: automountServiceAccountToken stays false.
  serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/report' } },
  networkPolicy: { egress: [HTTPS_EGRESS] },
});
// In a real app: `const nodes = await loadNodes();` before building the chart.
new DaemonJob(batch, 'CacheWarm', {
  namespace: migrate.namespace,
  name: 'cache-warm',
  image: BUSYBOX,
  command: ['sh', '-c', 'echo warming "$(hostname)"'],
  podSecurityContext: { runAsUser: 65532 },
  networkPolicy: {}, // cluster DNS only
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  nodes: [
    { name: 'worker-a', labels: { 'kubernetes.io/os': 'linux' } },
    { name: 'ip-10-0-1-23.eu-west-1.compute.internal', labels: { 'kubernetes.io/os': 'linux' } },
    {
      name: 'gpu-1',
      labels: { 'kubernetes.io/os': 'linux' },
      taints: [{ key: 'gpu', effect: 'NoSchedule' }],
    },
    { name: 'win-1', labels: { 'kubernetes.io/os': 'windows' } },
  ],
});

// The image resource controller deployed as an operator (CRDs, two managers, least RBAC, IRSA),
// the in-cluster alternative to the ImagePipeline Pulumi component in stacks/.
new ImageResourceController(new Chart(app, 'image-resource-controller'), 'Controller', {
  detectionImage:
    'ghcr.io/example/image-resource-detection-manager:v0.1.0@sha256:00cdf4692bfe27e78651503ac0c36ed0a19ced5d8bd4ee26b641543a308eb2fe',
  creationImage:
    'ghcr.io/example/image-resource-creation-manager:v0.1.0@sha256:2de1f255bb41fd7faa986fbf84d92141c314f687c668f4343cd3fe3edae9fa6e',
  irsaRoleArn: 'arn:aws:iam::123456789012:role/ecr-read',
});

// Kyverno: one scan Job per unique image in the selected namespaces, and the owned policy sync
// from Fairwinds Insights as a CronJob every 15 minutes.
const kyverno = new Chart(app, 'kyverno');
new UniqueJobPerImagePolicy(kyverno, 'ScanImages', {
  namespaces: ['default', 'batch-demo'],
  jobContainer: {
    image:
      'ghcr.io/example/image-scanner:1.4.0@sha256:3c4460c87f89403062dff0c952add50ef13fbeba2ca56e56f8e418abce497496',
    args: ['scan', '$(TARGET_IMAGE)'],
  },
  allContainers: true,
});
new KyvernoPolicySync(kyverno, 'PolicySync', {
  insights: { secretName: 'insights-token', organization: 'example', cluster: 'prod' },
  // The Fairwinds runner mirrored into your registry and pinned by digest.
  image:
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/fairwinds/on-demand-job-runner:0.2.13@sha256:18eea7bc3f7c15af97b4222bc7fd4e62115b2d34d5e3babda433b1b6cc6729ac',
});

app.synth();
