// The ImagePipeline dynamic provider object, its methods called directly (setMocks never runs
// a dynamic provider). ECR, the cluster and Git are in-memory fakes here; the real ones run in
// test/e2e/image-pipeline.test.ts.
import * as pulumi from '@pulumi/pulumi';
import type { EcrScanResult, GitFile, GitTarget, ImageCandidate } from '../../../core/pipeline/types';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const fake = {
  candidates: [] as ImageCandidate[],
  scans: 0,
  files: new Map<string, string>(),
  commits: [] as { sha: string; files: string[]; auth?: unknown }[],
  writeError: undefined as Error | undefined,
  lastAuth: undefined as unknown,
};

jest.mock('../../../core/io/ecr', () => ({
  ...jest.requireActual('../../../core/io/ecr'),
  scanEcr: async (): Promise<EcrScanResult> => {
    fake.scans++;
    return {
      candidates: [...fake.candidates],
      repositories: [...new Set(fake.candidates.map((c) => c.repository))].sort(),
      repositoriesMatched: new Set(fake.candidates.map((c) => c.repository)).size,
      apiCalls: { describeRepositories: 1, describeImages: 1, total: 2 },
      durationMs: 1,
    };
  },
}));
jest.mock('../../../core/git-tree', () => ({
  listGitFiles: async (target: GitTarget) => {
    fake.lastAuth = target.auth;
    return [...fake.files.keys()];
  },
}));
jest.mock('../../../core/git-writer', () => ({
  ...jest.requireActual('../../../core/git-writer'),
  writeGitFiles: async (target: GitTarget, files: GitFile[]) => {
    fake.lastAuth = target.auth;
    if (fake.writeError) throw fake.writeError;
    const sha = `${fake.commits.length + 1}`.padStart(40, 'a');
    const written = files.map((f) => `${target.path}/${f.path}`);
    for (const f of files) fake.files.set(`${target.path}/${f.path}`, f.content);
    fake.commits.push({ sha, files: written });
    return { commitSha: sha, written, removed: [], unchanged: [], pushAttempts: 1 };
  },
}));

import {
  imagePipelineProvider as provider,
  ImagePipelineRunInputs,
  ImagePipelineRunOutputs,
} from '../../../stacks/image-pipeline';

const candidate = (repository: string, tag: string, n: number): ImageCandidate => ({
  registry: REGISTRY,
  repository,
  tag,
  digest: `sha256:${n.toString(16).padStart(64, '0')}`,
  pushedAt: '2026-11-20T10:00:00.000Z',
});

const inputs = (
  over: Partial<ImagePipelineRunInputs['config']> = {},
  gitAuth: ImagePipelineRunInputs['gitAuth'] = null,
): ImagePipelineRunInputs => ({
  config: {
    ecr: { region: 'us-east-1', repositoryPattern: 'team-a/*' },
    policy: { perRepository: true, semver: { range: '>=1.0.0' } },
    template: {
      yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\ndata:\n  image: "{{ .FullImageName }}"\n',
    },
    git: { url: 'https://git.example.com/manifests.git', branch: 'main', path: 'apps' },
    ...over,
  },
  gitAuth,
  templateFn: null,
});

beforeEach(() => {
  fake.candidates = [
    candidate('team-a/api', 'v1.0.0', 1),
    candidate('team-a/api', 'v1.1.0', 2),
    candidate('team-a/web', 'v2.0.0', 3),
  ];
  fake.scans = 0;
  fake.files.clear();
  fake.commits = [];
  fake.writeError = undefined;
  fake.lastAuth = undefined;
  delete process.env.JOBFORGE_GIT_TOKEN;
});

