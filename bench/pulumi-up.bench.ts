// (c) A no-change `pulumi up` of an ImagePipeline with 500 detected images (500 repositories
// in moto, all manifests already committed) against an empty stack's `pulumi up`, both with the
// real CLI through the Automation API, alternating, in one run. The pipeline's up still scans
// ECR and reads the Git branch in `diff`; it must not grow with the number of images beyond
// that (one dynamic resource per pipeline). BENCH_IMAGES sets the image count (500),
// BENCH_ROUNDS the rounds (3).
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ImagePipeline } from '../stacks/image-pipeline';
import { validatePipelineConfig } from '../core/pipeline/validate';
import { scanEcr } from '../core/io/ecr';
import { listGitFiles } from '../core/git-tree';
import { createBareRemote, runGit } from '../test/support/git-remotes';
import { startMoto } from '../test/support/moto';
import { enginesBinDir, PulumiStackHandle, pulumiStack } from '../test/support/pulumi';

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function timedUp(handle: PulumiStackHandle): Promise<{ ms: number; changes: Record<string, number> }> {
  const t0 = Date.now();
  const up = await handle.up();
  return { ms: Date.now() - t0, changes: up.summary.resourceChanges ?? {} };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];

export default async function (): Promise<void> {
  const images = Number(process.env.BENCH_IMAGES ?? 500);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const moto = await startMoto({ binDir: enginesBinDir() });
  const remote = await createBareRemote();
  const handles: PulumiStackHandle[] = [];
  try {
    const ecr = new ECRClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const seedStart = Date.now();
    for (let i = 0; i < images; i++) {
      const repositoryName = `bench/svc-${String(i).padStart(3, '0')}`;
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
      const d = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
      await ecr.send(
        new PutImageCommand({
          repositoryName,
          imageTag: 'v1.0.0',
          imageManifest: JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
            config: {
              mediaType: 'application/vnd.docker.container.image.v1+json',
              size: 1,
              digest: d(10_000 + i),
            },
            layers: [
              { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: d(i + 1) },
            ],
          }),
        }),
      );
    }
    ecr.destroy();
    console.log(
      `seeded ${images} repositories with one image each in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    const pipeline = await pulumiStack({
      projectName: 'jobforge-bench-pipeline',
      envVars: AWS_ENV,
      program: async () => {
        const p = new ImagePipeline('images', {
          ecr: {
            region: 'us-east-1',
            repositoryPattern: 'bench/*',
            maxRepositories: 10_000,
            endpoint: moto.endpoint,
          },
          policy: { perRepository: true, semver: { range: '>=1.0.0' } },
          template: {
            yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\ndata:\n  image: "{{ .FullImageName }}"\n',
          },
          git: { url: remote.url, path: 'apps' },
        });
        return { createdFiles: p.createdFiles, apiCalls: p.apiCalls };
      },
    });
    handles.push(pipeline);
    const empty = await pulumiStack({ projectName: 'jobforge-bench-empty', program: async () => ({}) });
    handles.push(empty);

    const first = await timedUp(pipeline);
    const files = (await runGit(['--git-dir', remote.dir, 'ls-tree', '-r', '--name-only', 'main']))
      .trim()
      .split('\n');
    const outputs = await pipeline.stack.outputs();
    console.log(
      `first pipeline up: ${(first.ms / 1000).toFixed(1)} s, ${files.length} manifests in one commit, ECR calls ${JSON.stringify(outputs.apiCalls.value.ecr)}`,
    );
    await timedUp(empty);

    const pipelineMs: number[] = [];
    const emptyMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const p = await timedUp(pipeline);
      if (p.changes.same !== 3 || Object.keys(p.changes).length !== 1) {
        throw new Error(`the no-change pipeline up changed something: ${JSON.stringify(p.changes)}`);
      }
      pipelineMs.push(p.ms);
      emptyMs.push((await timedUp(empty)).ms);
    }
    const commits = (await runGit(['--git-dir', remote.dir, 'rev-list', '--count', 'main'])).trim();
    if (commits !== '1') throw new Error(`expected 1 commit after the no-change ups, got ${commits}`);
    const p = median(pipelineMs);
    const e = median(emptyMs);
    console.log(
      `no-change pulumi up, ${images} detected images: median ${(p / 1000).toFixed(2)} s (runs ${pipelineMs.join(', ')} ms)`,
    );
    console.log(`empty stack pulumi up: median ${(e / 1000).toFixed(2)} s (runs ${emptyMs.join(', ')} ms)`);
    // Where the difference goes: the two reads the provider's diff makes, timed in this process.
    for (const [k, v] of Object.entries(AWS_ENV)) process.env[k] = v;
    const resolved = validatePipelineConfig({
      ecr: {
        region: 'us-east-1',
        repositoryPattern: 'bench/*',
        maxRepositories: 10_000,
        endpoint: moto.endpoint,
      },
      policy: { perRepository: true, semver: { range: '>=1.0.0' } },
      template: { yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
      git: { url: remote.url, path: 'apps' },
    });
    let t0 = Date.now();
    const scan = await scanEcr(resolved.ecr);
    const scanMs = Date.now() - t0;
    t0 = Date.now();
    await listGitFiles(resolved.git);
    const gitMs = Date.now() - t0;
    console.log(
      `of which, measured in-process: ECR scan ${scanMs} ms (${scan.apiCalls.total} calls to moto), Git branch read ${gitMs} ms`,
    );
    console.log(
      `ratio (pipeline / empty): ${(p / e).toFixed(2)}x; overhead ${((p - e) / 1000).toFixed(2)} s (ECR scan + Git branch read in diff), still 1 commit`,
    );
  } finally {
    for (const h of handles) await h.cleanup().catch(() => undefined);
    await remote.cleanup();
    await moto.stop();
  }
}
