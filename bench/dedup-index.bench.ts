// (b) The dedup workload index over 10,000 workloads in a real kube-apiserver: the time to
// build it (paginated list calls of six kinds + indexing) and lookups per second, against a
// linear search over the same image uses, measured side by side in one run.
// BENCH_WORKLOADS sets the number of workloads (10000).
import { canonicalImage } from '../core/image-reference';
import {
  collectWorkloadImages,
  kubeWorkloadLister,
  WorkloadImageUse,
  WorkloadIndex,
} from '../core/workload-index';
import { startKubeCluster } from '../test/support/kube-cluster';
import { kubeRequest } from '../test/support/kube-api';
import { enginesBinDir } from '../test/support/pulumi';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const KINDS = [
  { kind: 'Deployment', path: 'apis/apps/v1', plural: 'deployments', share: 0.4 },
  { kind: 'StatefulSet', path: 'apis/apps/v1', plural: 'statefulsets', share: 0.1 },
  { kind: 'DaemonSet', path: 'apis/apps/v1', plural: 'daemonsets', share: 0.1 },
  { kind: 'Job', path: 'apis/batch/v1', plural: 'jobs', share: 0.15 },
  { kind: 'CronJob', path: 'apis/batch/v1', plural: 'cronjobs', share: 0.1 },
  { kind: 'Pod', path: 'api/v1', plural: 'pods', share: 0.15 },
] as const;
const NAMESPACES = ['default', 'team-a', 'team-b', 'team-c'];

const imageOf = (i: number): string =>
  `${REGISTRY}/svc-${i % 2000}:${['dev', 'staging', 'prod'][i % 3]}-v1.${i % 50}.0`;

function podSpec(i: number): Record<string, unknown> {
  return {
    initContainers: i % 5 === 0 ? [{ name: 'init', image: 'docker.io/library/busybox:1.36' }] : undefined,
    containers: [
      { name: 'app', image: imageOf(i) },
      { name: 'sidecar', image: `docker.io/library/envoy:v1.${i % 7}` },
    ],
  };
}

function objectFor(kind: (typeof KINDS)[number]['kind'], i: number, ns: string): Record<string, unknown> {
  const name = `w-${i}`;
  const labels = { app: name };
  const template = {
    metadata: { labels },
    spec: { ...podSpec(i), restartPolicy: kind === 'Job' || kind === 'CronJob' ? 'Never' : undefined },
  };
  const meta = { name, namespace: ns };
  switch (kind) {
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: meta,
        spec: { selector: { matchLabels: labels }, template },
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: meta,
        spec: { serviceName: name, selector: { matchLabels: labels }, template },
      };
    case 'DaemonSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: meta,
        spec: { selector: { matchLabels: labels }, template },
      };
    case 'Job':
      return { apiVersion: 'batch/v1', kind, metadata: meta, spec: { template } };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata: meta,
        spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } },
      };
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata: meta, spec: podSpec(i) };
  }
}

async function seed(kubeconfig: string, total: number): Promise<void> {
  for (const ns of NAMESPACES.slice(1)) {
    await kubeRequest(kubeconfig, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  }
  const jobs: Array<() => Promise<void>> = [];
  let i = 0;
  for (const k of KINDS) {
    const n = Math.round(total * k.share);
    for (let j = 0; j < n; j++, i++) {
      const idx = i;
      const ns = NAMESPACES[idx % NAMESPACES.length];
      jobs.push(async () => {
        const res = await kubeRequest(
          kubeconfig,
          'POST',
          `/${k.path}/namespaces/${ns}/${k.plural}`,
          objectFor(k.kind, idx, ns),
        );
        if (res.status >= 300)
          throw new Error(`creating ${k.kind} ${ns}/w-${idx}: ${res.status} ${res.body.slice(0, 300)}`);
      });
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 48 }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
}

/** The baseline: every lookup scans every use (canonical forms precomputed once, as an index would). */
function linearFindImage(
  uses: ReadonlyArray<{ canonical: string; use: WorkloadImageUse }>,
  image: string,
): WorkloadImageUse[] {
  const target = canonicalImage(image);
  return uses.filter((u) => u.canonical === target).map((u) => u.use);
}

function perSecond(fn: () => void, minMs = 1000): number {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let k = 0; k < 100; k++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n / elapsed) * 1000;
}

export default async function (): Promise<void> {
  const total = Number(process.env.BENCH_WORKLOADS ?? 10000);
  const cluster = await startKubeCluster({ binDir: enginesBinDir() });
  try {
    const seedStart = Date.now();
    await seed(cluster.kubeconfig, total);
    console.log(
      `seeded ${total} workloads in ${NAMESPACES.length} namespaces in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    const lister = kubeWorkloadLister(cluster.kubeconfig);
    await collectWorkloadImages(lister, { pageSize: 500 }); // warm-up (TLS, JIT)
    const builds: number[] = [];
    let built!: { index: WorkloadIndex; uses: WorkloadImageUse[]; apiCalls: number };
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      const c = await collectWorkloadImages(lister, { pageSize: 500 });
      const index = new WorkloadIndex(c.uses);
      builds.push(Number(process.hrtime.bigint() - t0) / 1e6);
      built = { index, uses: c.uses, apiCalls: c.apiCalls };
    }
    const tIndex0 = process.hrtime.bigint();
    new WorkloadIndex(built.uses);
    const indexOnlyMs = Number(process.hrtime.bigint() - tIndex0) / 1e6;
    const linearUses = built.uses.map((use) => ({ canonical: canonicalImage(use.image), use }));

    // Lookups: half present, half absent, as a pipeline run asks.
    const queries = Array.from({ length: 1000 }, (_, q) =>
      q % 2 === 0 ? imageOf(q * 7) : `${REGISTRY}/svc-${q}:prod-v9.${q}.0`,
    );
    for (const q of queries.slice(0, 50)) {
      const a = built.index.findImage(q).length;
      const b = linearFindImage(linearUses, q).length;
      if (a !== b) throw new Error(`index and linear search disagree on ${q}: ${a} vs ${b}`);
    }
    let qi = 0;
    const indexRate = perSecond(() => built.index.findImage(queries[qi++ % queries.length]));
    qi = 0;
    const linearRate = perSecond(() => linearFindImage(linearUses, queries[qi++ % queries.length]), 2000);
    qi = 0;
    const prefixRate = perSecond(() => built.index.findPrefix(`${REGISTRY}/svc-${qi++ % 2000}`, 'prod'));

    const median = [...builds].sort((a, b) => a - b)[1];
    console.log(
      `workloads: ${total}, container image uses indexed: ${built.index.size}, list calls per build: ${built.apiCalls} (page size 500)`,
    );
    console.log(
      `build time (list all kinds + index), median of 3: ${median.toFixed(0)} ms (runs: ${builds.map((b) => b.toFixed(0)).join(', ')} ms); indexing alone: ${indexOnlyMs.toFixed(1)} ms`,
    );
    console.log(
      `exact-image lookups/s: index ${indexRate.toFixed(0)} vs linear search ${linearRate.toFixed(0)} → ${(indexRate / linearRate).toFixed(0)}x`,
    );
    console.log(`repository+prefix lookups/s (index): ${prefixRate.toFixed(0)}`);
    console.log(
      `break-even: the index pays for its build after ${Math.ceil((indexOnlyMs / 1000) * linearRate)} lookups (indexing time / linear lookup time)`,
    );
  } finally {
    await cluster.stop();
  }
}
