// The package's root entry: `require('jobforge')` + a synth of a small chart vs requiring only the
// construct files it uses (lib/constructs/kubernetes-job.js) + the same synth, from the build in
// lib/ (`npm run build` first if it is missing). Each measurement is a fresh plain-Node process
// (no ts-node); variants alternate and medians are compared: process CPU time (startup, module
// loading and synth; wall time on a shared machine mostly measures the neighbours) and the number
// of modules loaded. Issue 12's goal: ≤ 1.1×. BENCH_ROUNDS sets the rounds (7).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');
const TARGET = 1.1;

interface Sample {
  cpuMs: number;
  modules: number;
  bytes: number;
}

const VARIANTS: Record<string, string> = {
  "require('jobforge')": path.join(LIB, 'index.js'),
  'construct files only': path.join(LIB, 'constructs', 'kubernetes-job.js'),
};

const WORKER = `
  const { App, Chart } = require('cdk8s');
  const { KubernetesJob } = require(process.argv[1]);
  const app = new App({ outdir: process.argv[2] });
  const chart = new Chart(app, 'bench');
  for (let i = 0; i < 20; i++) {
    new KubernetesJob(chart, 'Job' + i, {
      namespace: 'bench', name: 'job-' + i, image: 'docker.io/library/busybox:1.36.1', command: ['true'],
    });
  }
  const yaml = app.synthYaml();
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({
    cpuMs: (cpu.user + cpu.system) / 1000, modules: Object.keys(require.cache).length, bytes: yaml.length,
  }));`;

function sample(entry: string): Sample {
  const out = execFileSync(process.execPath, ['-e', WORKER, entry, path.join(ROOT, 'dist')], {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  return JSON.parse(out.toString()) as Sample;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export default async function packageEntryBench(): Promise<void> {
  if (!fs.existsSync(path.join(LIB, 'pulumi.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, entry] of Object.entries(VARIANTS)) samples[name].push(sample(entry));
  }
  const [root, constructs] = Object.keys(VARIANTS);
  if (samples[root][0].bytes !== samples[constructs][0].bytes)
    throw new Error('the variants synthesized different YAML');
  for (const name of Object.keys(VARIANTS)) {
    const s = samples[name];
    console.log(
      `${name.padEnd(24)} CPU ${median(s.map((x) => x.cpuMs)).toFixed(0)} ms, ${s[0].modules} modules`,
    );
  }
  const ratio = median(samples[root].map((x) => x.cpuMs)) / median(samples[constructs].map((x) => x.cpuMs));
  console.log(
    `ratio (CPU, require('jobforge') + synth / construct files + synth): ${ratio.toFixed(2)}× ` +
      `(target ≤ ${TARGET}×: ${ratio <= TARGET ? 'met' : 'NOT met'}; ${rounds} rounds, medians)`,
  );
}
