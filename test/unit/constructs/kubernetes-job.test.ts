import { Chart, Testing } from 'cdk8s';
import { KubernetesJob, KubernetesJobProps } from '../../../constructs/kubernetes-job';
import { DEFAULT_RESOURCES, PodFailurePolicy } from '../../../constructs/pod';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2.3';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(
  props: Partial<KubernetesJobProps> = {},
  chartNamespace?: string,
): { job: KubernetesJob; manifests: Manifest[] } {
  const chart = Testing.chart();
  if (chartNamespace !== undefined) Object.defineProperty(chart, 'namespace', { value: chartNamespace });
  const job = new KubernetesJob(chart, 'Job', { name: 'etl', namespace: 'batch', image: IMAGE, ...props });
  return { job, manifests: Testing.synth(chart) };
}

const kinds = (ms: Manifest[]): string[] => ms.map((m) => m.kind);
const theJob = (ms: Manifest[]): Manifest => ms.find((m) => m.kind === 'Job');
const pod = (ms: Manifest[]): Manifest => theJob(ms).spec.template.spec;
const main = (ms: Manifest[]): Manifest => pod(ms).containers[0];

function build(props: Partial<KubernetesJobProps>): () => void {
  return () =>
    new KubernetesJob(Testing.chart(), 'Job', { name: 'etl', namespace: 'batch', image: IMAGE, ...props });
}

describe('KubernetesJob defaults', () => {
  test('a minimal Job: one pod, Never, backoffLimit 6, restricted pod, default resources', () => {
    const { job, manifests } = synth();
    expect(kinds(manifests)).toEqual(['Job']);
    expect(job.jobName).toBe('etl');
    expect(job.namespace).toBe('batch');
    const spec = theJob(manifests).spec;
    expect(spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
    });
    expect(spec.suspend).toBeUndefined();
    expect(pod(manifests).restartPolicy).toBe('Never');
    expect(pod(manifests).automountServiceAccountToken).toBe(false);
    expect(pod(manifests).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(main(manifests).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    expect(main(manifests).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(main(manifests).name).toBe('main');
    expect(main(manifests).image).toBe(IMAGE);
    expect(manifests).toMatchSnapshot();
  });

  test('an image by digest is accepted', () => {
    const image = `ghcr.io/example/app@sha256:${'a'.repeat(64)}`;
    expect(main(synth({ image }).manifests).image).toBe(image);
  });

  test('the name defaults to a DNS label generated from the construct path', () => {
    const chart = Testing.chart();
    const job = new KubernetesJob(chart, 'Nightly_ETL', { image: IMAGE });
    expect(job.jobName).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(job.jobName.length).toBeLessThanOrEqual(63);
    expect(Testing.synth(chart)[0].metadata.name).toBe(job.jobName);
  });

  test('namespace falls back to the chart namespace', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'from-chart' });
    const job = new KubernetesJob(chart, 'Job', { name: 'etl', image: IMAGE });
    expect(job.namespace).toBe('from-chart');
    expect(Testing.synth(chart)[0].metadata.namespace).toBe('from-chart');
  });
});

