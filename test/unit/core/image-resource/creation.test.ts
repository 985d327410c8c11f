import { compileTemplate } from '../../../../core/pipeline/render';
import { WorkloadIndex } from '../../../../core/workload-index';
import {
  decideCreation,
  expiredImageDetected,
  needsProcessing,
  statusFor,
} from '../../../../core/image-resource/reconcile-creation';
import type { ImageDetected } from '../../../../core/image-resource/resources';

const REG = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const NOW = new Date('2026-03-01T10:00:00Z');
const detected = (
  name: string,
  repo: string,
  tag: string,
  over: Partial<ImageDetected> = {},
): ImageDetected => ({
  metadata: { name, namespace: 'apps', generation: 1, uid: `uid-${name}` },
  spec: {
    imageName: repo.split('/').pop()!,
    imageTag: tag,
    imageDigest: `sha256:${'a'.repeat(64)}`,
    fullImageName: `${REG}/${repo}:${tag}`,
    sourcePolicy: { name: 'p', namespace: 'apps' },
    detectedAt: '2026-03-01T09:00:00Z',
    ...(tag.includes('-') ? { tagPrefix: tag.split('-')[0] } : {}),
  },
  ...over,
});
const template = compileTemplate({
  yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\ndata:\n  image: "{{ .FullImageName }}"\n',
});
const deployment = (name: string, image: string) => ({
  metadata: { name, namespace: 'prod' },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
});

describe('decideCreation', () => {
  test('creates, skips by image, skips by tag prefix, skips what is on the branch, completes what a previous leader pushed', () => {
    const index = new WorkloadIndex();
    index.upsert('Deployment', deployment('api', `${REG}/team/api:v2`));
    index.upsert('Deployment', deployment('svc', `${REG}/team/svc:dev-v1`));
    const objects = [
      detected('web', 'team/web', 'v1'),
      detected('api', 'team/api', 'v2'),
      detected('svc-dev', 'team/svc', 'dev-v2'),
      detected('svc-staging', 'team/svc', 'staging-v1'),
      detected('old', 'team/old', 'v1'),
      detected('crashed', 'team/crashed', 'v1', { status: { phase: 'Processing' } }),
    ];
    const d = decideCreation(objects, {
      template,
      gitPath: 'apps',
      filesInGit: new Set(['apps/team/old/v1.yaml', 'apps/team/crashed/v1.yaml']),
      index,
    });
    expect(d.get('web')).toMatchObject({ kind: 'create', file: 'apps/team/web/v1.yaml' });
    expect(d.get('api')).toMatchObject({
      kind: 'skip',
      reasonCode: 'image-in-cluster',
      existing: { kind: 'Deployment', namespace: 'prod', name: 'api', container: 'app' },
    });
    expect(d.get('svc-dev')).toMatchObject({
      kind: 'skip',
      reasonCode: 'prefix-in-cluster',
      existing: { name: 'svc' },
    });
    expect(d.get('svc-staging')).toMatchObject({ kind: 'create', file: 'apps/team/svc/staging-v1.yaml' });
    expect(d.get('old')).toMatchObject({ kind: 'skip', reasonCode: 'manifest-in-git' });
    expect(d.get('crashed')).toEqual({ kind: 'committed-earlier', file: 'apps/team/crashed/v1.yaml' });
  });

  test('the index follows watch events: a Deployment removed or changed no longer dedups', () => {
    const index = new WorkloadIndex();
    index.upsert('Deployment', deployment('api', `${REG}/team/api:v2`));
    const ctx = { template, gitPath: '', filesInGit: new Set<string>(), index };
    expect(decideCreation([detected('api', 'team/api', 'v2')], ctx).get('api')?.kind).toBe('skip');
    index.upsert('Deployment', deployment('api', `${REG}/team/api:v3`));
    expect(decideCreation([detected('api', 'team/api', 'v2')], ctx).get('api')?.kind).toBe('create');
    expect(index.findImage(`${REG}/team/api:v3`)).toHaveLength(1);
    index.remove('Deployment', 'prod', 'api');
    expect(index.size).toBe(0);
    expect(index.findImage(`${REG}/team/api:v3`)).toEqual([]);
    expect(index.findPrefix(`${REG}/team/api`, 'v3')).toEqual([]);
  });

  test('a template that does not render is a fail naming spec.template, never a throw', () => {
    const bad = compileTemplate({
      yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ImageTag }}"\n',
    });
    const d = decideCreation([detected('x', 'team/x', 'Not_A_Name')], {
      template: bad,
      gitPath: '',
      filesInGit: new Set(),
      index: new WorkloadIndex(),
    });
    expect(d.get('x')).toMatchObject({ kind: 'fail', reason: 'TemplateRenderFailed' });
  });
});

