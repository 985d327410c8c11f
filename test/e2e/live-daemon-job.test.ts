// DaemonJob run for real on six fake kwok nodes (one tainted, one outside the nodeSelector):
// perNode gives exactly one successful pod per matching node, even when a node's first attempt
// fails; fanOut's documented caveat (a retry may land on a node that already succeeded, leaving
// another node without a run) is shown.
import { Testing } from 'cdk8s';
import { DAEMON_JOB_LABEL, DaemonJob, DaemonJobProps } from '../../constructs/daemon-job';
import { loadNodes } from '../../core/load-nodes';
import { NodeInfo } from '../../core/node-inventory';
import { e2eEnv } from '../support/e2e-env';
import { mergePatch } from '../support/kube-api';
import {
  COMPLETE_DELAY_LABEL,
  FAIL_DELAY_LABEL,
  FAIL_EXIT_CODE_LABEL,
  LiveCluster,
  LiveNode,
  startLiveCluster,
} from '../support/live-cluster';
import { LivePod, applyChart, listPods, trueCondition, waitForJobFinished } from '../support/live-jobs';
import { waitFor } from '../support/processes';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

const NODES: LiveNode[] = [
  { name: 'node-1', labels: { pool: 'batch' } },
  { name: 'node-2', labels: { pool: 'batch' } },
  { name: 'node-3', labels: { pool: 'batch' } },
  { name: 'node-4', labels: { pool: 'batch' } },
  {
    name: 'node-5',
    labels: { pool: 'batch' },
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  },
  { name: 'node-6', labels: { pool: 'web' } },
];
const MATCHING = ['node-1', 'node-2', 'node-3', 'node-4'];

/** node name → phases of the DaemonJob's pods on it. */
function phasesByNode(pods: LivePod[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of pods) {
    const node = p.spec.nodeName ?? '(unscheduled)';
    (out[node] ??= []).push(p.status?.phase ?? 'Unknown');
  }
  for (const phases of Object.values(out)) phases.sort();
  return out;
}

