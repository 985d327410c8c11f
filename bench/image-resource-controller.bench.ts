// The image resource controller's managers, measured in one run side by side with the pipeline
// the Pulumi provider and the CLI run (the baseline):
// 1. A steady-state detection cycle over BENCH_IRC_REPOS (200) repositories × BENCH_IRC_TAGS (300)
//    tags, against an ECR client that pages as ECR does (1,000 per page): ECR calls vs the minimum
//    (one DescribeRepositories page per 1,000 repositories + one DescribeImages page per 1,000
//    images of each repository), Kubernetes writes of a cycle that finds nothing new, and the
//    cycle's time vs planPipeline over the same registry.
// 2. Memory of BENCH_IRC_OBJECTS (10,000) ImageDetected objects as the informer cache holds them
//    (apiserver JSON with managedFields and status) vs the same images as the Pulumi stack's
//    detected-image records.
// 3. Push → commit at a 30 s interval: a push waits half an interval on average for the next
//    scan; then the controller spends one scan, its debounce (1 s) and one creation batch (list
//    the branch + one commit to a local bare remote, real git), the baseline (the CLI / `pulumi
//    up` on the same 30 s schedule) one whole pipeline run. Expected latencies from the measured
//    parts, and their ratio.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ImageDetectionManager } from '../core/io/image-detection-manager';
import { controllerMetrics } from '../core/io/controller-metrics';
import { controllerLogger } from '../core/io/controller-log';
import type { ImageResourceKube } from '../core/io/image-resource-kube';
import { imageDetectedFor } from '../core/image-resource/reconcile-detection';
import type { ImageDetected, ImageResourcePolicy } from '../core/image-resource/resources';
import { scanEcr } from '../core/io/ecr';
import { planPipeline, applyPlan } from '../core/pipeline/plan';
import { toDetectedImage } from '../core/pipeline/select';
import { pipelineStages } from '../core/pipeline/stages';
import { renderManifest } from '../core/pipeline/render';
import { validatePipelineConfig } from '../core/pipeline/validate';
import { listGitFiles } from '../core/git-tree';
import { writeGitFiles } from '../core/git-writer';
import type { EcrClientLike, ImagePipelineConfig } from '../core/pipeline/types';

