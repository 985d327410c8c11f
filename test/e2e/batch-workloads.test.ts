// The batch workloads on a real kube-apiserver: every object of a KubernetesJob with every prop, a
// KubernetesCronJob with every CronJob field, and DaemonJobs (perNode and fanOut) synthesized from
// the node inventory that loadNodes reads from the cluster, dry-run with strict field validation.
import { Testing } from 'cdk8s';
import { DaemonJob } from '../../constructs/daemon-job';
import { PodFailurePolicy } from '../../constructs/pod';
import { KubernetesCronJob } from '../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../constructs/kubernetes-job';
import { loadNodes } from '../../core/load-nodes';
import { e2eEnv } from '../support/e2e-env';
import { KubeObject, dryRunObject, ensureNamespace, kubeRequest } from '../support/kube-api';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const PREFIX = 'jf-batch-e2e-';

async function dryRunAll(kubeconfig: string, objects: KubeObject[]): Promise<string[]> {
  const rejected: string[] = [];
  for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n))) {
    await ensureNamespace(kubeconfig, ns);
  }
  for (const obj of objects) {
    // A Namespace the chart creates already exists (created above for its objects): still dry-run it.
    try {
      await dryRunObject(kubeconfig, obj);
    } catch (e) {
      rejected.push((e as Error).message);
    }
  }
  return rejected;
}

