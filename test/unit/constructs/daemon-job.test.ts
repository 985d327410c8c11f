import { Testing } from 'cdk8s';
import { DaemonJob, DaemonJobProps } from '../../../constructs/daemon-job';
import { isDnsLabel, shortHash } from '../../../core/dns-name';
import { NodeInfo } from '../../../core/node-inventory';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

const NODES: NodeInfo[] = [
  { name: 'worker-a', labels: { 'kubernetes.io/os': 'linux', pool: 'general' } },
  { name: 'worker-b', labels: { 'kubernetes.io/os': 'linux', pool: 'general' } },
  {
    name: 'gpu-1',
    labels: { 'kubernetes.io/os': 'linux', pool: 'gpu' },
    taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }],
  },
  { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', pool: 'general' } },
  {
    name: 'soft',
    labels: { 'kubernetes.io/os': 'linux', pool: 'general' },
    taints: [{ key: 'x', effect: 'PreferNoSchedule' }],
  },
];

function synth(props: Partial<DaemonJobProps> = {}): { dj: DaemonJob; manifests: Manifest[] } {
  const chart = Testing.chart();
  const dj = new DaemonJob(chart, 'Daemon', {
    name: 'node-audit',
    namespace: 'ops',
    image: IMAGE,
    nodes: NODES,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    ...props,
  });
  return { dj, manifests: Testing.synth(chart) };
}
const jobs = (ms: Manifest[]): Manifest[] => ms.filter((m) => m.kind === 'Job');
const build = (props: Partial<DaemonJobProps>) => () =>
  new DaemonJob(Testing.chart(), 'Daemon', { name: 'node-audit', image: IMAGE, nodes: NODES, ...props });

