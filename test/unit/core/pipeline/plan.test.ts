import {
  DetectedRecord,
  PipelineIo,
  PipelineStages,
  planChangesState,
  planPipeline,
  runPipeline,
} from '../../../../core/pipeline/plan';
import type {
  DetectedImage,
  GitFile,
  ImageCandidate,
  ImagePipelineConfig,
  ResolvedPipelineConfig,
} from '../../../../core/pipeline/types';
import { WorkloadIndex, imageUsesOf } from '../../../../core/workload-index';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const candidate = (repository: string, tag: string, n: number): ImageCandidate => ({
  registry: REGISTRY,
  repository,
  tag,
  digest: digest(n),
  pushedAt: `2026-11-0${(n % 9) + 1}T00:00:00.000Z`,
});

const config: ImagePipelineConfig = {
  ecr: { region: 'us-east-1', repositoryPattern: 'team-a/*' },
  policy: { alphabetical: {} },
  template: { yaml: 'unused by the fake renderer' },
  git: { url: 'file:///remote.git', path: 'apps' },
  dedup: { mode: 'image' },
};

/** Fake pure stages: defaults applied, the alphabetically last tag per repository, a tiny YAML. */
const stages: PipelineStages = {
  validate(c) {
    if (c.ecr.region === '') throw new Error(`'ecr.region' is required, got ""`);
    return {
      ...c,
      ecr: { ...c.ecr, maxRepositories: 50, maxConcurrentScans: 10, scanTimeout: '5m' },
      policy: { ...c.policy, perRepository: true },
      template: {
        ...c.template,
        variables: {},
        fileName: c.template.fileName ?? '{{ .ImageRepository }}/{{ .ImageTag }}.yaml',
      },
      git: {
        ...c.git,
        branch: 'main',
        path: c.git.path ?? '',
        author: { name: 'jobforge', email: 'j@example.com' },
        maxPushAttempts: 5,
      },
      dedup: c.dedup ? { mode: c.dedup.mode ?? 'image', cacheTtlSeconds: 300, ...c.dedup } : undefined,
      ttlDays: c.ttlDays ?? 7,
    } as ResolvedPipelineConfig;
  },
  select(candidates) {
    const best = new Map<string, ImageCandidate>();
    for (const c of candidates) {
      const cur = best.get(c.repository);
      if (!cur || c.tag > cur.tag) best.set(c.repository, c);
    }
    return [...best.values()]
      .sort((a, b) => a.repository.localeCompare(b.repository))
      .map((c): DetectedImage => ({
        ...c,
        fullImageName: `${c.registry}/${c.repository}:${c.tag}`,
        imageName: c.repository.split('/').pop()!,
        serviceName: c.repository.split('/').pop()!,
        tagPrefix: /^([a-z]+)-/.exec(c.tag)?.[1],
      }));
  },
  render(template, image) {
    if (template.yaml === 'BAD') throw new Error(`rendered object has no 'kind', got undefined`);
    const path = template.fileName === 'same.yaml' ? 'same.yaml' : `${image.repository}/${image.tag}.yaml`;
    return {
      path,
      content: `kind: Deployment\nimage: ${image.fullImageName}\n`,
      objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: image.serviceName }],
    };
  },
};

/** In-memory ECR, cluster and Git remote; records every call. */
function world(candidates: ImageCandidate[], workloads: ReturnType<typeof imageUsesOf> = []) {
  const gitFiles = new Map<string, string>();
  const commits: { sha: string; files: GitFile[] }[] = [];
  const calls = { scan: 0, index: 0, list: 0, write: 0 };
  let clock = Date.parse('2026-11-20T12:00:00.000Z');
  const io: PipelineIo = {
    async scan() {
      calls.scan++;
      return {
        candidates: [...candidates],
        repositories: [...new Set(candidates.map((c) => c.repository))].sort(),
        repositoriesMatched: new Set(candidates.map((c) => c.repository)).size,
        apiCalls: { describeRepositories: 1, describeImages: 2, total: 3 },
        durationMs: 5,
      };
    },
    async workloadIndex() {
      calls.index++;
      return {
        index: new WorkloadIndex(workloads, { tagPrefixOf: (t) => /^([a-z]+)-/.exec(t)?.[1] }),
        apiCalls: 6,
      };
    },
    async listGitFiles(git) {
      calls.list++;
      return new Set([...gitFiles.keys()].filter((f) => f.startsWith(`${git.path}/`)));
    },
    async writeGitFiles(git, files) {
      calls.write++;
      const sha = `c${commits.length + 1}`.padEnd(40, '0');
      for (const f of files) gitFiles.set(`${git.path}/${f.path}`, f.content);
      commits.push({ sha, files: [...files] });
      return {
        commitSha: sha,
        written: files.map((f) => `${git.path}/${f.path}`),
        removed: [],
        unchanged: [],
        pushAttempts: 1,
      };
    },
    now: () => new Date(clock),
  };
  return {
    io,
    gitFiles,
    commits,
    calls,
    candidates,
    advanceDays: (d: number) => {
      clock += d * 24 * 3600 * 1000;
    },
  };
}

