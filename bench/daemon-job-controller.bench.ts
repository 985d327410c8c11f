// The DaemonJob controller with 500 fake nodes (BENCH_NODES), each figure beside a baseline
// measured in the same run:
// (1) the pure reconcile that decides the 500 per-node Jobs vs the DaemonJob construct's
//     synth-time rendering of the same 500 Jobs (CPU time and heap);
// (2) on a real kube-apiserver: the controller's first reconcile (informers synced → 500 Jobs
//     created, status written) vs POSTing the construct's 500 Jobs one by one through the same
//     client; heap of the controller with 500 nodes and 500 Jobs cached;
// (3) node join → its Job created (median of 10 joins) vs one Job POST observed the same way.
import { Testing } from 'cdk8s';
import { DaemonJob } from '../constructs/daemon-job';
import { daemonJobCrdManifest } from '../constructs/daemon-job-crd';
import { DaemonJobObject } from '../core/daemon-job/daemon-job-resource';
import { reconcileDaemonJob } from '../core/daemon-job/reconcile-daemon-job';
import { DaemonJobController } from '../core/io/daemon-job-controller';
import { kubeClient, loadClientNode, loadKubeConfig } from '../core/io/kube';
import { NodeInfo } from '../core/node-inventory';
import { jsonLineLogger } from '../core/policy-sync/sync-logger';
import { installCrds, kubeRequest, KubeObject } from '../test/support/kube-api';
import { startKubeCluster } from '../test/support/kube-cluster';
import { enginesBinDir } from '../test/support/pulumi';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
// The apiserver's TaintNodesByCondition admission taints every new node not-ready, and no kubelet
// (or kwok) makes these nodes Ready: the DaemonJob tolerates it, in both measurements.
const SELECTION = {
  nodeSelector: { pool: 'batch' },
  tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' as const }],
};

const gc = (): void => (global as { gc?: () => void }).gc?.();
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function heapOf<T>(make: () => T): { value: T; bytes: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  gc();
  return { value, bytes: process.memoryUsage().heapUsed - before };
}