describe('DaemonJob perNode', () => {
  test('one Job per matching node, pinned by required node affinity on metadata.name', () => {
    const { dj, manifests } = synth();
    expect(dj.nodeNames).toEqual(['worker-a', 'worker-b', 'soft']);
    expect(dj.jobNames).toEqual(['node-audit-worker-a', 'node-audit-worker-b', 'node-audit-soft']);
    const js = jobs(manifests);
    expect(js.map((j) => j.metadata.name)).toEqual(dj.jobNames);
    for (const [i, job] of js.entries()) {
      const node = dj.nodeNames[i];
      expect(job.spec).toMatchObject({ completions: 1, parallelism: 1 });
      expect(
        job.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
      ).toEqual({
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      });
      expect(job.metadata.labels).toMatchObject({
        'jobforge.io/daemon-job': 'node-audit',
        'jobforge.io/node': node,
      });
      expect(job.spec.template.metadata.labels).toMatchObject({
        'jobforge.io/daemon-job': 'node-audit',
        'jobforge.io/node': node,
      });
      expect(job.metadata.annotations).toEqual({ 'jobforge.io/node-name': node });
      expect(job.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    }
    expect(manifests).toMatchSnapshot();
  });

  test('tolerating the taint brings the tainted node in', () => {
    const { dj } = synth({
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(dj.nodeNames).toEqual(['worker-a', 'worker-b', 'gpu-1', 'soft']);
  });

  test('required node affinity of the user narrows the nodes and is kept next to the pin', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['general'] }] }],
        },
      },
    };
    const { dj, manifests } = synth({ affinity, nodeSelector: undefined });
    expect(dj.nodeNames).toEqual(['worker-a', 'worker-b', 'win-1', 'soft']);
    const terms =
      jobs(manifests)[0].spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toEqual([
      {
        matchExpressions: [{ key: 'pool', operator: 'In', values: ['general'] }],
        matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-a'] }],
      },
    ]);
  });

  test('adding a node adds one Job and leaves the others byte-for-byte unchanged', () => {
    const before = jobs(synth().manifests);
    const after = jobs(
      synth({ nodes: [...NODES, { name: 'worker-c', labels: { 'kubernetes.io/os': 'linux' } }] }).manifests,
    );
    expect(after).toHaveLength(before.length + 1);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after[before.length].metadata.name).toBe('node-audit-worker-c');
  });

  test('long and dotted node names get unique, deterministic, hash-suffixed DNS labels', () => {
    const long = 'ip-10-0-1-23.eu-west-1.compute.internal';
    const nodes: NodeInfo[] = [
      { name: long },
      { name: 'ip-10-0-1-23-eu-west-1-compute-internal' },
      { name: `${'n'.repeat(70)}-1` },
      { name: `${'n'.repeat(70)}-2` },
    ];
    const { dj } = synth({ nodes, nodeSelector: undefined });
    expect(new Set(dj.jobNames).size).toBe(4);
    for (const name of dj.jobNames) {
      expect(isDnsLabel(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(dj.jobNames[0]).toMatch(/^node-audit-ip-10-0-1-23-eu-west-1-compute-internal-[0-9a-f]{8}$/);
    expect(dj.jobNames[1]).toBe('node-audit-ip-10-0-1-23-eu-west-1-compute-internal');
    expect(synth({ nodes, nodeSelector: undefined }).dj.jobNames).toEqual(dj.jobNames);
  });

  test('node names too long for a label value are hashed in the node label and kept whole in the annotation', () => {
    const name = `${'n'.repeat(70)}.example`;
    const { manifests } = synth({ nodes: [{ name }], nodeSelector: undefined });
    const job = jobs(manifests)[0];
    expect(job.metadata.labels['jobforge.io/node'].length).toBeLessThanOrEqual(63);
    expect(job.metadata.labels['jobforge.io/node']).toMatch(/-[0-9a-f]{8}$/);
    expect(job.metadata.annotations['jobforge.io/node-name']).toBe(name);
  });

  test('Indexed per-node Jobs keep room for the pod hostname', () => {
    const { dj } = synth({
      nodes: [{ name: 'n'.repeat(60) }],
      nodeSelector: undefined,
      completionMode: 'Indexed',
    });
    expect(dj.jobNames[0].length).toBeLessThanOrEqual(61);
  });

  test('supporting objects are created once for all Jobs', () => {
    const { manifests } = synth({ createNamespace: true, secrets: { TOKEN: 't' }, serviceAccount: {} });
    expect(manifests.map((m: Manifest) => m.kind)).toEqual([
      'Namespace',
      'Secret',
      'ServiceAccount',
      'Job',
      'Job',
      'Job',
    ]);
    for (const job of jobs(manifests)) expect(job.spec.template.spec.serviceAccountName).toBe('node-audit');
  });

  test('annotations count the node-name annotation of each per-node Job against 256 KiB', () => {
    const room = 256 * 1024 - 'jobforge.io/node-name'.length - 'worker-a'.length - 'big'.length;
    expect(build({ annotations: { big: 'x'.repeat(room) } })).not.toThrow();
    expect(build({ annotations: { big: 'x'.repeat(room + 1) } })).toThrow(
      `'annotations' must take at most 262144 bytes (256 KiB, keys and values), got 262145 bytes`,
    );
  });

  test('no matching node is an error naming the selection and why the nodes do not match', () => {
    expect(build({ nodeSelector: { pool: 'none' } })).toThrow(
      `'nodes' has no node the DaemonJob matches (nodeSelector {"pool":"none"}, 0 tolerations), got 5 nodes ("worker-a": nodeSelector; "worker-b": nodeSelector; "gpu-1": nodeSelector, and 2 more); set allowNoMatchingNodes: true to build it without Jobs`,
    );
    expect(build({ nodes: NODES.slice(2, 3) })).toThrow(
      `got 1 nodes ("gpu-1": untolerated taints ["nvidia.com/gpu:NoSchedule"])`,
    );
    expect(build({ nodes: [] })).toThrow(`'nodes' has no node the DaemonJob matches`);
  });

  test('no matching node, no Job, with allowNoMatchingNodes', () => {
    const { dj, manifests } = synth({ nodeSelector: { pool: 'none' }, allowNoMatchingNodes: true });
    expect(dj.jobNames).toEqual([]);
    expect(dj.nodeNames).toEqual([]);
    expect(jobs(manifests)).toEqual([]);
  });
});

describe('DaemonJob fanOut', () => {
  test('one Job, completions = parallelism = node count, hostname anti-affinity, pinned to the matching nodes', () => {
    const { dj, manifests } = synth({ mode: 'fanOut' });
    expect(dj.jobNames).toEqual(['node-audit']);
    const [job] = jobs(manifests);
    expect(job.spec).toMatchObject({ completions: 3, parallelism: 3 });
    const affinity = job.spec.template.spec.affinity;
    expect(affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        labelSelector: { matchLabels: { 'jobforge.io/daemon-job': 'node-audit' } },
        topologyKey: 'kubernetes.io/hostname',
      },
    ]);
    expect(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-a'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-b'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['soft'] }] },
    ]);
    expect(job.spec.template.metadata.labels['jobforge.io/daemon-job']).toBe('node-audit');
    expect(manifests).toMatchSnapshot();
  });

  test('no matching node, no Job', () => {
    expect(synth({ mode: 'fanOut', nodes: [], allowNoMatchingNodes: true }).dj.jobNames).toEqual([]);
  });

  test("the user's required terms are kept: one term per user term and node", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'pool', operator: 'In', values: ['general'] }] },
            { matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] },
          ],
        },
      },
    };
    const { manifests } = synth({ mode: 'fanOut', affinity, nodes: NODES.slice(0, 2) });
    const terms =
      jobs(manifests)[0].spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(4);
    expect(terms[1]).toEqual({
      matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }],
      matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-a'] }],
    });
  });
});

