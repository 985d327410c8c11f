// A Pulumi program deploying jobforge's batch workloads with @pulumi/kubernetes (the README's
// Pulumi example; test/e2e/live-pulumi-cli.test.ts runs it with `pulumi up` on a live cluster).
// Pulumi.yaml: `name: batch`, `runtime: nodejs`; the cluster is the provider's (the
// `kubernetes:kubeconfig` stack config, else $KUBECONFIG or ~/.kube/config).
import * as pulumi from '@pulumi/pulumi';
import { DaemonJob, KubernetesCronJob, KubernetesJob } from 'jobforge/pulumi';

const config = new pulumi.Config();
const image = config.get('image') ?? 'docker.io/library/busybox:1.36.1';

// `pulumi up` waits for the Job to complete and fails if it fails; a changed Job is replaced.
const migrate = new KubernetesJob('db-migrate', {
  namespace: 'batch',
  createNamespace: true,
  image,
  command: ['sh', '-c', 'echo migrating'],
  configMaps: { 'migrate-config': { 'settings.ini': 'lock_timeout = 30' } },
  volumeMounts: [{ mountPath: '/etc/migrate', configMap: 'migrate-config' }],
  secrets: { DATABASE_URL: config.requireSecret('databaseUrl') }, // stays secret in the state
});

// One Job per node matching the selector, from the cluster's live node list at each `pulumi up`.
const warm = new DaemonJob('cache-warm', {
  namespace: migrate.namespace, // an Output: created after the Namespace
  image,
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  skipAwait: config.getBoolean('skipAwait') ?? false,
});

new KubernetesCronJob('nightly-report', {
  namespace: migrate.namespace,
  image,
  schedule: '30 2 * * MON-FRI',
  timeZone: 'Europe/Paris',
});

export const jobName = migrate.jobName;
export const warmJobs = warm.jobNames;
export const warmNodes = warm.nodeNames;