describe('batch workloads on a real kube-apiserver', () => {
  const { kubeconfig } = e2eEnv();
  const nodes = [
    { name: `${PREFIX}worker-a`, labels: { 'kubernetes.io/os': 'linux', pool: 'general' }, taints: [] },
    {
      name: `${PREFIX}ip-10-0-1-23.eu-west-1.compute.internal`,
      labels: { 'kubernetes.io/os': 'linux', pool: 'general' },
      taints: [],
    },
    {
      name: `${PREFIX}gpu-1`,
      labels: { 'kubernetes.io/os': 'linux', pool: 'gpu' },
      taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
    },
  ];

  beforeAll(async () => {
    for (const n of nodes) {
      const res = await kubeRequest(kubeconfig, 'POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n.name, labels: n.labels },
        spec: { taints: n.taints },
      });
      if (res.status >= 300 && res.status !== 409)
        throw new Error(`creating node ${n.name}: ${res.status} ${res.body}`);
    }
  });

  afterAll(async () => {
    for (const n of nodes) await kubeRequest(kubeconfig, 'DELETE', `/api/v1/nodes/${n.name}`);
  });

  it('loadNodes reads names, labels and taints from the cluster', async () => {
    const loaded = (await loadNodes(kubeconfig)).filter((n) => n.name.startsWith(PREFIX));
    expect(loaded.map((n) => n.name)).toEqual([...nodes.map((n) => n.name)].sort());
    const gpu = loaded.find((n) => n.name === `${PREFIX}gpu-1`)!;
    expect(gpu.labels).toMatchObject({ pool: 'gpu' });
    // The TaintNodesByCondition admission plugin adds not-ready to every new node: real inventory.
    expect(gpu.taints).toEqual([
      { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoSchedule' },
    ]);
  });

  it('accepts a KubernetesJob with every prop, and a KubernetesCronJob with every field', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'jf-batch-e2e',
      createNamespace: true,
      name: 'etl',
      labels: { team: 'data' },
      annotations: { 'example.com/owner': 'data' },
      image: IMAGE,
      command: ['sh', '-c', 'true'],
      args: ['x'],
      env: { LOG_LEVEL: 'debug' },
      secrets: { API_TOKEN: 's3cr3t' },
      secretEnv: { DB_PASSWORD: { secretName: 'db', key: 'password', optional: true } },
      resources: {
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { memory: '1Gi', ephemeralStorage: '1Gi' },
      },
      parallelism: 2,
      completions: 4,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 1,
      maxFailedIndexes: 2,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 60,
      suspend: true,
      configMaps: { 'etl-config': { 'etl.yaml': 'a: 1\n' } },
      volumeMounts: [
        { mountPath: '/etc/etl', configMap: 'etl-config' },
        { mountPath: '/creds', secret: 'creds', name: 'creds' },
        { mountPath: '/data', persistentVolumeClaim: 'etl-data' },
        { mountPath: '/host', hostPath: '/var/log', hostPathType: 'Directory', readOnly: true },
        { mountPath: '/tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      ],
      imagePullSecret: {
        registry: 'registry.example.com',
        username: 'bot',
        password: 'pw',
        email: 'b@example.com',
      },
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/etl' } },
      nodeSelector: { pool: 'general' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { team: 'data' } },
              },
            },
          ],
        },
      },
      initContainers: [
        {
          name: 'fetch',
          image: IMAGE,
          command: ['true'],
          env: { A: '1' },
          volumeMounts: [{ name: 'creds', mountPath: '/creds' }],
        },
      ],
      podSecurityContext: { runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
      podFailurePolicy: PodFailurePolicy.of(
        PodFailurePolicy.ignoreDisruptions(),
        PodFailurePolicy.failFastOnExitCodes([42, 3]),
        PodFailurePolicy.failIndexOnExitCodes([7], 'main'),
        PodFailurePolicy.ignoreExitCodes([143], 'fetch'),
      ),
    });
    new KubernetesCronJob(chart, 'Cron', {
      namespace: 'jf-batch-e2e',
      name: 'nightly-report-with-a-fifty-two-character-name-xxxxx',
      image: IMAGE,
      schedule: '*/15 9-17 * JAN-MAR MON-FRI',
      timeZone: 'America/Argentina/Buenos_Aires',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 100,
      successfulJobsHistoryLimit: 0,
      failedJobsHistoryLimit: 5,
      suspend: true,
      serviceAccount: { name: 'existing', create: false },
      imagePullSecret: { name: 'regcred' },
      restartPolicy: 'OnFailure',
    });
    new KubernetesCronJob(chart, 'Macro', {
      namespace: 'jf-batch-e2e',
      name: 'hourly',
      image: IMAGE,
      schedule: '@hourly',
    });
    const objects = Testing.synth(chart) as KubeObject[];
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ConfigMap',
      'Secret',
      'Secret',
      'ServiceAccount',
      'Job',
      'CronJob',
      'CronJob',
    ]);
    expect(await dryRunAll(kubeconfig, objects)).toEqual([]);
  });

  it('the default pod passes the restricted Pod Security Standard; hostPath does not', async () => {
    // PodSecurity admission enforces on Pods, not Jobs: dry-run Pods made from the Jobs' templates
    // in a namespace that enforces "restricted".
    const ns = 'jf-batch-e2e-restricted';
    const res = await kubeRequest(kubeconfig, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    if (res.status >= 300 && res.status !== 409) throw new Error(`creating ${ns}: ${res.status} ${res.body}`);
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Default', {
      namespace: ns,
      name: 'secure',
      image: IMAGE,
      volumeMounts: [{ mountPath: '/tmp', emptyDir: {} }],
    });
    new KubernetesJob(chart, 'HostPath', {
      namespace: ns,
      name: 'hostpath',
      image: IMAGE,
      volumeMounts: [{ mountPath: '/host', hostPath: '/var/log' }],
    });
    const pods = (Testing.synth(chart) as KubeObject[]).map((job): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: job.metadata.name, namespace: ns },
      spec: (job as unknown as { spec: { template: { spec: unknown } } }).spec.template.spec,
    }));
    await expect(dryRunObject(kubeconfig, pods[0])).resolves.toBeDefined();
    await expect(dryRunObject(kubeconfig, pods[1])).rejects.toThrow(
      /violates PodSecurity "restricted:latest".*hostPath/,
    );
  });

  it('accepts DaemonJobs built from the live inventory (perNode pins, fanOut spreads)', async () => {
    const inventory = (await loadNodes(kubeconfig)).filter((n) => n.name.startsWith(PREFIX));
    const chart = Testing.chart();
    const perNode = new DaemonJob(chart, 'PerNode', {
      namespace: 'jf-batch-e2e',
      name: 'node-audit',
      image: IMAGE,
      nodes: inventory,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }],
      completionMode: 'Indexed',
      backoffLimitPerIndex: 2,
      podFailurePolicy: PodFailurePolicy.ignoreDisruptions(),
    });
    const fanOut = new DaemonJob(chart, 'FanOut', {
      namespace: 'jf-batch-e2e',
      name: 'node-audit-fan',
      image: IMAGE,
      nodes: inventory,
      mode: 'fanOut',
      tolerations: [{ operator: 'Exists' }],
    });
    const untolerated = new DaemonJob(Testing.chart(), 'NotReady', {
      name: 'x',
      image: IMAGE,
      nodes: inventory,
      allowNoMatchingNodes: true,
    });
    expect(untolerated.nodeNames).toEqual([]);
    expect(perNode.nodeNames).toEqual([
      `${PREFIX}ip-10-0-1-23.eu-west-1.compute.internal`,
      `${PREFIX}worker-a`,
    ]);
    expect(fanOut.nodeNames).toHaveLength(3);
    const objects = Testing.synth(chart) as KubeObject[];
    expect(objects).toHaveLength(3);
    expect(await dryRunAll(kubeconfig, objects)).toEqual([]);
  });
});