describe('status and lifecycle', () => {
  test('statusFor: Completed with the commit, Skipped with the reason and the workload, Failed with the condition', () => {
    const d = detected('web', 'team/web', 'v1');
    expect(
      statusFor(
        d,
        { kind: 'create', file: 'f.yaml', manifest: { path: 'f.yaml', content: '' } },
        NOW,
        'abc123',
      ),
    ).toMatchObject({
      phase: 'Completed',
      resourceCreated: true,
      gitCommitSHA: 'abc123',
      processedAt: '2026-03-01T10:00:00Z',
      observedGeneration: 1,
      conditions: [
        {
          type: 'ResourceCreated',
          status: 'True',
          reason: 'Committed',
          message: 'manifest f.yaml committed in abc123',
        },
      ],
    });
    expect(
      statusFor(
        d,
        {
          kind: 'skip',
          reasonCode: 'prefix-in-cluster',
          reason: 'r',
          existing: { kind: 'Deployment', namespace: 'n', name: 'x' },
        },
        NOW,
      ),
    ).toMatchObject({
      phase: 'Skipped',
      resourceCreated: false,
      skipReason: 'r',
      existingResource: { kind: 'Deployment', namespace: 'n', name: 'x' },
      conditions: [{ status: 'False', reason: 'PrefixInCluster' }],
    });
    expect(
      statusFor(d, { kind: 'fail', reason: 'InvalidTemplate', message: "'spec.template' x" }, NOW),
    ).toMatchObject({
      phase: 'Failed',
      conditions: [{ status: 'False', reason: 'InvalidTemplate', message: "'spec.template' x" }],
    });
  });

  test('needsProcessing: new, Pending, Processing or a changed spec', () => {
    expect(needsProcessing(detected('a', 't/a', 'v1'))).toBe(true);
    expect(needsProcessing(detected('a', 't/a', 'v1', { status: { phase: 'Processing' } }))).toBe(true);
    expect(
      needsProcessing(detected('a', 't/a', 'v1', { status: { phase: 'Completed', observedGeneration: 1 } })),
    ).toBe(false);
    const moved = detected('a', 't/a', 'v1', { status: { phase: 'Completed', observedGeneration: 1 } });
    expect(needsProcessing({ ...moved, metadata: { ...moved.metadata, generation: 2 } })).toBe(true);
  });

  test('expiredImageDetected: finished objects older than ttlDays; 0 keeps them; in-progress ones stay', () => {
    const old = (name: string, phase: 'Completed' | 'Processing', daysAgo: number) =>
      detected(name, 't/a', 'v1', {
        spec: {
          ...detected(name, 't/a', 'v1').spec,
          detectedAt: new Date(NOW.getTime() - daysAgo * 86400_000).toISOString(),
        },
        status: { phase, observedGeneration: 1 },
      });
    const objects = [
      old('expired', 'Completed', 8),
      old('young', 'Completed', 6),
      old('busy', 'Processing', 30),
    ];
    expect(expiredImageDetected(objects, () => 7, NOW).map((d) => d.metadata.name)).toEqual(['expired']);
    expect(expiredImageDetected(objects, () => 0, NOW)).toEqual([]);
  });
});
