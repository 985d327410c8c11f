// The image pipeline end to end with the real engines: `pulumi up` (real CLI, Automation API,
// inline program) scans moto's ECR, reads the workloads of a real kube-apiserver and commits to
// a real bare Git remote. Each step checks the remote's history, not just the outputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ECRClient, CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import type { DetectedImage } from '../../core/pipeline/types';
import type { DetectedRecord, SkippedImage } from '../../core/pipeline/plan';
import { ImagePipeline, ImagePipelineArgs } from '../../stacks/image-pipeline';
import { applyObject } from '../support/kube-api';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

let pushes = 0;
/** PutImage with a unique layer, so every push has its own digest. */
async function pushImage(ecr: ECRClient, repository: string, tag: string): Promise<void> {
  pushes++;
  const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 100,
      digest: digest(1_000_000 + pushes),
    },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 200, digest: digest(pushes) },
    ],
  };
  await ecr.send(
    new PutImageCommand({
      repositoryName: repository,
      imageTag: tag,
      imageManifest: JSON.stringify(manifest),
    }),
  );
}

/** The typed template: serialized into the provider by Pulumi's closure serialization. */
const deploymentTemplate = (image: DetectedImage, variables: Readonly<Record<string, string>>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: image.serviceName,
    namespace: variables.namespace,
    labels: { 'app.kubernetes.io/name': image.serviceName, 'app.kubernetes.io/version': image.tag },
  },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': image.serviceName } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': image.serviceName } },
      spec: { containers: [{ name: image.serviceName, image: image.fullImageName }] },
    },
  },
});

const gitLog = async (remote: BareRemote): Promise<string[]> =>
  (await runGit(['--git-dir', remote.dir, 'log', '--format=%H %s', 'main']))
    .trim()
    .split('\n')
    .filter(Boolean);
const filesOf = async (remote: BareRemote, rev: string): Promise<string[]> =>
  (await runGit(['--git-dir', remote.dir, 'diff-tree', '--no-commit-id', '--name-only', '-r', '--root', rev]))
    .trim()
    .split('\n')
    .filter(Boolean);
const show = async (remote: BareRemote, spec: string): Promise<string> =>
  runGit(['--git-dir', remote.dir, 'show', spec]);