describe('KubernetesJob with everything', () => {
  const full: Partial<KubernetesJobProps> = {
    createNamespace: true,
    labels: { team: 'data' },
    annotations: { 'example.com/owner': 'data' },
    command: ['/app/etl'],
    args: ['--full'],
    env: { LOG_LEVEL: 'debug' },
    secrets: { API_TOKEN: 's3cr3t' },
    secretEnv: { DB_PASSWORD: { secretName: 'db', key: 'password' } },
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi', ephemeralStorage: '1Gi' } },
    parallelism: 4,
    completions: 8,
    completionMode: 'Indexed',
    backoffLimit: 2,
    backoffLimitPerIndex: 1,
    maxFailedIndexes: 3,
    activeDeadlineSeconds: 3600,
    ttlSecondsAfterFinished: 600,
    suspend: true,
    configMaps: { 'etl-config': { 'etl.yaml': 'mode: full\n' } },
    volumeMounts: [
      { mountPath: '/etc/etl', configMap: 'etl-config' },
      { mountPath: '/creds', secret: 'creds', name: 'creds' },
      { mountPath: '/data', persistentVolumeClaim: 'etl-data' },
      { mountPath: '/var/log/host', hostPath: '/var/log', hostPathType: 'Directory', readOnly: true },
      { mountPath: '/tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ],
    imagePullSecret: { registry: 'registry.example.com', username: 'bot', password: 'pw' },
    serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/etl' } },
    nodeSelector: { pool: 'batch' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
    initContainers: [
      {
        name: 'fetch',
        image: 'docker.io/library/busybox:1.36.1',
        command: ['sh', '-c', 'true'],
        volumeMounts: [{ name: 'creds', mountPath: '/creds', readOnly: true }],
      },
    ],
    podFailurePolicy: PodFailurePolicy.of(
      PodFailurePolicy.ignoreDisruptions(),
      PodFailurePolicy.failFastOnExitCodes([3, 2, 3]),
      PodFailurePolicy.failIndexOnExitCodes([7], 'main'),
    ),
  };

  test('creates Namespace, ConfigMap, Secret, pull Secret, ServiceAccount, Job in that order', () => {
    const { job, manifests } = synth(full);
    expect(kinds(manifests)).toEqual(['Namespace', 'ConfigMap', 'Secret', 'Secret', 'ServiceAccount', 'Job']);
    expect(job.serviceAccountName).toBe('etl');
    expect(manifests).toMatchSnapshot();
  });

  test('secrets become an internal Secret read through secretKeyRef; secretEnv refers to existing Secrets', () => {
    const { manifests } = synth(full);
    const secret = manifests.find((m: Manifest) => m.kind === 'Secret' && m.type === 'Opaque');
    expect(secret.metadata).toMatchObject({ name: 'etl-secrets', namespace: 'batch' });
    expect(Buffer.from(secret.data.API_TOKEN, 'base64').toString()).toBe('s3cr3t');
    expect(main(manifests).env).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'etl-secrets', key: 'API_TOKEN' } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ]);
  });

  test('registry credentials become a dockerconfigjson Secret used as imagePullSecrets', () => {
    const { manifests } = synth(full);
    const pull = manifests.find((m: Manifest) => m.type === 'kubernetes.io/dockerconfigjson');
    expect(pull.metadata.name).toBe('etl-pull');
    const config = JSON.parse(Buffer.from(pull.data['.dockerconfigjson'], 'base64').toString());
    expect(config).toEqual({
      auths: {
        'registry.example.com': {
          username: 'bot',
          password: 'pw',
          auth: Buffer.from('bot:pw').toString('base64'),
        },
      },
    });
    expect(pod(manifests).imagePullSecrets).toEqual([{ name: 'etl-pull' }]);
  });

  test('an existing pull Secret and an existing ServiceAccount are referenced, not created', () => {
    const { job, manifests } = synth({
      imagePullSecret: { name: 'regcred' },
      serviceAccount: { name: 'runner', create: false },
    });
    expect(kinds(manifests)).toEqual(['Job']);
    expect(pod(manifests).imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod(manifests).serviceAccountName).toBe('runner');
    // No API token unless asked: a ServiceAccount alone (IRSA, pull secrets) does not need it.
    expect(pod(manifests).automountServiceAccountToken).toBe(false);
    expect(job.serviceAccountName).toBe('runner');
  });

  test('the created ServiceAccount carries the IRSA annotation', () => {
    const { manifests } = synth(full);
    const sa = manifests.find((m: Manifest) => m.kind === 'ServiceAccount');
    expect(sa.metadata).toMatchObject({
      name: 'etl',
      namespace: 'batch',
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/etl' },
    });
    expect(pod(manifests).serviceAccountName).toBe('etl');
  });

  test('job fields, volumes, init containers and scheduling land where Kubernetes reads them', () => {
    const { manifests } = synth(full);
    const spec = theJob(manifests).spec;
    expect(spec).toMatchObject({
      parallelism: 4,
      completions: 8,
      completionMode: 'Indexed',
      backoffLimit: 2,
      backoffLimitPerIndex: 1,
      maxFailedIndexes: 3,
      activeDeadlineSeconds: 3600,
      ttlSecondsAfterFinished: 600,
      suspend: true,
    });
    expect(spec.podFailurePolicy.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { operator: 'In', values: [2, 3] } },
      { action: 'FailIndex', onExitCodes: { operator: 'In', values: [7], containerName: 'main' } },
    ]);
    expect(pod(manifests).volumes).toEqual([
      { name: 'config-0', configMap: { name: 'etl-config' } },
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'pvc-2', persistentVolumeClaim: { claimName: 'etl-data' } },
      { name: 'host-3', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'scratch-4', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ]);
    expect(main(manifests).volumeMounts).toEqual([
      { name: 'config-0', mountPath: '/etc/etl', readOnly: true },
      { name: 'creds', mountPath: '/creds', readOnly: true },
      { name: 'pvc-2', mountPath: '/data' },
      { name: 'host-3', mountPath: '/var/log/host', readOnly: true },
      { name: 'scratch-4', mountPath: '/tmp' },
    ]);
    expect(pod(manifests).initContainers[0]).toMatchObject({
      name: 'fetch',
      volumeMounts: [{ name: 'creds', mountPath: '/creds', readOnly: true }],
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
    });
    expect(pod(manifests).nodeSelector).toEqual({ pool: 'batch' });
    expect(pod(manifests).tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
    ]);
    expect(main(manifests).resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '1Gi' },
    });
    expect(theJob(manifests).metadata.labels).toEqual({
      'app.kubernetes.io/name': 'etl',
      'app.kubernetes.io/managed-by': 'jobforge',
      team: 'data',
    });
    expect(theJob(manifests).spec.template.metadata.labels.team).toBe('data');
  });

  test('security settings are overridable field by field', () => {
    const { manifests } = synth({
      podSecurityContext: {
        runAsUser: 1000,
        seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
      },
      securityContext: { readOnlyRootFilesystem: false },
    });
    expect(pod(manifests).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
    });
    expect(main(manifests).securityContext.readOnlyRootFilesystem).toBe(false);
    expect(main(manifests).securityContext.allowPrivilegeEscalation).toBe(false);
  });

  test('explicit resources replace the defaults entirely', () => {
    const { manifests } = synth({ resources: { limits: { cpu: '2' } } });
    expect(main(manifests).resources).toEqual({ limits: { cpu: '2' } });
    expect(DEFAULT_RESOURCES.limits?.memory).toBe('512Mi');
  });

  test('restartPolicy OnFailure is passed through', () => {
    expect(pod(synth({ restartPolicy: 'OnFailure' }).manifests).restartPolicy).toBe('OnFailure');
  });
});