const REPOS = Number(process.env.BENCH_IRC_REPOS ?? 200);
const TAGS = Number(process.env.BENCH_IRC_TAGS ?? 300);
const OBJECTS = Number(process.env.BENCH_IRC_OBJECTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const INTERVAL_S = 30;
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PAGE = 1000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const hex = (n: number) => n.toString(16).padStart(64, '0');

/** An ECR client over an in-memory registry that pages like ECR and counts calls. */
function fakeEcr(): EcrClientLike & { calls: { repos: number; images: number } } {
  const repos = Array.from({ length: REPOS }, (_, i) => `bench/svc-${String(i).padStart(3, '0')}`);
  const calls = { repos: 0, images: 0 };
  const pushed = new Date('2026-01-01T00:00:00Z');
  return {
    calls,
    async send(command: unknown) {
      const c = command as {
        constructor: { name: string };
        input: { nextToken?: string; repositoryName?: string };
      };
      const start = Number(c.input.nextToken ?? 0);
      if (c.constructor.name === 'DescribeRepositoriesCommand') {
        calls.repos++;
        const page = repos.slice(start, start + PAGE);
        return {
          repositories: page.map((r) => ({ repositoryName: r, repositoryUri: `${REGISTRY}/${r}` })),
          nextToken: start + PAGE < repos.length ? String(start + PAGE) : undefined,
        };
      }
      calls.images++;
      const r = repos.indexOf(c.input.repositoryName ?? '');
      const page = Array.from({ length: Math.min(PAGE, TAGS - start) }, (_, i) => {
        const t = start + i;
        return {
          imageDigest: `sha256:${hex(r * 100_000 + t)}`,
          imageTags: [`1.${Math.floor(t / 100)}.${t % 100}`],
          imagePushedAt: pushed,
        };
      });
      return { imageDetails: page, nextToken: start + PAGE < TAGS ? String(start + PAGE) : undefined };
    },
  };
}

const policy: ImageResourcePolicy = {
  metadata: { name: 'bench', namespace: 'default', generation: 1 },
  spec: {
    ecrRepository: { region: 'eu-west-1', repositoryPattern: 'bench/*', maxRepositories: REPOS },
    policy: { perRepository: true, semver: { range: '>=1.0.0' } },
    templateRef: { name: 't' },
  },
};

/** The detection manager with a recording Kubernetes client and a fake informer cache. */
function detectionManager(ecr: EcrClientLike) {
  const store = new Map<string, ImageDetected>();
  const writes = { create: 0, replace: 0, status: 0, events: 0 };
  const kube = {
    kubeConfig: undefined,
    async create(_p: string, _ns: string, body: ImageDetected) {
      writes.create++;
      store.set(body.metadata.name, body);
    },
    async replace() {
      writes.replace++;
    },
    async patchStatus() {
      writes.status++;
    },
    async event() {
      writes.events++;
    },
  } as unknown as ImageResourceKube;
  const manager = new ImageDetectionManager({
    kube,
    metrics: controllerMetrics('bench'),
    logger: controllerLogger('error', () => {}),
    scan: (cfg) => scanEcr(cfg, { client: ecr }),
  });
  (manager as unknown as { detected: { list(): ImageDetected[] } }).detected = {
    list: () => [...store.values()],
  };
  return { manager, writes };
}

function pipelineConfig(remote: string): ImagePipelineConfig {
  return {
    ecr: { region: 'eu-west-1', repositoryPattern: 'bench/*', maxRepositories: REPOS },
    policy: { perRepository: true, semver: { range: '>=1.0.0' } },
    template: {
      yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\ndata:\n  image: "{{ .FullImageName }}"\n',
    },
    git: { url: remote, branch: 'main', path: 'apps' },
  };
}

async function cycles(): Promise<{ steadyMs: number }> {
  const ecr = fakeEcr();
  const { manager, writes } = detectionManager(ecr);
  await manager.reconcile(policy); // cold: every image new
  const cold = { ...writes };
  const before = { ...ecr.calls };
  const w0 = { ...writes };
  const steady: number[] = [];
  const pipe: number[] = [];
  let pipeCalls = 0;
  const base = fakeEcr();
  for (let i = 0; i < ROUNDS; i++) {
    let t = process.hrtime.bigint();
    await manager.reconcile({ ...policy, status: { observedGeneration: 1 } });
    steady.push(Number(process.hrtime.bigint() - t) / 1e6);
    const b0 = base.calls.repos + base.calls.images;
    t = process.hrtime.bigint();
    await planPipeline(pipelineConfig('file:///nonexistent'), pipelineStages(), {
      scan: (cfg) => scanEcr(cfg, { client: base }),
      listGitFiles: async () => new Set(),
      writeGitFiles: async () => {
        throw new Error('unused');
      },
    });
    pipe.push(Number(process.hrtime.bigint() - t) / 1e6);
    pipeCalls = base.calls.repos + base.calls.images - b0;
  }
  const perCycle = (ecr.calls.repos - before.repos + ecr.calls.images - before.images) / ROUNDS;
  const minimum = Math.ceil(REPOS / PAGE) + REPOS * Math.ceil(TAGS / PAGE);
  console.log(`steady-state detection cycle, ${REPOS} repositories × ${TAGS} tags (${ROUNDS} rounds):`);
  console.log(
    `  ECR calls per cycle: ${perCycle} (minimum ${minimum}; ratio ${(perCycle / minimum).toFixed(2)}); pipeline baseline ${pipeCalls}`,
  );
  console.log(
    `  Kubernetes writes per steady cycle: ${(writes.create - w0.create + writes.replace - w0.replace) / ROUNDS} object writes, ${(writes.status - w0.status) / ROUNDS} status patch, ${(writes.events - w0.events) / ROUNDS} events (cold cycle: ${cold.create} creates)`,
  );
  const s = median(steady);
  const p = median(pipe);
  console.log(
    `  cycle time: controller ${s.toFixed(1)} ms vs planPipeline ${p.toFixed(1)} ms (ratio ${(s / p).toFixed(2)})`,
  );
  return { steadyMs: s };
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) (global as unknown as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function memory(): void {
  if (!(global as unknown as { gc?: () => void }).gc)
    console.log('  (run with --expose-gc for exact heap figures)');
  const now = new Date('2026-03-01T00:00:00Z');
  const images = Array.from({ length: OBJECTS }, (_, i) =>
    toDetectedImage(
      {
        registry: REGISTRY,
        repository: `team/svc-${i % 500}`,
        tag: `1.${Math.floor(i / 500)}.${i % 97}`,
        digest: `sha256:${hex(i)}`,
        pushedAt: now.toISOString(),
      },
      undefined,
    ),
  );
  const h0 = heapUsed();
  // What the informer cache holds: the apiserver's JSON, parsed.
  const cache = new Map<string, ImageDetected>();
  for (const [i, image] of images.entries()) {
    const d = imageDetectedFor(policy, image, now);
    const stored = JSON.parse(
      JSON.stringify({
        ...d,
        metadata: {
          ...d.metadata,
          uid: `${hex(i).slice(0, 8)}-0000-4000-8000-${hex(i).slice(0, 12)}`,
          resourceVersion: String(100000 + i),
          generation: 1,
          creationTimestamp: now.toISOString(),
          managedFields: [
            {
              manager: 'jobforge-image-detection',
              operation: 'Update',
              apiVersion: 'automation.gitops.io/v1beta1',
              time: now.toISOString(),
              fieldsType: 'FieldsV1',
              fieldsV1: {
                'f:spec': {
                  'f:imageName': {},
                  'f:imageTag': {},
                  'f:imageDigest': {},
                  'f:fullImageName': {},
                  'f:sourcePolicy': { 'f:name': {}, 'f:namespace': {} },
                  'f:detectedAt': {},
                },
              },
            },
            {
              manager: 'jobforge-image-creation',
              operation: 'Update',
              apiVersion: 'automation.gitops.io/v1beta1',
              time: now.toISOString(),
              fieldsType: 'FieldsV1',
              subresource: 'status',
              fieldsV1: {
                'f:status': {
                  'f:phase': {},
                  'f:resourceCreated': {},
                  'f:gitCommitSHA': {},
                  'f:processedAt': {},
                  'f:conditions': {},
                },
              },
            },
          ],
        },
        status: {
          phase: 'Completed',
          resourceCreated: true,
          gitCommitSHA: hex(i).slice(0, 40),
          processedAt: now.toISOString(),
          observedGeneration: 1,
          conditions: [
            {
              type: 'ResourceCreated',
              status: 'True',
              reason: 'Committed',
              message: `manifest apps/${image.repository}/${image.tag}.yaml committed in ${hex(i).slice(0, 40)}`,
              lastTransitionTime: now.toISOString(),
              observedGeneration: 1,
            },
          ],
        },
      }),
    ) as ImageDetected;
    cache.set(`default/${stored.metadata.name}`, stored);
  }
  const h1 = heapUsed();
  const records = images.map((image) => ({
    registry: image.registry,
    repository: image.repository,
    tag: image.tag,
    digest: image.digest,
    pushedAt: image.pushedAt,
    fullImageName: image.fullImageName,
    tagPrefix: null,
    detectedAt: now.toISOString(),
    status: 'created',
    file: `apps/${image.repository}/${image.tag}.yaml`,
    reasonCode: null,
    reason: null,
    existing: null,
    commitSha: hex(0).slice(0, 40),
  }));
  const h2 = heapUsed();
  const ctrl = (h1 - h0) / 1024 / 1024;
  const pipe = (h2 - h1) / 1024 / 1024;
  console.log(`memory with ${OBJECTS} ImageDetected objects:`);
  console.log(
    `  informer cache ${ctrl.toFixed(1)} MiB (${Math.round((h1 - h0) / OBJECTS)} B/object) vs the stack's records ${pipe.toFixed(1)} MiB (ratio ${(ctrl / pipe).toFixed(2)})`,
  );
  if (cache.size + records.length === 0) console.log(''); // keep both alive until measured
}

async function pushToCommit(steadyMs: number): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-irc-'));
  try {
    const remote = path.join(tmp, 'remote.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const url = `file://${remote}`;
    const config = validatePipelineConfig(pipelineConfig(url));
    const batch: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const image = toDetectedImage(
        {
          registry: REGISTRY,
          repository: 'bench/svc-000',
          tag: `9.${i}.0`,
          digest: `sha256:${hex(900 + i)}`,
          pushedAt: '',
        },
        undefined,
      );
      let t = process.hrtime.bigint();
      await listGitFiles(config.git);
      const m = renderManifest(config.template, image);
      await writeGitFiles(config.git, [{ path: m.path, content: m.content }], { mode: 'add-only' });
      batch.push(Number(process.hrtime.bigint() - t) / 1e6);
      // Baseline: a whole run (scan + select + render + list + one commit).
      const ecr = fakeEcr();
      t = process.hrtime.bigint();
      const plan = await planPipeline(
        {
          ...pipelineConfig(url),
          policy: { perRepository: false, semver: { range: '>=1.0.0' } },
          template: {
            ...pipelineConfig(url).template,
            fileName: `{{ .ImageRepository }}/{{ .ImageTag }}-${i}.yaml`,
          },
        },
        pipelineStages(),
        {
          scan: (cfg) => scanEcr(cfg, { client: ecr }),
          listGitFiles: async (git) => new Set(await listGitFiles(git)),
          writeGitFiles: (git, files) => writeGitFiles(git, files, { mode: 'add-only' }),
        },
      );
      await applyPlan(plan, {
        scan: async () => {
          throw new Error('unused');
        },
        listGitFiles: async () => new Set(),
        writeGitFiles: (git, files) => writeGitFiles(git, files, { mode: 'add-only' }),
      });
      full.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const wait = (INTERVAL_S / 2) * 1000;
    const ctrl = wait + steadyMs + 1000 + median(batch);
    const base = wait + median(full);
    console.log(`push → commit at a ${INTERVAL_S} s interval (expected, from measured parts):`);
    console.log(
      `  controller ${(ctrl / 1000).toFixed(2)} s (wait ${wait / 1000} s + scan ${steadyMs.toFixed(0)} ms + debounce 1 s + batch ${median(batch).toFixed(0)} ms) vs CLI/pulumi run ${(base / 1000).toFixed(2)} s (wait ${wait / 1000} s + run ${median(full).toFixed(0)} ms); ratio ${(ctrl / base).toFixed(2)}`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export default async function (): Promise<void> {
  const { steadyMs } = await cycles();
  memory();
  await pushToCommit(steadyMs);
}
