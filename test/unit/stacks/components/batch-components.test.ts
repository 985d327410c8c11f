// KubernetesJob, KubernetesCronJob and DaemonJob as Pulumi components, under Pulumi's mocks: the
// exact children (types, names, parents' order), their inputs equal to the cdk8s construct's
// synthesized objects, the outputs, and input errors that create nothing.
import * as pulumi from '@pulumi/pulumi';
import { Testing } from 'cdk8s';
import { installMocks, registered, registeredNames, settled, valueOf } from '../../../support/pulumi-mocks';

installMocks();

// Imported after setMocks so the components register against the mocks.
const { KubernetesJob } =
  require('../../../../stacks/components/kubernetes-job') as typeof import('../../../../stacks/components/kubernetes-job');
const { KubernetesCronJob } =
  require('../../../../stacks/components/kubernetes-cron-job') as typeof import('../../../../stacks/components/kubernetes-cron-job');
const { DaemonJob, readClusterNodes } =
  require('../../../../stacks/components/daemon-job') as typeof import('../../../../stacks/components/daemon-job');
const cdk = require('../../../../index') as typeof import('../../../../index');

const IMAGE = 'docker.io/library/busybox:1.36.1';

/** Pulumi's wire form of a secret value (its signature key), as the mocks receive it. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** `value` with every secret unwrapped. */
function unsecret(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(unsecret);
  const obj = value as Record<string, unknown>;
  if (SECRET_SIG in obj) return unsecret(obj.value);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unsecret(v)]));
}