describe('KubernetesJob validation names the field and the value', () => {
  const cases: Array<[string, Partial<KubernetesJobProps>, string | RegExp]> = [
    [
      'Indexed needs completions',
      { completionMode: 'Indexed' },
      "'completions' is required when completionMode is Indexed, got undefined",
    ],
    [
      'backoffLimitPerIndex needs Indexed',
      { backoffLimitPerIndex: 1 },
      `'backoffLimitPerIndex' requires completionMode Indexed, got completionMode "NonIndexed"`,
    ],
    [
      'maxFailedIndexes needs Indexed',
      { maxFailedIndexes: 1 },
      `'maxFailedIndexes' requires completionMode Indexed, got completionMode "NonIndexed"`,
    ],
    [
      'maxFailedIndexes needs backoffLimitPerIndex',
      { completionMode: 'Indexed', completions: 3, maxFailedIndexes: 1 },
      "'backoffLimitPerIndex' is required when maxFailedIndexes is set, got undefined",
    ],
    [
      'maxFailedIndexes at most completions',
      { completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, maxFailedIndexes: 4 },
      "'maxFailedIndexes' must not exceed completions (3), got 4",
    ],
    [
      'podFailurePolicy needs restartPolicy Never',
      { restartPolicy: 'OnFailure', podFailurePolicy: PodFailurePolicy.ignoreDisruptions() },
      `'podFailurePolicy' requires restartPolicy Never, got restartPolicy "OnFailure"`,
    ],
    [
      'FailIndex needs backoffLimitPerIndex',
      {
        completionMode: 'Indexed',
        completions: 2,
        podFailurePolicy: PodFailurePolicy.failIndexOnExitCodes([1]),
      },
      "'podFailurePolicy' action FailIndex requires backoffLimitPerIndex, got undefined",
    ],
    [
      'podFailurePolicy containerName must exist',
      { podFailurePolicy: PodFailurePolicy.failFastOnExitCodes([1], 'sidecar') },
      `'podFailurePolicy' containerName must be 'main' or an init container, got "sidecar"`,
    ],
    [
      'parallelism negative',
      { parallelism: -1 },
      "'parallelism' must be an integer from 0 to 2147483647, got -1",
    ],
    [
      'parallelism fractional',
      { parallelism: 1.5 },
      "'parallelism' must be an integer from 0 to 2147483647, got 1.5",
    ],
    [
      'completions negative',
      { completions: -2 },
      "'completions' must be an integer from 0 to 2147483647, got -2",
    ],
    [
      'backoffLimit negative',
      { backoffLimit: -1 },
      "'backoffLimit' must be an integer from 0 to 2147483647, got -1",
    ],
    [
      'activeDeadlineSeconds negative',
      { activeDeadlineSeconds: -1 },
      "'activeDeadlineSeconds' must be an integer from 0 to 2147483647, got -1",
    ],
    [
      'ttlSecondsAfterFinished negative',
      { ttlSecondsAfterFinished: -5 },
      "'ttlSecondsAfterFinished' must be an integer from 0 to 2147483647, got -5",
    ],
    ['name not DNS-1123', { name: 'Bad_Name' }, `'name' must be a DNS-1123 label`],
    ['name with a dot (pod hostnames are labels)', { name: 'etl.v1' }, `'name' must be a DNS-1123 label`],
    [
      'Indexed parallelism above 100000',
      { completionMode: 'Indexed', completions: 10, parallelism: 100_001 },
      `'parallelism' must be at most 100000 when completionMode is Indexed, got 100001`,
    ],
    [
      'many completions per index need maxFailedIndexes',
      { completionMode: 'Indexed', completions: 100_001, backoffLimitPerIndex: 1 },
      `'maxFailedIndexes' is required when completions is above 100000 with backoffLimitPerIndex, got undefined`,
    ],
    [
      'maxFailedIndexes above 100000',
      { completionMode: 'Indexed', completions: 200_000, backoffLimitPerIndex: 1, maxFailedIndexes: 100_001 },
      `'maxFailedIndexes' must be at most 100000, got 100001`,
    ],
    [
      'name too long',
      { name: 'a'.repeat(64) },
      `'name' must be at most 63 characters, got "${'a'.repeat(64)}" (64)`,
    ],
    [
      'Indexed pod hostname too long',
      { name: 'a'.repeat(60), completionMode: 'Indexed', completions: 1000 },
      `'name' must leave room for the pod hostname "${'a'.repeat(60)}-999"`,
    ],
    ['namespace not a label', { namespace: 'my.ns' }, `'namespace' must be a DNS-1123 label`],
    [
      'createNamespace needs namespace',
      { namespace: undefined, createNamespace: true },
      "'namespace' is required when createNamespace is true, got undefined",
    ],
    [
      'image unparsable',
      { image: 'Not An Image' },
      `'image' must be a full image reference, got "Not An Image"`,
    ],
    ['image missing', { image: '' }, `'image' is required, got ""`],
    [
      'image without tag or digest',
      { image: 'ghcr.io/example/app' },
      `'image' must name a tag or a digest (no implicit :latest), got "ghcr.io/example/app"`,
    ],
    [
      'secrets and secretEnv collide',
      { secrets: { TOKEN: 'x' }, secretEnv: { TOKEN: { secretName: 's', key: 'k' } } },
      `'secrets' and 'secretEnv' both define "TOKEN"`,
    ],
    [
      'env and secrets collide',
      { env: { TOKEN: 'x' }, secrets: { TOKEN: 'y' } },
      `'env' and 'secrets' both define "TOKEN"`,
    ],
    [
      'env and secretEnv collide',
      { env: { TOKEN: 'x' }, secretEnv: { TOKEN: { secretName: 's', key: 'k' } } },
      `'env' and 'secretEnv' both define "TOKEN"`,
    ],
    [
      'env name invalid',
      { env: { 'A=B': 'x' } },
      `'env' keys must be environment variable names (printable ASCII characters except '='), got "A=B"`,
    ],
    [
      'secretEnv secretName invalid',
      { secretEnv: { A: { secretName: 'Bad', key: 'k' } } },
      `'secretEnv.A.secretName' must be a DNS-1123 subdomain`,
    ],
    [
      'secretEnv key invalid',
      { secretEnv: { A: { secretName: 's', key: 'a/b' } } },
      `'secretEnv.A.key' must be a Secret key`,
    ],
    [
      'resources quantity invalid',
      { resources: { requests: { cpu: 'lots' } } },
      `'resources.requests.cpu' must be a non-negative quantity such as 500m or 256Mi, got "lots"`,
    ],
    [
      'resources requests above limits',
      { resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } },
      `'resources.requests.memory' must not exceed limits.memory (1Gi), got "2Gi"`,
    ],
    [
      'resources unknown key',
      { resources: { requests: { gpu: '1' } as never } },
      `'resources.requests' may only set cpu, memory and ephemeralStorage, got "gpu"`,
    ],
    ['configMap name invalid', { configMaps: { Bad: {} } }, `'configMaps' must be a DNS-1123 subdomain`],
    ['configMap key invalid', { configMaps: { ok: { 'a b': 'x' } } }, `'configMaps.ok' keys must match`],
    [
      'volume with two sources',
      { volumeMounts: [{ mountPath: '/x', configMap: 'a', secret: 'b' }] },
      `'volumeMounts[0]' must set exactly one of configMap, secret, persistentVolumeClaim, hostPath, emptyDir, got ["configMap","secret"]`,
    ],
    [
      'volume with no source',
      { volumeMounts: [{ mountPath: '/x' }] },
      `'volumeMounts[0]' must set exactly one`,
    ],
    [
      'volume relative path',
      { volumeMounts: [{ mountPath: 'x', emptyDir: {} }] },
      `'volumeMounts[0].mountPath' must be an absolute path, got "x"`,
    ],
    [
      'volume names unique',
      {
        volumeMounts: [
          { mountPath: '/a', emptyDir: {}, name: 'v' },
          { mountPath: '/b', emptyDir: {}, name: 'v' },
        ],
      },
      `'volumeMounts[1].name' must be unique, got "v"`,
    ],
    [
      'emptyDir sizeLimit invalid',
      { volumeMounts: [{ mountPath: '/a', emptyDir: { sizeLimit: 'big' } }] },
      `'volumeMounts[0].emptyDir.sizeLimit' must be a non-negative quantity such as 1Gi, got "big"`,
    ],
    [
      'hostPath relative',
      { volumeMounts: [{ mountPath: '/a', hostPath: 'var' }] },
      `'volumeMounts[0].hostPath' must be an absolute path, got "var"`,
    ],
    [
      'init container named main',
      { initContainers: [{ name: 'main', image: IMAGE }] },
      `'initContainers[0].name' must be unique and not 'main', got "main"`,
    ],
    [
      'init container image invalid',
      { initContainers: [{ name: 'init', image: 'UPPER/Case' }] },
      `'initContainers[0].image' must be a full image reference, got "UPPER/Case"`,
    ],
    [
      'init container mounts unknown volume',
      { initContainers: [{ name: 'init', image: IMAGE, volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] },
      `'initContainers[0].volumeMounts' must name a volume from volumeMounts, got "nope"`,
    ],
    [
      'pull secret without name or registry',
      { imagePullSecret: { email: 'a@example.com' } },
      `'imagePullSecret' needs a name (existing Secret) or registry credentials, got keys ["email"]`,
    ],
    [
      'pull secret registry without password',
      { imagePullSecret: { registry: 'r.example.com', username: 'u' } },
      `'imagePullSecret.password' is required with registry, got undefined`,
    ],
    [
      'pull secret credentials without registry',
      { imagePullSecret: { name: 'x', username: 'u', password: 'p' } },
      `'imagePullSecret.registry' is required with username and password, got undefined`,
    ],
    [
      'existing service account without name',
      { serviceAccount: { create: false } },
      `'serviceAccount.name' is required when create is false, got undefined`,
    ],
    [
      'existing service account with annotations',
      { serviceAccount: { create: false, name: 'x', annotations: { a: 'b' } } },
      `'serviceAccount.annotations' need create: true`,
    ],
    ['labels invalid', { labels: { 'bad key!': 'x' } }, `'labels' has an invalid label key, got "bad key!"`],
    [
      'nodeSelector value invalid',
      { nodeSelector: { pool: 'a b' } },
      `'nodeSelector' has an invalid value for label "pool", got "a b"`,
    ],
    [
      'toleration without key must be Exists',
      { tolerations: [{ operator: 'Equal', value: 'x' }] },
      `'tolerations' without a key must use operator Exists, got "Equal"`,
    ],
    [
      'toleration Exists with value',
      { tolerations: [{ key: 'k', operator: 'Exists', value: 'x' }] },
      `'tolerations' value must be empty with operator Exists, got "x"`,
    ],
    [
      'tolerationSeconds needs NoExecute',
      { tolerations: [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }] },
      `'tolerations' tolerationSeconds needs effect NoExecute, got "NoSchedule"`,
    ],
    [
      'completionMode invalid',
      { completionMode: 'Sometimes' as never },
      `'completionMode' must be NonIndexed or Indexed, got "Sometimes"`,
    ],
    [
      'restartPolicy invalid',
      { restartPolicy: 'Always' as never },
      `'restartPolicy' must be Never or OnFailure, got "Always"`,
    ],
  ];
  test.each(cases)('%s', (_label, props, message) => {
    expect(build(props)).toThrow(message);
  });

  test('errors never echo a password', () => {
    let message = '';
    try {
      build({ imagePullSecret: { username: 'u', password: 'hunter2' } })();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`'imagePullSecret.registry' is required with username and password`);
    expect(message).not.toContain('hunter2');
  });

  test('a rejected Job leaves nothing in the chart', () => {
    const chart = Testing.chart();
    expect(
      () =>
        new KubernetesJob(chart, 'Job', {
          name: 'etl',
          namespace: 'batch',
          createNamespace: true,
          image: 'bad image',
        }),
    ).toThrow("'image'");
    expect(Testing.synth(chart)).toEqual([]);
  });

  test('podFailurePolicy presets reject bad exit codes', () => {
    expect(() => PodFailurePolicy.failFastOnExitCodes([0])).toThrow(
      "'podFailurePolicy' exit codes must be integers from 1 to 255, got 0",
    );
    expect(() => PodFailurePolicy.failFastOnExitCodes([])).toThrow(
      "'podFailurePolicy' exit codes must be a non-empty list, got []",
    );
    expect(() => PodFailurePolicy.ignoreExitCodes([256])).toThrow('got 256');
  });

  test('podFailurePolicy rules are bounded and well-formed', () => {
    const tooMany = PodFailurePolicy.of(
      ...Array.from({ length: 21 }, () => PodFailurePolicy.ignoreDisruptions()),
    );
    expect(build({ podFailurePolicy: tooMany })).toThrow(
      "'podFailurePolicy' must have 1 to 20 rules, got 21",
    );
    expect(build({ podFailurePolicy: PodFailurePolicy.fromRules([{ action: 'Explode' }]) })).toThrow(
      `'podFailurePolicy' rule action must be Count, FailIndex, FailJob or Ignore, got "Explode"`,
    );
    expect(build({ podFailurePolicy: PodFailurePolicy.fromRules([{ action: 'Ignore' }]) })).toThrow(
      `'podFailurePolicy' rules need exactly one of onExitCodes and onPodConditions`,
    );
  });
});