const deploymentRunning = (image: string) =>
  imageUsesOf('Deployment', {
    metadata: { namespace: 'prod', name: 'api' },
    spec: { template: { spec: { containers: [{ name: 'api', image }] } } },
  });

describe('runPipeline', () => {
  test('first run: one commit with every new manifest; an image running in the cluster is skipped with the workload', async () => {
    const w = world(
      [candidate('team-a/api', 'v1', 1), candidate('team-a/api', 'v2', 2), candidate('team-a/web', 'v5', 3)],
      deploymentRunning(`${REGISTRY}/team-a/api:v2`),
    );
    const out = await runPipeline(config, stages, w.io);
    expect(w.commits).toHaveLength(1);
    expect(w.commits[0].files.map((f) => f.path)).toEqual(['team-a/web/v5.yaml']);
    expect(out.createdFiles).toEqual(['apps/team-a/web/v5.yaml']);
    expect(out.commitSha).toBe(w.commits[0].sha);
    expect(out.skipped).toEqual([
      {
        fullImageName: `${REGISTRY}/team-a/api:v2`,
        file: 'apps/team-a/api/v2.yaml',
        reasonCode: 'image-in-cluster',
        reason: `image ${REGISTRY}/team-a/api:v2 is already used by Deployment prod/api (container api)`,
        existing: { kind: 'Deployment', namespace: 'prod', name: 'api', container: 'api' },
      },
    ]);
    expect(out.detected.map((r) => [r.fullImageName, r.status, r.commitSha])).toEqual([
      [`${REGISTRY}/team-a/api:v2`, 'skipped', null],
      [`${REGISTRY}/team-a/web:v5`, 'created', w.commits[0].sha],
    ]);
    expect(out.apiCalls).toEqual({
      ecr: { describeRepositories: 1, describeImages: 2, total: 3 },
      kubernetes: 6,
    });
    // JSON-safe: a round trip through JSON changes nothing.
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  test('second run changes nothing and writes nothing; a new image gives one commit with one manifest', async () => {
    const w = world([candidate('team-a/api', 'v1', 1), candidate('team-a/web', 'v5', 3)]);
    const first = await runPipeline(config, stages, w.io);
    expect(first.createdFiles).toHaveLength(2);

    const plan = await planPipeline(config, stages, w.io, { previous: first.detected });
    expect(plan.toCreate).toEqual([]);
    expect(plan.skipped.map((s) => s.reasonCode)).toEqual(['manifest-in-git', 'manifest-in-git']);
    expect(planChangesState(plan, first.detected)).toBe(false);

    w.candidates.push(candidate('team-a/web', 'v6', 4));
    const third = await runPipeline(config, stages, w.io, { previous: first.detected });
    expect(w.commits).toHaveLength(2);
    expect(w.commits[1].files.map((f) => f.path)).toEqual(['team-a/web/v6.yaml']);
    expect(third.createdFiles).toEqual(['apps/team-a/web/v6.yaml']);
    // The superseded image stays in the records (within ttlDays) with its original commit.
    expect(third.detected.map((r) => [r.tag, r.status, r.commitSha])).toEqual([
      ['v1', 'created', w.commits[0].sha],
      ['v5', 'created', w.commits[0].sha],
      ['v6', 'created', w.commits[1].sha],
    ]);
  });

  test('prefix mode skips a repository whose tag prefix already runs, naming the running image', async () => {
    const w = world(
      [candidate('team-a/api', 'dev-3', 1), candidate('team-a/web', 'prod-1', 2)],
      deploymentRunning(`${REGISTRY}/team-a/api:dev-1`),
    );
    const out = await runPipeline({ ...config, dedup: { mode: 'prefix' } }, stages, w.io);
    expect(out.skipped).toEqual([
      expect.objectContaining({
        fullImageName: `${REGISTRY}/team-a/api:dev-3`,
        reasonCode: 'prefix-in-cluster',
        reason: `${REGISTRY}/team-a/api with tag prefix "dev" already runs as ${REGISTRY}/team-a/api:dev-1 in Deployment prod/api (container api); GitOps owns its upgrades`,
      }),
    ]);
    expect(out.createdFiles).toEqual(['apps/team-a/web/prod-1.yaml']);
    // In image mode the same cluster does not stop dev-3.
    const w2 = world(
      [candidate('team-a/api', 'dev-3', 1)],
      deploymentRunning(`${REGISTRY}/team-a/api:dev-1`),
    );
    expect((await runPipeline(config, stages, w2.io)).createdFiles).toEqual(['apps/team-a/api/dev-3.yaml']);
  });

  test('without dedup the cluster is never read; the Git tree check still applies', async () => {
    const w = world([candidate('team-a/api', 'v1', 1)], deploymentRunning(`${REGISTRY}/team-a/api:v1`));
    w.gitFiles.set('apps/team-a/api/v1.yaml', 'hand-written');
    const out = await runPipeline({ ...config, dedup: undefined }, stages, w.io);
    expect(w.calls.index).toBe(0);
    expect(out.createdFiles).toEqual([]);
    expect(out.skipped[0].reason).toBe('manifest apps/team-a/api/v1.yaml is already on branch main');
    expect(w.gitFiles.get('apps/team-a/api/v1.yaml')).toBe('hand-written');
    expect(w.calls.write).toBe(0);
  });

  test('a manifest this stack created and someone removed is not written again', async () => {
    const w = world([candidate('team-a/api', 'v1', 1)]);
    const first = await runPipeline(config, stages, w.io);
    w.gitFiles.clear();
    const again = await runPipeline(config, stages, w.io, { previous: first.detected });
    expect(again.createdFiles).toEqual([]);
    expect(again.skipped[0].reasonCode).toBe('created-earlier');
    expect(w.commits).toHaveLength(1);
  });

  test('a bad template fails before the cluster or Git is touched', async () => {
    const w = world([candidate('team-a/api', 'v1', 1)]);
    await expect(runPipeline({ ...config, template: { yaml: 'BAD' } }, stages, w.io)).rejects.toThrow(
      "rendered object has no 'kind'",
    );
    expect(w.calls).toEqual({ scan: 1, index: 0, list: 0, write: 0 });
  });

  test('invalid configuration fails before any API call', async () => {
    const w = world([]);
    await expect(runPipeline({ ...config, ecr: { region: '' } }, stages, w.io)).rejects.toThrow(
      `'ecr.region' is required, got ""`,
    );
    expect(w.calls.scan).toBe(0);
  });

  test('two images rendering to one file is an error naming both', async () => {
    const w = world([candidate('team-a/api', 'v1', 1), candidate('team-a/web', 'v1', 2)]);
    await expect(
      runPipeline({ ...config, template: { yaml: 'x', fileName: 'same.yaml' } }, stages, w.io),
    ).rejects.toThrow(
      `'template.fileName' gives the same file "apps/same.yaml" for ${REGISTRY}/team-a/api:v1 and ${REGISTRY}/team-a/web:v1`,
    );
    expect(w.calls.write).toBe(0);
  });
});

describe('ttlDays', () => {
  async function history(ttlDays: number | undefined, days: number): Promise<DetectedRecord[]> {
    const w = world([candidate('team-a/api', 'v1', 1)]);
    const cfg = { ...config, ttlDays };
    const first = await runPipeline(cfg, stages, w.io);
    w.candidates.push(candidate('team-a/api', 'v2', 2));
    const second = await runPipeline(cfg, stages, w.io, { previous: first.detected });
    w.advanceDays(days);
    const plan = await planPipeline(cfg, stages, w.io, { previous: second.detected });
    return plan.records;
  }

  test('records of images no longer selected leave after ttlDays (default 7)', async () => {
    expect((await history(undefined, 6.9)).map((r) => r.tag)).toEqual(['v1', 'v2']);
    expect((await history(undefined, 7.1)).map((r) => r.tag)).toEqual(['v2']);
    expect((await history(1, 1.5)).map((r) => r.tag)).toEqual(['v2']);
  });

  test('ttlDays 0 keeps every record; a selected image never expires', async () => {
    expect((await history(0, 400)).map((r) => r.tag)).toEqual(['v1', 'v2']);
    const w = world([candidate('team-a/api', 'v1', 1)]);
    const first = await runPipeline(config, stages, w.io);
    w.advanceDays(30);
    const plan = await planPipeline(config, stages, w.io, { previous: first.detected });
    expect(plan.records).toEqual(first.detected);
    expect(planChangesState(plan, first.detected)).toBe(false);
  });

  test('an expiry is a state change even without a commit', async () => {
    const w = world([candidate('team-a/api', 'v1', 1)]);
    const first = await runPipeline(config, stages, w.io);
    w.candidates.push(candidate('team-a/api', 'v2', 2));
    const second = await runPipeline(config, stages, w.io, { previous: first.detected });
    w.advanceDays(8);
    const plan = await planPipeline(config, stages, w.io, { previous: second.detected });
    expect(plan.toCreate).toEqual([]);
    expect(plan.expired.map((r) => r.tag)).toEqual(['v1']);
    expect(planChangesState(plan, second.detected)).toBe(true);
  });
});