/** The inputs of the registered resource `type::name` (secrets unwrapped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function inputsOf(type: string, name: string): any {
  const r = registered.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type}::${name} among ${registeredNames().join(', ')}`);
  return unsecret(r.inputs);
}

beforeEach(() => {
  registered.length = 0;
});

describe('KubernetesJob (Pulumi)', () => {
  test('creates exactly the Namespace, ConfigMap, Secret, pull Secret, ServiceAccount and Job of the cdk8s KubernetesJob', async () => {
    const props = {
      namespace: 'batch',
      createNamespace: true,
      image: IMAGE,
      command: ['sh', '-c', 'run-migrations'],
      secrets: { DATABASE_URL: 'postgres://dev@db/app' },
      configMaps: { 'migrate-config': { 'settings.ini': 'lock_timeout = 30' } },
      imagePullSecret: { registry: 'registry.example.com', username: 'bot', password: 'token' },
      serviceAccount: {},
    };
    const job = new KubernetesJob('migrate', {
      ...props,
      namespace: pulumi.output('batch'), // any field may be an Output
    });
    expect(await valueOf(job.jobName)).toBe('migrate');
    expect(await valueOf(job.namespace)).toBe('batch');
    expect(await valueOf(job.serviceAccountName)).toBe('migrate');
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:batch:KubernetesJob::migrate',
      'kubernetes:batch/v1:Job::migrate-batch/migrate',
      'kubernetes:core/v1:ConfigMap::migrate-batch/migrate-config',
      'kubernetes:core/v1:Namespace::migrate-batch',
      'kubernetes:core/v1:Secret::migrate-batch/migrate-pull',
      'kubernetes:core/v1:Secret::migrate-batch/migrate-secrets',
      'kubernetes:core/v1:ServiceAccount::migrate-batch/migrate',
    ]);
    // The children are the construct's own objects: one model renders both.
    const chart = Testing.chart();
    new cdk.KubernetesJob(chart, 'Migrate', { ...props, name: 'migrate' });
    for (const obj of Testing.synth(chart)) {
      const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : '';
      const type = `kubernetes:${obj.apiVersion.includes('/') ? obj.apiVersion : `core/${obj.apiVersion}`}:${obj.kind}`;
      expect(inputsOf(type, `migrate-${ns}${obj.metadata.name}`)).toEqual(obj);
    }
  });

  test('its initialization ends once every child is registered (what dependsOn: [component] waits for)', async () => {
    const job = new KubernetesJob('waited', { namespace: 'batch', createNamespace: true, image: IMAGE });
    await (job as unknown as { getData(): Promise<unknown> }).getData();
    // Pulumi expands `dependsOn: [component]` to the component's children once getData() resolves
    // (runtime/dependsOn.ts reads __childResources then).
    const children = (job as unknown as { __childResources?: Set<pulumi.Resource> }).__childResources;
    expect(children?.size).toBe(2);
    await settled();
  });

  test('skipAwait adds the pulumi.com/skipAwait annotation to the Job', async () => {
    const job = new KubernetesJob('quick', { image: IMAGE, skipAwait: true, annotations: { team: 'a' } });
    await valueOf(job.jobName);
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:batch:KubernetesJob::quick',
      'kubernetes:batch/v1:Job::quick-quick',
    ]);
    expect(inputsOf('kubernetes:batch/v1:Job', 'quick-quick').metadata.annotations).toEqual({
      team: 'a',
      'pulumi.com/skipAwait': 'true',
    });
  });

  test('a field showing a secret input is secret, the others (names) are not', async () => {
    const job = new KubernetesJob('secretive', {
      namespace: 'batch',
      image: IMAGE,
      secrets: { TOKEN: pulumi.secret('s3cr3t-token') },
      env: { API_KEY: pulumi.secret('s3cr3t-key') },
    });
    expect(await pulumi.isSecret(job.jobName)).toBe(false);
    expect(await valueOf(job.jobName)).toBe('secretive');
    await settled();
    const raw = (type: string): Record<string, unknown> =>
      registered.find((r) => r.type === type && r.name.startsWith('secretive-'))!.inputs;
    // The env value is in the Job's spec: the spec is secret, its metadata is not.
    expect(Object.keys(raw('kubernetes:batch/v1:Job').spec as object)).toContain(SECRET_SIG);
    expect(Object.keys(raw('kubernetes:batch/v1:Job').metadata as object)).not.toContain(SECRET_SIG);
    expect(Object.keys(raw('kubernetes:core/v1:Secret').data as object)).toContain(SECRET_SIG);
    expect(inputsOf('kubernetes:core/v1:Secret', 'secretive-batch/secretive-secrets').data).toEqual({
      TOKEN: Buffer.from('s3cr3t-token').toString('base64'),
    });
  });

  test('bad plain input throws in the constructor, naming the field, and registers nothing', async () => {
    expect(() => new KubernetesJob('bad', { image: 'docker.io/library/busybox' })).toThrow(
      `'image' must name a tag or a digest (no implicit :latest), got "docker.io/library/busybox"`,
    );
    expect(() => new KubernetesJob('bad', { image: IMAGE, skipAwait: 'yes' as unknown as boolean })).toThrow(
      `'skipAwait' must be a boolean, got "yes"`,
    );
    await settled();
    expect(registeredNames()).toEqual([]);
  });
});

describe('KubernetesCronJob (Pulumi)', () => {
  test('creates exactly the CronJob (and ServiceAccount) of the cdk8s KubernetesCronJob', async () => {
    const cron = new KubernetesCronJob('report', {
      namespace: 'batch',
      image: IMAGE,
      schedule: pulumi.output('30 2 * * MON-FRI'),
      timeZone: 'Europe/Paris',
      serviceAccount: {},
    });
    expect(await valueOf(cron.cronJobName)).toBe('report');
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:batch:KubernetesCronJob::report',
      'kubernetes:batch/v1:CronJob::report-batch/report',
      'kubernetes:core/v1:ServiceAccount::report-batch/report',
    ]);
    expect(inputsOf('kubernetes:batch/v1:CronJob', 'report-batch/report').spec).toMatchObject({
      schedule: '30 2 * * MON-FRI',
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Forbid',
    });
  });

  test('a bad schedule throws in the constructor and registers nothing', async () => {
    expect(() => new KubernetesCronJob('bad-cron', { image: IMAGE, schedule: '* * * *' })).toThrow(
      `'schedule' must have exactly 5 fields (minute hour day-of-month month day-of-week), found 4, got "* * * *"`,
    );
    await settled();
    expect(registeredNames()).toEqual([]);
  });
});

describe('DaemonJob (Pulumi)', () => {
  const nodes = [
    { name: 'node-1', labels: { pool: 'batch' } },
    { name: 'node-2', labels: { pool: 'batch' } },
    { name: 'node-3', labels: { pool: 'web' } },
  ];

  test('creates exactly one Job per matching node of the given nodes, pinned to it', async () => {
    const dj = new DaemonJob('warm', {
      namespace: 'batch',
      image: IMAGE,
      nodes,
      nodeSelector: { pool: 'batch' },
    });
    expect(await valueOf(dj.nodeNames)).toEqual(['node-1', 'node-2']);
    expect(await valueOf(dj.jobNames)).toEqual(['warm-node-1', 'warm-node-2']);
    expect(await valueOf(dj.daemonJobName)).toBe('warm');
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:batch:DaemonJob::warm',
      'kubernetes:batch/v1:Job::warm-batch/warm-node-1',
      'kubernetes:batch/v1:Job::warm-batch/warm-node-2',
    ]);
    const job = inputsOf('kubernetes:batch/v1:Job', 'warm-batch/warm-node-2');
    expect(job.spec.template.spec.affinity.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }],
      },
    });
  });

  test('bad plain input throws in the constructor, also before the nodes are read', () => {
    expect(() => new DaemonJob('warm-none', { image: IMAGE, nodes, nodeSelector: { pool: 'gpu' } })).toThrow(
      `'nodes' has no node the DaemonJob matches (nodeSelector {"pool":"gpu"}, 0 tolerations), got 3 nodes`,
    );
    expect(() => new DaemonJob('warm-bad', { image: IMAGE, mode: 'each' as 'perNode' })).toThrow(
      `'mode' must be perNode, fanOut or controller, got "each"`,
    );
  });

  test('mode controller creates the DaemonJob custom resource and reads no node', async () => {
    const dj = new DaemonJob('warm-ctl', {
      namespace: 'batch',
      image: IMAGE,
      mode: 'controller',
      kubeconfig: '/nonexistent/kubeconfig', // never read
    });
    expect(await valueOf(dj.jobNames)).toEqual([]);
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:batch:DaemonJob::warm-ctl',
      'kubernetes:jobforge.io/v1alpha1:DaemonJob::warm-ctl-batch/warm-ctl',
    ]);
  });

  test('a cluster whose nodes cannot be read is an error naming the DaemonJob and the kubeconfig, never its content', async () => {
    await expect(readClusterNodes('warm', '/nonexistent/kubeconfig')).rejects.toThrow(
      `DaemonJob "warm" could not read the nodes of the cluster (kubeconfig "/nonexistent/kubeconfig"): 'kubeconfig' file does not exist, got "/nonexistent/kubeconfig"`,
    );
    const content = 'apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: s3cr3t-token\n';
    const err = await readClusterNodes('warm', content).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^DaemonJob "warm" could not read the nodes of the cluster \(the kubeconfig given as content\): /,
    );
    expect(err?.message).not.toContain('s3cr3t-token');
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      users: [{ user: { token: 's3cr3t-token' } }],
    });
    const jsonErr = await readClusterNodes('warm', json).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(jsonErr?.message).toMatch(/\(the kubeconfig given as content\)/);
    expect(jsonErr?.message).not.toContain('s3cr3t-token');
  });
});