describe('imagePipelineProvider', () => {
  test('check reports invalid configuration on config, before any API call', async () => {
    const bad = inputs({ policy: { semver: { range: 'not a range' } } });
    const result = await provider.check!(bad, bad);
    expect(result.failures).toEqual([
      { property: 'config', reason: expect.stringContaining("'policy.semver.range'") },
    ]);
    expect(fake.scans).toBe(0);
    const good = inputs();
    expect((await provider.check!(good, good)).failures).toBeUndefined();
  });

  test('values unknown during a preview are not validated and count as a change', async () => {
    const unknown = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
    const news = inputs({ git: { url: unknown, path: 'apps' } });
    expect(await provider.check!(news, news)).toEqual({ inputs: news });
    const { id, outs } = await provider.create(inputs());
    expect(await provider.diff!(id, outs as ImagePipelineRunOutputs, news)).toEqual({ changes: true });
    expect(fake.scans).toBe(1);
  });

  test('check refuses credentials and kubeconfig content as inputs', async () => {
    const withToken = inputs({}, { type: 'token', token: 'ghp_secret' } as never);
    expect((await provider.check!(withToken, withToken)).failures![0].reason).toBe(
      "'git.auth.token' must not be given as an input (it would be stored in the stack); name an environment variable or Pulumi config key instead, got a value of 10 characters",
    );
    const withKubeconfig = inputs({ dedup: { kubeconfig: 'apiVersion: v1\nkind: Config\n' } });
    expect((await provider.check!(withKubeconfig, withKubeconfig)).failures![0].reason).toMatch(
      /^'dedup.kubeconfig' must be a file path/,
    );
  });

  test('create runs the pipeline once and returns full JSON-safe outs', async () => {
    const created = await provider.create(inputs());
    expect(created.id).toMatch(/^imagepipeline-[0-9a-f]{12}$/);
    const outs = created.outs!;
    expect(fake.commits).toEqual([
      { sha: outs.commitSha, files: ['apps/team-a/api/v1.1.0.yaml', 'apps/team-a/web/v2.0.0.yaml'] },
    ]);
    expect(outs.createdFiles).toEqual(['apps/team-a/api/v1.1.0.yaml', 'apps/team-a/web/v2.0.0.yaml']);
    expect(outs.config).toEqual(inputs().config);
    expect(outs.detected).toHaveLength(2);
    expect(outs.apiCalls).toEqual({
      ecr: { describeRepositories: 1, describeImages: 1, total: 2 },
      kubernetes: 0,
    });
    expect(JSON.parse(JSON.stringify(outs))).toEqual(outs);
  });

  test('diff: no change when nothing is new; a change for a new image or changed inputs; update writes one commit', async () => {
    const news = inputs();
    const { id, outs } = await provider.create(news);
    const olds = outs as ImagePipelineRunOutputs;
    expect(await provider.diff!(id, olds, news)).toEqual({ changes: false });
    expect(fake.commits).toHaveLength(1);

    expect(await provider.diff!(id, olds, inputs({ ttlDays: 3 }))).toEqual({ changes: true });

    fake.candidates.push(candidate('team-a/web', 'v2.1.0', 4));
    expect(await provider.diff!(id, olds, news)).toEqual({ changes: true });
    expect(fake.commits).toHaveLength(1); // diff never writes
    const updated = (await provider.update!(id, olds, news)).outs!;
    expect(fake.commits).toHaveLength(2);
    expect(fake.commits[1].files).toEqual(['apps/team-a/web/v2.1.0.yaml']);
    expect(updated.createdFiles).toEqual(['apps/team-a/web/v2.1.0.yaml']);
    expect(updated.detected.map((d) => d.tag)).toEqual(['v1.1.0', 'v2.0.0', 'v2.1.0']);
    expect(await provider.diff!(id, updated, news)).toEqual({ changes: false });
  });

  test('an update right after the diff that found changes applies that plan: one ECR scan per pulumi up', async () => {
    const news = inputs();
    const { id, outs } = await provider.create(news);
    const olds = outs as ImagePipelineRunOutputs;
    fake.candidates.push(candidate('team-a/web', 'v2.1.0', 4));
    fake.scans = 0;
    expect(await provider.diff!(id, olds, news)).toEqual({ changes: true });
    const updated = (await provider.update!(id, olds, news)).outs!;
    expect(fake.scans).toBe(1);
    expect(updated.createdFiles).toEqual(['apps/team-a/web/v2.1.0.yaml']);
    // The plan is taken once: another update plans afresh.
    fake.candidates.push(candidate('team-a/api', 'v1.2.0', 5));
    const again = (await provider.update!(id, olds, news)).outs!;
    expect(fake.scans).toBe(2);
    expect(again.createdFiles).toEqual(['apps/team-a/api/v1.2.0.yaml']);
  });

  test('delete removes nothing from Git', async () => {
    const { id, outs } = await provider.create(inputs());
    await provider.delete!(id, outs as ImagePipelineRunOutputs);
    expect(fake.commits).toHaveLength(1);
    expect(fake.files.size).toBe(2);
  });

  test('Git credentials are read from the environment inside the method and redacted from errors', async () => {
    const news = inputs({}, { type: 'token', tokenEnv: 'JOBFORGE_GIT_TOKEN' });
    await expect(provider.create(news)).rejects.toThrow(
      "'git.auth' token: environment variable JOBFORGE_GIT_TOKEN is not set",
    );
    process.env.JOBFORGE_GIT_TOKEN = 'tok-supersecret-1234';
    fake.writeError = new Error(
      'push to https://x:tok-supersecret-1234@git.example.com failed (tok-supersecret-1234)',
    );
    const err = (await provider.create(news).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /^image pipeline imagepipeline-[0-9a-f]{12}: push to https:\/\/\*\*\*@git.example.com failed \(\*\*\*\)$/,
    );
    expect(fake.lastAuth).toEqual({ type: 'token', token: 'tok-supersecret-1234' });
    fake.writeError = undefined;
    const created = await provider.create(news);
    expect(JSON.stringify(created)).not.toContain('tok-supersecret-1234');
  });

  test('a Pulumi config key can hold the token (read through configure)', async () => {
    await provider.configure!({
      config: { get: (k: string) => (k === 'gitToken' ? 'from-config-token' : undefined), require: () => '' },
    });
    await provider.create(inputs({}, { type: 'token', tokenConfig: 'gitToken' }));
    expect(fake.lastAuth).toEqual({ type: 'token', token: 'from-config-token' });
  });

  test('a serialized template function runs inside the provider', async () => {
    const fn = (
      image: { serviceName: string; fullImageName: string },
      variables: Record<string, string>,
    ) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${image.serviceName}-${variables.suffix}` },
      data: { image: image.fullImageName },
    });
    const s = await pulumi.runtime.serializeFunction(fn, { isFactoryFunction: false });
    const news: ImagePipelineRunInputs = {
      ...inputs(),
      config: { ...inputs().config, template: { variables: { suffix: 'cfg' } } },
      templateFn: { text: s.text, exportName: s.exportName },
    };
    expect((await provider.check!(news, news)).failures).toBeUndefined();
    await provider.create(news);
    expect(fake.files.get('apps/team-a/api/v1.1.0.yaml')).toContain('name: api-cfg');
  });

  test('the provider serializes to a small closure of plain data (no SDK, client or credential)', async () => {
    const s = await pulumi.runtime.serializeFunction(() => provider, { isFactoryFunction: true });
    expect(s.text).toContain('image-pipeline-provider');
    expect(s.text).not.toMatch(/aws-sdk|client-node|ECRClient/);
    expect(s.text.length).toBeLessThan(20_000);
  });
});
