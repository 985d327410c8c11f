// Batch workloads: 1,000 KubernetesJobs, 200 KubernetesCronJobs and a DaemonJob over 500 nodes,
// built and synthesized with jobforge vs the same manifests written with plain cdk8s-plus-28 L1
// classes (bench/batch-workloads.worker.ts; the output digests must match). Each measurement runs
// in a fresh process, variants alternate, medians are compared (CPU time for speed: wall time on a
// shared machine mostly measures the neighbours). BENCH_ROUNDS sets the rounds (5).
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

interface Sample {
  variant: string;
  buildMs: number;
  synthMs: number;
  coldMs: number;
  warmMs: number;
  buildCpuMs: number;
  synthCpuMs: number;
  coldCpuMs: number;
  warmCpuMs: number;
  treeHeap: number;
  peakRssGrowth: number;
  digest: string;
  bytes: number;
}

const TARGET = 1.3;
const HEADLINE: ReadonlyArray<keyof Sample> = ['coldCpuMs', 'warmCpuMs', 'peakRssGrowth', 'treeHeap'];
const ms = (v: number): string => `${v.toFixed(0)} ms`;
const mib = (v: number): string => `${(v / 2 ** 20).toFixed(1)} MiB`;
const METRICS: Array<[keyof Sample, string, (v: number) => string]> = [
  ['coldCpuMs', 'CPU time, first run (build + synth)', ms],
  ['warmCpuMs', 'CPU time, second run (warm JIT)', ms],
  ['buildCpuMs', 'CPU time, building the constructs', ms],
  ['synthCpuMs', 'CPU time, synthesizing YAML', ms],
  ['peakRssGrowth', 'peak memory (max RSS growth)', mib],
  ['treeHeap', 'heap held by the construct tree', mib],
  ['coldMs', 'wall time, first run (noisy when shared)', ms],
  ['warmMs', 'wall time, second run (noisy when shared)', ms],
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function runWorker(variant: string): Sample {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, 'batch-workloads.worker.ts'),
      variant,
    ],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Sample;
}

export default async function batchWorkloads(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const variants = ['jobforge', 'l1'];
  const samples: Record<string, Sample[]> = { jobforge: [], l1: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift on a shared machine hits both sides alike.
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) samples[v].push(runWorker(v));
  }
  const digests = new Set([...samples.jobforge, ...samples.l1].map((s) => s.digest));
  console.log(
    `1,000 KubernetesJobs + 200 KubernetesCronJobs + DaemonJob over 500 nodes; ${rounds} rounds, medians; ` +
      `${samples.jobforge[0].bytes} bytes of YAML; outputs ${digests.size === 1 ? 'identical' : 'DIFFER'} (${[...digests].join(', ')})`,
  );
  console.log(`| metric | jobforge | plain L1 | ratio |\n|---|---|---|---|`);
  let worst = 0;
  for (const [key, label, fmt] of METRICS) {
    const a = median(samples.jobforge.map((s) => s[key] as number));
    const b = median(samples.l1.map((s) => s[key] as number));
    const ratio = a / b;
    if (HEADLINE.includes(key)) worst = Math.max(worst, ratio);
    console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${ratio.toFixed(2)}x |`);
  }
  console.log(`machine load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log(
    `worst headline ratio (CPU time, memory) ${worst.toFixed(2)}x (target <= ${TARGET}x): ${worst <= TARGET ? 'PASS' : 'FAIL'}`,
  );
  if (digests.size !== 1) process.exitCode = 1;
}
