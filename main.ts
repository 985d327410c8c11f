// The example cdk8s app: `npm run synth` (cdk8s synth) writes its YAML to dist/.
import { App, Chart } from 'cdk8s';
import { DaemonJob } from './constructs/daemon-job';
import { PodFailurePolicy } from './constructs/job-template';
import { KubernetesCronJob } from './constructs/kubernetes-cron-job';
import { KubernetesJob } from './constructs/kubernetes-job';
import { ImageResourceController } from './constructs/image-resource-controller';
import { KyvernoPolicySync } from './constructs/kyverno-policy-sync';
import { UniqueJobPerImagePolicy } from './constructs/unique-job-per-image-policy';

const app = new App();

// Typed batch workloads: a one-off Job, a CronJob and a DaemonJob sharing one namespace.
const batch = new Chart(app, 'batch');
const migrate = new KubernetesJob(batch, 'Migrate', {
  namespace: 'batch-demo',
  createNamespace: true,
  name: 'db-migrate',
  image: 'docker.io/library/busybox:1.36.1',
  command: ['sh', '-c', 'echo migrating "$DATABASE_URL"'],
  env: { LOG_LEVEL: 'info' },
  secrets: { DATABASE_URL: 'postgres://dev:dev@db:5432/app' },
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
  image: 'docker.io/library/busybox:1.36.1',
  command: ['sh', '-c', 'date'],
  schedule: '30 2 * * MON-FRI',
  timeZone: 'Europe/Paris',
  podSecurityContext: { runAsUser: 65532 },
  serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/report' } },
});
// In a real app: `const nodes = await loadNodes();` before building the chart.
new DaemonJob(batch, 'CacheWarm', {
  namespace: migrate.namespace,
  name: 'cache-warm',
  image: 'docker.io/library/busybox:1.36.1',
  command: ['sh', '-c', 'echo warming "$(hostname)"'],
  podSecurityContext: { runAsUser: 65532 },
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
  detectionImage: 'ghcr.io/example/image-resource-detection-manager:v0.1.0',
  creationImage: 'ghcr.io/example/image-resource-creation-manager:v0.1.0',
  irsaRoleArn: 'arn:aws:iam::123456789012:role/ecr-read',
});

// Kyverno: one scan Job per unique image in the selected namespaces, and the owned policy sync
// from Fairwinds Insights as a CronJob every 15 minutes.
const kyverno = new Chart(app, 'kyverno');
new UniqueJobPerImagePolicy(kyverno, 'ScanImages', {
  namespaces: ['default', 'batch-demo'],
  jobContainer: { image: 'ghcr.io/example/image-scanner:1.4.0', args: ['scan', '$(TARGET_IMAGE)'] },
  allContainers: true,
});
new KyvernoPolicySync(kyverno, 'PolicySync', {
  insights: { secretName: 'insights-token', organization: 'example', cluster: 'prod' },
});

app.synth();