const nodeNames = (n: number, prefix = 'node'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

function daemonJobObject(name: string, namespace: string): DaemonJobObject {
  const chart = Testing.chart();
  new DaemonJob(chart, 'Dj', {
    name,
    namespace,
    image: IMAGE,
    mode: 'controller',
    ...SELECTION,
  });
  const [dj] = (Testing.synth(chart) as DaemonJobObject[]).filter((o) => o.kind === 'DaemonJob');
  return { ...dj, metadata: { ...dj.metadata, uid: 'bench', generation: 1 } };
}

function pureBench(n: number): void {
  const nodes: NodeInfo[] = nodeNames(n).map((name) => ({ name, labels: { pool: 'batch' } }));
  const dj = daemonJobObject('audit', 'default');
  const synth = (): unknown[] => {
    const chart = Testing.chart();
    new DaemonJob(chart, 'Dj', {
      name: 'audit',
      namespace: 'default',
      image: IMAGE,
      nodes,
      ...SELECTION,
    });
    return Testing.synth(chart);
  };
  const reconcile = (): unknown[] =>
    reconcileDaemonJob({ daemonJob: dj, nodes, jobs: [], now: new Date() }).create;
  for (let i = 0; i < 3; i++) {
    synth();
    reconcile();
  }
  const runs = (fn: () => unknown): number[] =>
    Array.from({ length: 7 }, () => {
      const t0 = process.hrtime.bigint();
      fn();
      return ms(t0);
    });
  const synthMs = median(runs(synth));
  const reconcileMs = median(runs(reconcile));
  const synthHeap = heapOf(synth);
  const reconcileHeap = heapOf(reconcile);
  // Steady state: every node already has its (succeeded) Job of the round.
  const made = reconcileDaemonJob({ daemonJob: dj, nodes, jobs: [], now: new Date() }).create;
  const jobs = made.map((j) => ({
    metadata: j.metadata,
    status: { conditions: [{ type: 'Complete', status: 'True' }] },
  }));
  const steadyMs = median(runs(() => reconcileDaemonJob({ daemonJob: dj, nodes, jobs, now: new Date() })));
  console.log(`(1) ${n} nodes, pure reconcile vs the construct's synth of the same ${n} Jobs (median of 7):`);
  console.log(
    `    time: reconcile ${reconcileMs.toFixed(1)} ms vs synth ${synthMs.toFixed(1)} ms → ${(reconcileMs / synthMs).toFixed(2)}x; ` +
      `steady-state reconcile (all ${n} Jobs done) ${steadyMs.toFixed(1)} ms → ${(steadyMs / synthMs).toFixed(2)}x`,
  );
  console.log(
    `    heap held by the result: reconcile ${mb(reconcileHeap.bytes)} vs synth ${mb(synthHeap.bytes)} → ${(reconcileHeap.bytes / Math.max(synthHeap.bytes, 1)).toFixed(2)}x`,
  );
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function liveBench(n: number): Promise<void> {
  const cluster = await startKubeCluster({ binDir: enginesBinDir() });
  const kc = loadKubeConfig(cluster.kubeconfig);
  const client = loadClientNode();
  const core = kubeClient(client.CoreV1Api, kc);
  const batch = kubeClient(client.BatchV1Api, kc);
  let controller: DaemonJobController | undefined;
  try {
    await installCrds(cluster.kubeconfig, [daemonJobCrdManifest() as KubeObject]);
    for (const ns of ['bench-controller', 'bench-baseline']) {
      await core.createNamespace({ body: { metadata: { name: ns } } });
    }
    const names = nodeNames(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < names.length) {
          const name = names[next++];
          await core.createNode({ body: { metadata: { name, labels: { pool: 'batch' } } } });
        }
      }),
    );

    // Baseline: the construct's N Jobs, POSTed one by one through the same client.
    const chart = Testing.chart();
    new DaemonJob(chart, 'Dj', {
      name: 'audit',
      namespace: 'bench-baseline',
      image: IMAGE,
      nodes: names.map((name) => ({
        name,
        labels: { pool: 'batch' },
        taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' as const }],
      })),
      ...SELECTION,
    });
    const synthJobs = (Testing.synth(chart) as KubeObject[]).filter((o) => o.kind === 'Job');
    const tBase = process.hrtime.bigint();
    for (const job of synthJobs)
      await batch.createNamespacedJob({ namespace: 'bench-baseline', body: job as never });
    const baselineMs = ms(tBase);

    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    controller = new DaemonJobController({
      kubeConfig: kc,
      namespace: 'bench-controller',
      logger: jsonLineLogger(process.env.BENCH_LOG_LEVEL === 'debug' ? 'debug' : 'warn', (line) =>
        process.stderr.write(line),
      ),
    });
    await controller.start();
    const dj = daemonJobObject('audit', 'bench-controller');
    const tReconcile = process.hrtime.bigint();
    await kubeRequest(
      cluster.kubeconfig,
      'POST',
      '/apis/jobforge.io/v1alpha1/namespaces/bench-controller/daemonjobs',
      {
        apiVersion: dj.apiVersion,
        kind: dj.kind,
        metadata: { name: 'audit', namespace: 'bench-controller' },
        spec: dj.spec,
      },
    );
    await waitUntil(`${n} Jobs`, async () => {
      // No selector: remainingItemCount is only sent for unfiltered lists (the namespace holds only these Jobs).
      const list = await batch.listNamespacedJob({ namespace: 'bench-controller', limit: 1 });
      return (list.metadata?.remainingItemCount ?? 0) + list.items.length >= n;
    });
    const reconcileMs = ms(tReconcile);
    await controller.idle();
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(`(2) ${n} nodes on a real kube-apiserver: DaemonJob created → ${n} Jobs created`);
    console.log(
      `    controller ${(reconcileMs / 1000).toFixed(2)} s vs POSTing the construct's ${n} Jobs one by one ${(baselineMs / 1000).toFixed(2)} s → ${(reconcileMs / baselineMs).toFixed(2)}x`,
    );
    console.log(
      `    controller heap with ${n} nodes and ${n} Jobs cached: +${mb(heapAfter - heapBefore)} (rss ${mb(process.memoryUsage().rss)})`,
    );

    // (3) Node join → its Job, vs one Job POST observed the same way (poll GET every 2 ms).
    const joins: number[] = [];
    const posts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `join-${i}`;
      const t0 = process.hrtime.bigint();
      await core.createNode({ body: { metadata: { name, labels: { pool: 'batch' } } } });
      await waitUntil(`the Job of ${name}`, async () => {
        const list = await batch.listNamespacedJob({
          namespace: 'bench-controller',
          labelSelector: `jobforge.io/node=${name}`,
        });
        return list.items.length > 0;
      });
      joins.push(ms(t0));
      const job = {
        ...synthJobs[0],
        metadata: { ...synthJobs[0].metadata, name: `post-${i}`, namespace: 'bench-baseline' },
      };
      const t1 = process.hrtime.bigint();
      await batch.createNamespacedJob({ namespace: 'bench-baseline', body: job as never });
      await waitUntil(`Job post-${i}`, async () => {
        const list = await batch.listNamespacedJob({
          namespace: 'bench-baseline',
          fieldSelector: `metadata.name=post-${i}`,
        });
        return list.items.length > 0;
      });
      posts.push(ms(t1));
    }
    console.log(
      `(3) node join → its Job created, median of 10: ${median(joins).toFixed(0)} ms vs one Job POST seen the same way ${median(posts).toFixed(0)} ms → ${(median(joins) / median(posts)).toFixed(2)}x (joins: ${joins.map((j) => j.toFixed(0)).join(', ')} ms)`,
    );
  } finally {
    await controller?.stop();
    await cluster.stop();
  }
}

export default async function (): Promise<void> {
  const n = Number(process.env.BENCH_NODES ?? 500);
  pureBench(n);
  await liveBench(n);
}