describe('KubernetesJob rejects what the apiserver rejects (issue 8)', () => {
  const init = (extra: object) => ({ initContainers: [{ name: 'init', image: IMAGE, ...extra }] });
  const scratch = { name: 'scratch', mountPath: '/scratch', emptyDir: {} };
  test.each<[string, Partial<KubernetesJobProps>, string]>([
    [
      'hostPath with ..',
      { volumeMounts: [{ mountPath: '/host', hostPath: '/var/../etc' }] },
      `'volumeMounts[0].hostPath' must not contain '..', got "/var/../etc"`,
    ],
    [
      'duplicate mountPath',
      {
        volumeMounts: [
          { mountPath: '/data', emptyDir: {} },
          { mountPath: '/data', configMap: 'cfg' },
        ],
      },
      `'volumeMounts[1].mountPath' must be unique in the container, got "/data"`,
    ],
    [
      'subPath with ..',
      { volumeMounts: [{ mountPath: '/data', emptyDir: {}, subPath: 'a/../../b' }] },
      `'volumeMounts[0].subPath' must not contain '..', got "a/../../b"`,
    ],
    [
      'absolute subPath',
      { volumeMounts: [{ mountPath: '/data', emptyDir: {}, subPath: '/etc' }] },
      `'volumeMounts[0].subPath' must be a relative path, got "/etc"`,
    ],
    [
      'negative emptyDir sizeLimit',
      { volumeMounts: [{ mountPath: '/data', emptyDir: { sizeLimit: '-1Gi' } }] },
      `'volumeMounts[0].emptyDir.sizeLimit' must be a non-negative quantity such as 1Gi, got "-1Gi"`,
    ],
    [
      'toleration key with a space',
      { tolerations: [{ key: 'dedicated pool', operator: 'Exists' }] },
      `'tolerations' key must be a label key (an optional DNS subdomain prefix and '/', then a name), got "dedicated pool"`,
    ],
    [
      'toleration value that is no label value',
      { tolerations: [{ key: 'pool', operator: 'Equal', value: 'a b' }] },
      `'tolerations' value must be a label value with operator Equal, got "a b"`,
    ],
    [
      'annotations over 256 KiB',
      { annotations: { big: 'x'.repeat(256 * 1024) } },
      `'annotations' must take at most 262144 bytes (256 KiB, keys and values), got 262147 bytes`,
    ],
    [
      'relative mountPath in an init container',
      { volumeMounts: [scratch], ...init({ volumeMounts: [{ name: 'scratch', mountPath: 'scratch' }] }) },
      `'initContainers[0].volumeMounts[0].mountPath' must be an absolute path, got "scratch"`,
    ],
    [
      'duplicate mountPath in an init container',
      {
        volumeMounts: [scratch],
        ...init({
          volumeMounts: [
            { name: 'scratch', mountPath: '/a' },
            { name: 'scratch', mountPath: '/a' },
          ],
        }),
      },
      `'initContainers[0].volumeMounts[1].mountPath' must be unique in the container, got "/a"`,
    ],
    [
      'absolute subPath in an init container',
      {
        volumeMounts: [scratch],
        ...init({ volumeMounts: [{ name: 'scratch', mountPath: '/a', subPath: '/x' }] }),
      },
      `'initContainers[0].volumeMounts[0].subPath' must be a relative path, got "/x"`,
    ],
    [
      'secrets and an imagePullSecret both named <name>-secrets',
      {
        secrets: { TOKEN: 't' },
        imagePullSecret: { name: 'etl-secrets', registry: 'r.example.com', username: 'u', password: 'p' },
      },
      `'secrets' and 'imagePullSecret.name' both create Secret "etl-secrets"; give one of them another name`,
    ],
    [
      'a secrets key that is no Secret key',
      { secrets: { 'MY TOKEN': 't' } },
      `'secrets' keys must also be Secret keys ([-._a-zA-Z0-9]+, not '.' or '..'), got "MY TOKEN"`,
    ],
    [
      'privileged without allowPrivilegeEscalation',
      { securityContext: { privileged: true } },
      `'securityContext.privileged' true needs allowPrivilegeEscalation true (the restricted default is false), got privileged true`,
    ],
    [
      'CAP_SYS_ADMIN without allowPrivilegeEscalation',
      { securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } },
      `'securityContext.capabilities.add' CAP_SYS_ADMIN needs allowPrivilegeEscalation true (the restricted default is false), got ["CAP_SYS_ADMIN"]`,
    ],
    [
      'negative runAsUser',
      { podSecurityContext: { runAsUser: -1 } },
      `'podSecurityContext.runAsUser' must be an integer from 0 to 2147483647, got -1`,
    ],
    [
      'Localhost seccomp profile without a profile',
      { podSecurityContext: { seccompProfile: { type: 'Localhost' } } },
      `'podSecurityContext.seccompProfile.localhostProfile' is required when type is Localhost, got undefined`,
    ],
    [
      'a configMaps key ".."',
      { configMaps: { settings: { '..': 'x' } } },
      `'configMaps.settings' keys must match [-._a-zA-Z0-9]+ (not '.' or '..'), got ".."`,
    ],
    [
      'procMount Unmasked (needs hostUsers false)',
      { securityContext: { procMount: 'Unmasked' } },
      `'securityContext.procMount' must be Default (Unmasked needs hostUsers false), got "Unmasked"`,
    ],
    [
      'an absolute Localhost seccomp profile',
      { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '/etc/p.json' } } },
      `'securityContext.seccompProfile.localhostProfile' must be a relative path, got "/etc/p.json"`,
    ],
    [
      'an invalid resource quantity suffix',
      { resources: { limits: { memory: '1KB' } } },
      `'resources.limits.memory' must be a non-negative quantity such as 500m or 256Mi, got "1KB"`,
    ],
    [
      'an init container privileged without allowPrivilegeEscalation',
      init({ securityContext: { privileged: true } }),
      `'initContainers[0].securityContext.privileged' true needs allowPrivilegeEscalation true`,
    ],
  ])('%s', (_label, props, message) => {
    expect(build(props)).toThrow(message);
  });

  test.each<[string, Partial<KubernetesJobProps>]>([
    ['an annotation key with an uppercase prefix', { annotations: { 'Example.com/Owner': 'team-a' } }],
    [
      'env names the apiserver takes (printable ASCII but =)',
      { env: { '1ST': 'a', 'WITH SPACE': 'b', 'a.b-c': 'c' } },
    ],
    [
      'an empty subPath, a zero sizeLimit',
      { volumeMounts: [{ mountPath: '/d', emptyDir: { sizeLimit: '0' }, subPath: '' }] },
    ],
    [
      'privileged with allowPrivilegeEscalation',
      { securityContext: { privileged: true, allowPrivilegeEscalation: true } },
    ],
  ])('accepts %s', (_label, props) => {
    expect(build(props)).not.toThrow();
  });
});