describe('DaemonJob validation', () => {
  test('two nodes that would share a Job name are refused before anything is created', () => {
    // 'a.b' becomes node-audit-a-b-<hash>; a node literally named a-b-<that hash> would too.
    const twin = `a-b-${shortHash('node-audit-a.b')}`;
    const chart = Testing.chart();
    expect(
      () =>
        new DaemonJob(chart, 'Daemon', {
          name: 'node-audit',
          namespace: 'ops',
          createNamespace: true,
          image: IMAGE,
          nodes: [{ name: 'a.b' }, { name: twin }],
        }),
    ).toThrow(`'nodes' "a.b" and "${twin}" map to the same Job name "node-audit-${twin}"`);
    expect(Testing.synth(chart)).toEqual([]);
  });

  const cases: Array<[string, Partial<DaemonJobProps> & Record<string, unknown>, string]> = [
    [
      'mode',
      { mode: 'everywhere' as never },
      `'mode' must be perNode, fanOut or controller, got "everywhere"`,
    ],
    [
      'parallelism is not a prop',
      { parallelism: 2 },
      `'parallelism' is not a DaemonJob prop (the nodes decide it), got 2`,
    ],
    [
      'completions is not a prop',
      { completions: 2 },
      `'completions' is not a DaemonJob prop (the nodes decide it), got 2`,
    ],
    ['name with dots', { name: 'node.audit' }, `'name' must be a DNS-1123 label`],
    ['nodes not a list', { nodes: undefined as never }, `'nodes' must be a list of nodes, got undefined`],
    ['node name invalid', { nodes: [{ name: 'Bad_Node' }] }, `'nodes[0].name' must be a DNS-1123 subdomain`],
    [
      'duplicate node',
      { nodes: [{ name: 'a' }, { name: 'a' }] },
      `'nodes' must have unique names, got "a" twice`,
    ],
    [
      'taint effect',
      { nodes: [{ name: 'a', taints: [{ key: 'k', effect: 'Sometimes' as never }] }] },
      `'nodes[0].taints' effect must be NoSchedule, PreferNoSchedule or NoExecute, got "Sometimes"`,
    ],
    ['shared rules apply', { image: 'nope nope' }, `'image' must be a full image reference, got "nope nope"`],
  ];
  test.each(cases)('%s', (_label, props, message) => {
    expect(build(props as Partial<DaemonJobProps>)).toThrow(message);
  });
});
