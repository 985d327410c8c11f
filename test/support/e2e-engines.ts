// Starts and stops everything the e2e suite runs against (used by test/e2e/global-setup.ts and
// global-teardown.ts): the engines build (tools/engines.js), kube-apiserver + etcd with the Kyverno
// CRDs and the project's CRDs installed, moto, and a fresh synth of main.ts.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { E2E_ENV_VARS } from './e2e-env';
import { KubeObject, installCrds, parseManifests, readCrdFiles } from './kube-api';
import { KubeCluster, startKubeCluster } from './kube-cluster';
import { MotoServer, startMoto } from './moto';
import { installCleanupHandlers, makeTempDir, runRepoTool } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const KYVERNO_MODULE = 'github.com/kyverno/kyverno';

function log(msg: string): void {
  process.stderr.write(`[e2e] ${msg}\n`);
}

async function timed<T>(
  label: string,
  timings: Record<string, number>,
  fn: () => Promise<T> | T,
): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = (Date.now() - t0) / 1000;
  }
}

/** Runs `node tools/engines.js` (builds what is missing, idempotent) and returns the bin dir. */
export function ensureEngines(): string {
  const binDir = runRepoTool('engines.js').trim().split('\n').pop() ?? '';
  if (!fs.existsSync(path.join(binDir, 'kube-apiserver'))) {
    throw new Error(`tools/engines.js printed ${JSON.stringify(binDir)}, which has no kube-apiserver`);
  }
  return binDir;
}

const goModule = require(path.join(REPO_ROOT, 'tools', 'go-module.js')) as {
  requiredVersion(goModFile: string, module: string): string;
  moduleDir(goModFile: string, module: string, probe: string): { dir: string; version: string };
};
const KYVERNO_GO_MOD = path.join('tools', 'kyverno', 'go.mod');

/** The Kyverno version pinned in tools/kyverno/go.mod. */
export function kyvernoVersion(): string {
  return goModule.requiredVersion(KYVERNO_GO_MOD, KYVERNO_MODULE);
}

/** The pinned Kyverno module's directory in the Go module cache (downloaded when missing). */
export function kyvernoModuleDir(): string {
  return goModule.moduleDir(KYVERNO_GO_MOD, KYVERNO_MODULE, 'config').dir;
}

/** Every Kyverno CRD file (config/crds/**) from the pinned Kyverno module in the Go module cache. */
export function kyvernoCrdFiles(): string[] {
  const root = path.join(kyvernoModuleDir(), 'config', 'crds');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  if (files.length === 0) throw new Error(`no Kyverno CRDs under ${root}`);
  return files.sort();
}

export interface SynthResult {
  readonly dir?: string;
  readonly error?: string;
}

/** `cdk8s synth` of the example app (what `npm run synth` runs) into a fresh directory. */
export async function synthApp(outDir: string): Promise<SynthResult> {
  return new Promise((resolve) => {
    execFile(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s'),
      ['synth', '--output', outDir],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve(
          err ? { error: `cdk8s synth failed (${err.message}):\n${stdout}\n${stderr}` } : { dir: outDir },
        ),
    );
  });
}

/** Every object in the YAML files of a directory, in file order. */
export function readManifestDir(dir: string): { file: string; objects: KubeObject[] }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ file: f, objects: parseManifests(fs.readFileSync(path.join(dir, f), 'utf8'), f) }));
}

export interface E2eEngines {
  readonly env: Record<string, string>;
  readonly timings: Record<string, number>;
  stop(): Promise<void>;
}

/** Builds/starts everything and returns the environment variables tests read (see e2e-env.ts). */
export async function startE2eEngines(): Promise<E2eEngines> {
  const t0 = Date.now();
  installCleanupHandlers();
  const timings: Record<string, number> = {};
  const binDir = await timed('engines', timings, ensureEngines);
  process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;
  const workDir = makeTempDir('e2e');
  const synthDir = path.join(workDir, 'synth');

  // Kyverno's CRDs (about 10 s: ClusterPolicy and Policy are 1.4 MB each) go in as soon as the
  // apiserver is ready, while moto starts and the app synthesizes.
  const kyvernoCrds = readCrdFiles(kyvernoCrdFiles());
  const started = await Promise.allSettled([
    timed('kube-apiserver', timings, () => startKubeCluster({ binDir })).then(async (c) => {
      try {
        await timed('kyverno-crds', timings, () => installCrds(c.kubeconfig, kyvernoCrds));
        return c;
      } catch (e) {
        await c.stop();
        throw e;
      }
    }),
    timed('moto', timings, () => startMoto({ binDir })),
    timed('synth', timings, () => synthApp(synthDir)),
  ]);
  const [clusterR, motoR, synthR] = started;
  const cluster: KubeCluster | undefined = clusterR.status === 'fulfilled' ? clusterR.value : undefined;
  const moto: MotoServer | undefined = motoR.status === 'fulfilled' ? motoR.value : undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([cluster?.stop(), moto?.stop()]);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    if (clusterR.status === 'rejected') throw clusterR.reason;
    if (motoR.status === 'rejected') throw motoR.reason;
    const synth: SynthResult =
      synthR.status === 'fulfilled' ? synthR.value : { error: String(synthR.reason) };
    if (synth.dir) {
      const projectCrds = readManifestDir(synth.dir)
        .flatMap((f) => f.objects)
        .filter((o) => o.kind === 'CustomResourceDefinition');
      await timed('project-crds', timings, () => installCrds(cluster!.kubeconfig, projectCrds));
    }
    const env: Record<string, string> = {
      [E2E_ENV_VARS.kubeconfig]: cluster!.kubeconfig,
      [E2E_ENV_VARS.motoEndpoint]: moto!.endpoint,
      [E2E_ENV_VARS.binDir]: binDir,
      [E2E_ENV_VARS.nodeModulesRoot]: REPO_ROOT,
      ...(synth.dir
        ? { [E2E_ENV_VARS.synthDir]: synth.dir }
        : { [E2E_ENV_VARS.synthError]: synth.error ?? '' }),
    };
    const total = (Date.now() - t0) / 1000;
    const parts = Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ');
    log(`engines up in ${total.toFixed(1)} s (${parts})`);
    return { env, timings: { ...timings, total }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