describe('ImagePipeline: pulumi up against moto, a real apiserver and a bare Git remote', () => {
  let remote: BareRemote;
  let handle: PulumiStackHandle;
  let ecr: ECRClient;
  let template: ImagePipelineArgs['template'] = { fn: deploymentTemplate, variables: { namespace: 'apps' } };

  beforeAll(async () => {
    const env = e2eEnv();
    await resetMoto();
    ecr = new ECRClient({
      region: 'us-east-1',
      endpoint: env.motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    for (const repo of ['team-a/api', 'team-a/web', 'team-a/worker', 'team-b/other']) {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: repo }));
    }
    for (const [repo, tag] of [
      ['team-a/api', 'v1.0.0'],
      ['team-a/api', 'v1.1.0'],
      ['team-a/api', 'v2.0.0-rc.1'],
      ['team-a/web', 'v0.9.0'],
      ['team-a/web', 'v1.0.0'],
      ['team-a/worker', 'v2.0.0'],
      ['team-a/worker', 'latest'],
      ['team-b/other', 'v9.0.0'],
    ]) {
      await pushImage(ecr, repo, tag);
    }
    // The worker already runs in the cluster: the pipeline must skip it and say where it runs.
    await applyObject(env.kubeconfig, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'worker', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'worker' } },
        template: {
          metadata: { labels: { app: 'worker' } },
          spec: {
            initContainers: [{ name: 'migrate', image: 'docker.io/library/busybox:1.36' }],
            containers: [{ name: 'worker', image: `${REGISTRY}/team-a/worker:v2.0.0` }],
          },
        },
      },
    });
    remote = await createBareRemote();
    handle = await pulumiStack({
      projectName: 'jobforge-e2e-image-pipeline',
      envVars: AWS_ENV,
      program: async () => {
        const pipeline = new ImagePipeline('images', {
          ecr: { region: 'us-east-1', repositoryPattern: 'team-a/*', endpoint: env.motoEndpoint },
          policy: { perRepository: true, semver: { range: '>=1.0.0' } },
          template,
          git: { url: remote.url, branch: 'main', path: 'clusters/dev' },
          dedup: { mode: 'image', kubeconfig: env.kubeconfig, cacheTtlSeconds: 60 },
        });
        return {
          detected: pipeline.detected,
          createdFiles: pipeline.createdFiles,
          skipped: pipeline.skipped,
          commitSha: pipeline.commitSha,
          apiCalls: pipeline.apiCalls,
        };
      },
    });
  });

  afterAll(async () => {
    await handle?.cleanup();
    await remote?.cleanup();
    ecr?.destroy();
  });

  // Resource counts include the stack itself: stack + ImagePipeline component + its one dynamic resource.
  it('first up: one commit with a manifest per new image; the running image is skipped with its workload', async () => {
    const up = await handle.up();
    expect(up.summary.result).toBe('succeeded');
    expect(up.summary.resourceChanges).toEqual({ create: 3 });

    const log = await gitLog(remote);
    expect(log).toHaveLength(1);
    const [sha] = log[0].split(' ');
    expect(up.outputs.commitSha.value).toBe(sha);
    expect(await filesOf(remote, sha)).toEqual([
      'clusters/dev/team-a/api/v1.1.0.yaml',
      'clusters/dev/team-a/web/v1.0.0.yaml',
    ]);
    expect(up.outputs.createdFiles.value).toEqual([
      'clusters/dev/team-a/api/v1.1.0.yaml',
      'clusters/dev/team-a/web/v1.0.0.yaml',
    ]);
    const manifest = await show(remote, `${sha}:clusters/dev/team-a/api/v1.1.0.yaml`);
    expect(manifest).toContain(`image: ${REGISTRY}/team-a/api:v1.1.0`);
    expect(manifest).toContain('namespace: apps');

    const skipped = up.outputs.skipped.value as SkippedImage[];
    expect(skipped).toEqual([
      {
        fullImageName: `${REGISTRY}/team-a/worker:v2.0.0`,
        file: 'clusters/dev/team-a/worker/v2.0.0.yaml',
        reasonCode: 'image-in-cluster',
        reason: `image ${REGISTRY}/team-a/worker:v2.0.0 is already used by Deployment default/worker (container worker)`,
        existing: { kind: 'Deployment', namespace: 'default', name: 'worker', container: 'worker' },
      },
    ]);
    const detected = up.outputs.detected.value as DetectedRecord[];
    expect(detected.map((d) => `${d.repository}:${d.tag}:${d.status}`)).toEqual([
      'team-a/api:v1.1.0:created',
      'team-a/web:v1.0.0:created',
      'team-a/worker:v2.0.0:skipped',
    ]);
    // One DescribeRepositories page and one DescribeImages page per matching repository; no per-tag calls.
    expect(up.outputs.apiCalls.value.ecr).toEqual({ describeRepositories: 1, describeImages: 3, total: 4 });
    expect(up.outputs.apiCalls.value.kubernetes).toBeGreaterThanOrEqual(6);
  });

  it('second up changes nothing and makes no commit', async () => {
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ same: 3 });
    expect(await gitLog(remote)).toHaveLength(1);
  });

  it('a newly pushed image yields exactly one new commit with one new manifest', async () => {
    await pushImage(ecr, 'team-a/web', 'v1.2.0');
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2, update: 1 });
    const log = await gitLog(remote);
    expect(log).toHaveLength(2);
    const [sha] = log[0].split(' ');
    expect(await filesOf(remote, sha)).toEqual(['clusters/dev/team-a/web/v1.2.0.yaml']);
    expect(up.outputs.createdFiles.value).toEqual(['clusters/dev/team-a/web/v1.2.0.yaml']);
    expect(up.outputs.commitSha.value).toBe(sha);
    // The superseded web:v1.0.0 stays in the records (within ttlDays).
    const detected = up.outputs.detected.value as DetectedRecord[];
    expect(detected.map((d) => `${d.repository}:${d.tag}`)).toEqual([
      'team-a/api:v1.1.0',
      'team-a/web:v1.0.0',
      'team-a/web:v1.2.0',
      'team-a/worker:v2.0.0',
    ]);
    const again = await handle.up();
    expect(again.summary.resourceChanges).toEqual({ same: 3 });
    expect(await gitLog(remote)).toHaveLength(2);
  });

  it('survives a concurrent push to the remote by fetching and rebasing', async () => {
    // A teammate's commit lands on main while jobforge pushes (moved by a pre-receive hook, once).
    const hook = path.join(remote.dir, 'hooks', 'pre-receive');
    fs.writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'cat >/dev/null',
        'marker="$GIT_DIR/concurrent-push-done"',
        '[ -e "$marker" ] && exit 0',
        'touch "$marker"',
        'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
        'export GIT_INDEX_FILE="$GIT_DIR/concurrent-index"',
        'tip=$(git rev-parse refs/heads/main)',
        'git read-tree "$tip"',
        'blob=$(echo "owned by the platform team" | git hash-object -w --stdin)',
        'git update-index --add --cacheinfo 100644,"$blob",OWNERS',
        'tree=$(git write-tree)',
        'export GIT_AUTHOR_NAME=teammate GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=teammate GIT_COMMITTER_EMAIL=t@example.com',
        'commit=$(git commit-tree "$tree" -p "$tip" -m "teammate: add OWNERS")',
        'git update-ref refs/heads/main "$commit" "$tip"',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await pushImage(ecr, 'team-a/api', 'v1.2.0');
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2, update: 1 });
    const log = await gitLog(remote);
    expect(log).toHaveLength(4);
    expect(log[1]).toMatch(/ teammate: add OWNERS$/);
    const [sha] = log[0].split(' ');
    expect(up.outputs.commitSha.value).toBe(sha);
    expect(await filesOf(remote, sha)).toEqual(['clusters/dev/team-a/api/v1.2.0.yaml']);
    // Rebased, not forced: the teammate's file is still there.
    expect(await show(remote, 'main:OWNERS')).toBe('owned by the platform team\n');
    fs.rmSync(hook);
  });

  it('a bad template fails the up and pushes nothing', async () => {
    await pushImage(ecr, 'team-a/web', 'v1.3.0');
    template = { yaml: 'apiVersion: v1\nmetadata:\n  name: "{{ .ServiceName }}"\n' };
    const before = await gitLog(remote);
    await expect(handle.up()).rejects.toThrow(/kind/);
    expect(await gitLog(remote)).toEqual(before);
    template = { fn: deploymentTemplate, variables: { namespace: 'apps' } };
  });

  it('destroy removes the stack records and leaves the Git history alone', async () => {
    const before = await gitLog(remote);
    const destroy = await handle.destroy();
    expect(destroy.summary.result).toBe('succeeded');
    expect(destroy.summary.resourceChanges).toEqual({ delete: 3 });
    expect(await gitLog(remote)).toEqual(before);
  });
});
