// The pod model is built lazily (like cdk8s-plus): addContainer, addInitContainer, addVolume and
// addEnv called after a workload is constructed land in what it synthesizes, on every Job of the
// workload; bad additions throw naming the field and the value, and change nothing.
import { Testing } from 'cdk8s';
import { DaemonJob } from '../../../constructs/daemon-job';
import { KubernetesCronJob } from '../../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../../constructs/kubernetes-job';
import { DEFAULT_RESOURCES, IPodWorkload, JobWorkloadProps } from '../../../constructs/pod';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const DIGEST_IMAGE = `registry.k8s.io/pause@sha256:${'a'.repeat(64)}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

interface Workload {
  readonly name: string;
  readonly build: (props?: Partial<JobWorkloadProps>) => { workload: IPodWorkload; synth: () => Manifest[] };
  /** The pod specs of every Job the workload synthesizes. */
  readonly pods: (manifests: Manifest[]) => Manifest[];
}

const base = { name: 'work', namespace: 'batch', image: IMAGE };

function builder(make: (chart: ReturnType<typeof Testing.chart>, props: JobWorkloadProps) => IPodWorkload) {
  return (props: Partial<JobWorkloadProps> = {}) => {
    const chart = Testing.chart();
    const workload = make(chart, { ...base, ...props });
    return { workload, synth: () => Testing.synth(chart) };
  };
}

const WORKLOADS: Workload[] = [
  {
    name: 'KubernetesJob',
    build: builder((chart, props) => new KubernetesJob(chart, 'W', props)),
    pods: (ms) => ms.filter((m) => m.kind === 'Job').map((m) => m.spec.template.spec),
  },
  {
    name: 'KubernetesCronJob',
    build: builder((chart, props) => new KubernetesCronJob(chart, 'W', { ...props, schedule: '0 * * * *' })),
    pods: (ms) => ms.filter((m) => m.kind === 'CronJob').map((m) => m.spec.jobTemplate.spec.template.spec),
  },
  {
    name: 'DaemonJob (perNode, two nodes)',
    build: builder(
      (chart, props) =>
        new DaemonJob(chart, 'W', { ...props, nodes: [{ name: 'node-a' }, { name: 'node-b' }] }),
    ),
    pods: (ms) => ms.filter((m) => m.kind === 'Job').map((m) => m.spec.template.spec),
  },
  {
    name: 'DaemonJob (fanOut)',
    build: builder(
      (chart, props) =>
        new DaemonJob(chart, 'W', {
          ...props,
          mode: 'fanOut',
          nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        }),
    ),
    pods: (ms) => ms.filter((m) => m.kind === 'Job').map((m) => m.spec.template.spec),
  },
  {
    name: 'DaemonJob (controller)',
    build: builder((chart, props) => new DaemonJob(chart, 'W', { ...props, mode: 'controller' })),
    pods: (ms) => ms.filter((m) => m.kind === 'DaemonJob').map((m) => m.spec.template.spec),
  },
];

describe.each(WORKLOADS)('$name: add* after construction', ({ build, pods }) => {
  test('addContainer lands a sidecar with the restricted security context, default resources and pull policy', () => {
    const { workload, synth } = build();
    workload.addContainer({
      name: 'proxy',
      image: DIGEST_IMAGE,
      args: ['--port=9000'],
      ports: [{ name: 'proxy', containerPort: 9000 }],
    });
    const specs = pods(synth());
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) {
      expect(spec.containers.map((c: Manifest) => c.name)).toEqual(['main', 'proxy']);
      expect(spec.containers[1]).toEqual({
        name: 'proxy',
        image: DIGEST_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        args: ['--port=9000'],
        ports: [{ name: 'proxy', containerPort: 9000 }],
        resources: {
          requests: { cpu: DEFAULT_RESOURCES.requests!.cpu, memory: DEFAULT_RESOURCES.requests!.memory },
          limits: { cpu: DEFAULT_RESOURCES.limits!.cpu, memory: DEFAULT_RESOURCES.limits!.memory },
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
        },
      });
    }
  });

  test('addInitContainer runs after the props init containers', () => {
    const { workload, synth } = build({ initContainers: [{ name: 'first', image: IMAGE }] });
    workload.addInitContainer({ name: 'second', image: IMAGE, command: ['true'] });
    for (const spec of pods(synth())) {
      expect(spec.initContainers.map((c: Manifest) => c.name)).toEqual(['first', 'second']);
      expect(spec.initContainers[1]).toMatchObject({ command: ['true'], imagePullPolicy: 'Always' });
    }
  });

  test('addVolume adds the volume and its mount in the main container; added containers mount it by name', () => {
    const { workload, synth } = build({ volumeMounts: [{ mountPath: '/cfg', configMap: 'settings' }] });
    workload.addVolume({ name: 'cache', mountPath: '/cache', emptyDir: { sizeLimit: '1Gi' } });
    workload.addVolume({ mountPath: '/data', persistentVolumeClaim: 'data' });
    workload.addInitContainer({
      name: 'warm',
      image: IMAGE,
      volumeMounts: [{ name: 'cache', mountPath: '/c' }],
    });
    for (const spec of pods(synth())) {
      expect(spec.volumes).toEqual([
        { name: 'config-0', configMap: { name: 'settings' } },
        { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'pvc-2', persistentVolumeClaim: { claimName: 'data' } },
      ]);
      expect(spec.containers[0].volumeMounts).toEqual([
        { name: 'config-0', mountPath: '/cfg', readOnly: true },
        { name: 'cache', mountPath: '/cache' },
        { name: 'pvc-2', mountPath: '/data' },
      ]);
      expect(spec.initContainers[0].volumeMounts).toEqual([{ name: 'cache', mountPath: '/c' }]);
    }
  });

  test('addEnv appends to the main container (also when the props had no env)', () => {
    const { workload, synth } = build();
    workload.addEnv('MODE', 'batch');
    workload.addEnv('LEVEL', '3');
    for (const spec of pods(synth())) {
      expect(spec.containers[0].env).toEqual([
        { name: 'MODE', value: 'batch' },
        { name: 'LEVEL', value: '3' },
      ]);
    }
  });

  test('added items are read at synthesis: adding after a first synth changes the next one', () => {
    const { workload, synth } = build();
    const before = pods(synth());
    expect(before[0].containers[0].env).toBeUndefined();
    workload.addEnv('LATE', 'yes');
    expect(pods(synth())[0].containers[0].env).toEqual([{ name: 'LATE', value: 'yes' }]);
  });

  test.each<[string, (w: IPodWorkload) => void, string]>([
    [
      'addEnv: a name with =',
      (w) => w.addEnv('A=B', 'x'),
      `'env' keys must be environment variable names (printable ASCII characters except '='), got "A=B"`,
    ],
    [
      'addEnv: a name the props define',
      (w) => w.addEnv('TOKEN', 'x'),
      `'env' already defines "TOKEN" (env, secrets, secretEnv or an earlier addEnv); an environment variable has one source`,
    ],
    [
      'addEnv: a non-string value',
      (w) => w.addEnv('N', 3 as unknown as string),
      `'env.N' must be a string, got 3`,
    ],
    [
      'addContainer: named main',
      (w) => w.addContainer({ name: 'main', image: IMAGE }),
      `'containers[1].name' must be unique and not 'main', got "main"`,
    ],
    [
      'addContainer: an untagged image',
      (w) => w.addContainer({ name: 'side', image: 'busybox' }),
      `'containers[1].image' must name a tag or a digest (no implicit :latest), got "busybox"`,
    ],
    [
      'addContainer: a port out of range',
      (w) => w.addContainer({ name: 'side', image: IMAGE, ports: [{ containerPort: 70000 }] }),
      `'containers[1].ports[0].containerPort' must be an integer port from 1 to 65535, got 70000`,
    ],
    [
      'addContainer: a bad pull policy',
      (w) => w.addContainer({ name: 'side', image: IMAGE, imagePullPolicy: 'Sometimes' as never }),
      `'containers[1].imagePullPolicy' must be Always, IfNotPresent or Never, got "Sometimes"`,
    ],
    [
      'addContainer: privileged without escalation',
      (w) => w.addContainer({ name: 'side', image: IMAGE, securityContext: { privileged: true } }),
      `'containers[1].securityContext.privileged' true needs allowPrivilegeEscalation true`,
    ],
    [
      'addInitContainer: a name taken by an init container',
      (w) => w.addInitContainer({ name: 'init', image: IMAGE }),
      `'initContainers[1].name' must be unique and not 'main', got "init"`,
    ],
    [
      'addInitContainer: an unknown volume',
      (w) =>
        w.addInitContainer({ name: 'x', image: IMAGE, volumeMounts: [{ name: 'nope', mountPath: '/n' }] }),
      `'initContainers[1].volumeMounts' must name a volume from volumeMounts, got "nope"`,
    ],
    [
      'addInitContainer: bad resources',
      (w) => w.addInitContainer({ name: 'x', image: IMAGE, resources: { limits: { cpu: 'lots' } } }),
      `'initContainers[1].resources.limits.cpu' must be a non-negative quantity such as 500m or 256Mi, got "lots"`,
    ],
    [
      'addVolume: a mount path taken',
      (w) => w.addVolume({ mountPath: '/cfg', emptyDir: {} }),
      `'volumeMounts[1].mountPath' must be unique in the container, got "/cfg"`,
    ],
    [
      'addVolume: a name taken',
      (w) => w.addVolume({ name: 'config-0', mountPath: '/x', emptyDir: {} }),
      `'volumeMounts[1].name' must be unique, got "config-0"`,
    ],
    [
      'addVolume: two sources',
      (w) => w.addVolume({ mountPath: '/x', emptyDir: {}, secret: 's' }),
      `'volumeMounts[1]' must set exactly one of configMap, secret, persistentVolumeClaim, hostPath, emptyDir, got ["secret","emptyDir"]`,
    ],
    [
      'addVolume: over the secretEnv files',
      (w) => w.addVolume({ mountPath: '/var/run/secrets/jobforge', emptyDir: {} }),
      `'volumeMounts[1]' collides with the secretEnv files mounted at "/var/run/secrets/jobforge/creds"`,
    ],
  ])('%s throws naming the field and leaves the output unchanged', (_label, add, message) => {
    const { workload, synth } = build({
      env: { TOKEN: 'x' },
      secretEnv: { KEY_FILE: { secretName: 'creds', key: 'key', asFile: true } },
      initContainers: [{ name: 'init', image: IMAGE }],
      volumeMounts: [{ mountPath: '/cfg', configMap: 'settings' }],
    });
    const before = JSON.stringify(synth());
    expect(() => add(workload)).toThrow(message);
    expect(JSON.stringify(synth())).toBe(before);
  });

  test('requireImageDigest applies to added containers and init containers', () => {
    const { workload } = build({ image: DIGEST_IMAGE, requireImageDigest: true });
    expect(() => workload.addContainer({ name: 'side', image: IMAGE })).toThrow(
      `'containers[1].image' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got "${IMAGE}"`,
    );
    expect(() => workload.addInitContainer({ name: 'x', image: IMAGE })).toThrow(
      `'initContainers[0].image' must be pinned by digest`,
    );
  });

  test('the workload imagePullPolicy applies to added containers unless they set their own', () => {
    const { workload, synth } = build({ imagePullPolicy: 'Never' });
    workload.addContainer({ name: 'a', image: IMAGE });
    workload.addContainer({ name: 'b', image: IMAGE, imagePullPolicy: 'Always' });
    workload.addInitContainer({ name: 'c', image: IMAGE });
    const spec = pods(synth())[0];
    expect(spec.containers.map((c: Manifest) => c.imagePullPolicy)).toEqual(['Never', 'Never', 'Always']);
    expect(spec.initContainers[0].imagePullPolicy).toBe('Never');
  });
});