describe('DaemonJob on six live kwok nodes', () => {
  let live: LiveCluster;
  let inventory: NodeInfo[];

  beforeAll(async () => {
    live = await startLiveCluster({ binDir: e2eEnv().binDir, nodes: NODES });
    inventory = await loadNodes(live.kubeconfig);
  });

  afterAll(async () => {
    await live?.stop();
  });

  const baseProps = (ns: string, name: string, extra: Partial<DaemonJobProps> = {}): DaemonJobProps => ({
    namespace: ns,
    name,
    image: IMAGE,
    nodes: inventory,
    nodeSelector: { pool: 'batch' },
    ...extra,
  });

  async function podsOf(ns: string, name: string): Promise<LivePod[]> {
    return listPods(live.kubeconfig, ns, `${DAEMON_JOB_LABEL}=${name}`);
  }

  /**
   * Waits for the first Running pod of the DaemonJob on `node` and makes kwok fail it (exit 1) 6 s
   * later: after the other pods (held Running for 2 s) have succeeded.
   */
  async function failFirstAttemptOn(ns: string, name: string, node: string): Promise<string> {
    const pod = await waitFor(
      `a Running pod of ${name} on ${node}`,
      async () =>
        (await podsOf(ns, name)).find((p) => p.spec.nodeName === node && p.status?.phase === 'Running'),
      { timeoutMs: 60000, intervalMs: 100, onTimeout: () => live.logTails() },
    );
    await mergePatch(live.kubeconfig, `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, {
      metadata: { labels: { [FAIL_EXIT_CODE_LABEL]: '1', [FAIL_DELAY_LABEL]: '6s' } },
    });
    return pod.metadata.name!;
  }

  it('the live inventory has the six nodes with their labels and taints', () => {
    expect(inventory.map((n) => n.name)).toEqual(NODES.map((n) => n.name));
    expect(inventory.find((n) => n.name === 'node-5')?.taints).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    ]);
  });

  it('perNode: exactly one Succeeded pod on each matching node, none on the tainted or unselected node', async () => {
    const chart = Testing.chart();
    const dj = new DaemonJob(chart, 'Audit', baseProps('live-per-node', 'audit'));
    expect(dj.nodeNames).toEqual(MATCHING);
    await applyChart(live.kubeconfig, chart);
    for (const job of dj.jobNames) {
      const done = await waitForJobFinished(live.kubeconfig, 'live-per-node', job, {
        onTimeout: () => live.logTails(),
      });
      expect(trueCondition(done, 'Complete')).toBeDefined();
    }
    expect(phasesByNode(await podsOf('live-per-node', 'audit'))).toEqual({
      'node-1': ['Succeeded'],
      'node-2': ['Succeeded'],
      'node-3': ['Succeeded'],
      'node-4': ['Succeeded'],
    });
  });

  // The same failure under both modes: node-3's first attempt fails once the other pods (held
  // Running for 2 s) have succeeded; the scheduler prefers node-1 for any pod that may go elsewhere.
  const withFailure = (ns: string, name: string, mode: 'perNode' | 'fanOut'): DaemonJobProps =>
    baseProps(ns, name, {
      mode,
      labels: { [COMPLETE_DELAY_LABEL]: '2s' },
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              preference: {
                matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }],
              },
            },
          ],
        },
      },
    });

  it('perNode with the first attempt failing on one node: still exactly one success per node, no node with two', async () => {
    const chart = Testing.chart();
    const dj = new DaemonJob(chart, 'Audit', withFailure('live-per-node-retry', 'audit', 'perNode'));
    await applyChart(live.kubeconfig, chart);
    const failed = await failFirstAttemptOn('live-per-node-retry', 'audit', 'node-3');
    for (const job of dj.jobNames) {
      const done = await waitForJobFinished(live.kubeconfig, 'live-per-node-retry', job, {
        onTimeout: () => live.logTails(),
      });
      expect(trueCondition(done, 'Complete')).toBeDefined();
    }
    const pods = await podsOf('live-per-node-retry', 'audit');
    expect(pods.find((p) => p.metadata.name === failed)?.status?.phase).toBe('Failed');
    expect(phasesByNode(pods)).toEqual({
      'node-1': ['Succeeded'],
      'node-2': ['Succeeded'],
      'node-3': ['Failed', 'Succeeded'],
      'node-4': ['Succeeded'],
    });
  });

  it('fanOut with no failure: one Succeeded pod per matching node', async () => {
    const chart = Testing.chart();
    const dj = new DaemonJob(chart, 'Audit', baseProps('live-fan-out', 'audit', { mode: 'fanOut' }));
    expect(dj.jobNames).toEqual(['audit']);
    await applyChart(live.kubeconfig, chart);
    const done = await waitForJobFinished(live.kubeconfig, 'live-fan-out', 'audit', {
      onTimeout: () => live.logTails(),
    });
    expect(done.status?.succeeded).toBe(4);
    expect(phasesByNode(await podsOf('live-fan-out', 'audit'))).toEqual({
      'node-1': ['Succeeded'],
      'node-2': ['Succeeded'],
      'node-3': ['Succeeded'],
      'node-4': ['Succeeded'],
    });
  });

  it("fanOut's caveat, shown: after the same failure the retry runs on a node that already succeeded, the Job is Complete and node-3 never had a successful run", async () => {
    const chart = Testing.chart();
    new DaemonJob(chart, 'Audit', withFailure('live-fan-out-retry', 'audit', 'fanOut'));
    await applyChart(live.kubeconfig, chart);
    await failFirstAttemptOn('live-fan-out-retry', 'audit', 'node-3');
    const done = await waitForJobFinished(live.kubeconfig, 'live-fan-out-retry', 'audit', {
      onTimeout: () => live.logTails(),
    });
    expect(trueCondition(done, 'Complete')).toBeDefined();
    expect(done.status?.succeeded).toBe(4);
    // Anti-affinity only sees running pods: by the retry every other pod has succeeded, so nothing
    // keeps the retry off node-1, which the scheduler prefers.
    expect(phasesByNode(await podsOf('live-fan-out-retry', 'audit'))).toEqual({
      'node-1': ['Succeeded', 'Succeeded'],
      'node-2': ['Succeeded'],
      'node-3': ['Failed'],
      'node-4': ['Succeeded'],
    });
  });
});
