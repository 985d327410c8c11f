import { imageDetectedName, detectedImageOf } from '../../../../core/image-resource/resources';
import { setCondition } from '../../../../core/conditions';
import {
  gitAuthFromSecret,
  resolvePolicySpec,
  resolveResourceConfig,
  awsCredentialsFromSecret,
} from '../../../../core/image-resource/policy-config';
import { nextScanAt, reconcileDetection } from '../../../../core/image-resource/reconcile-detection';
import { toDetectedImage } from '../../../../core/pipeline/select';
import type { ImageResourcePolicy, ImageResourcePolicySpec } from '../../../../core/image-resource/resources';

const REG = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const img = (repository: string, tag: string, digest = `sha256:${'a'.repeat(64)}`) =>
  toDetectedImage({ registry: REG, repository, tag, digest, pushedAt: '2026-01-01T00:00:00Z' }, undefined);
const spec = (over: Partial<ImageResourcePolicySpec> = {}): ImageResourcePolicySpec => ({
  ecrRepository: { region: 'eu-west-1', repositoryPattern: 'team/*' },
  policy: { semver: { range: '>=1.0.0' } },
  templateRef: { name: 't' },
  ...over,
});
const policy = (over: Partial<ImageResourcePolicy> = {}): ImageResourcePolicy => ({
  metadata: { name: 'web', namespace: 'apps', generation: 2 },
  spec: spec(),
  ...over,
});
const NOW = new Date('2026-03-01T10:00:00.123Z');

describe('imageDetectedName', () => {
  test("is the seed's service-tag-hash form, deterministic, and differs by policy and registry", () => {
    const name = imageDetectedName('web', img('webapp/frontend', 'v1.2.3'));
    expect(name).toMatch(/^frontend-v1-2-3-[0-9a-f]{8}$/);
    expect(imageDetectedName('web', img('webapp/frontend', 'v1.2.3'))).toBe(name);
    expect(imageDetectedName('other', img('webapp/frontend', 'v1.2.3'))).not.toBe(name);
    expect(
      imageDetectedName('web', {
        ...img('webapp/frontend', 'v1.2.3'),
        fullImageName: 'x/webapp/frontend:v1.2.3',
      }),
    ).not.toBe(name);
  });

  test('stays a DNS label for long and odd tags', () => {
    const name = imageDetectedName('p', img('a/' + 'x'.repeat(80), 'V_1..2---3' + 'y'.repeat(100)));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test('detectedImageOf gives back the registry, repository and tag', () => {
    const i = img('team/api', 'dev-2');
    expect(
      detectedImageOf({
        imageName: 'api',
        imageTag: 'dev-2',
        imageDigest: i.digest,
        fullImageName: i.fullImageName,
        tagPrefix: 'dev',
        sourcePolicy: { name: 'p' },
        detectedAt: '2026-01-01T00:00:00Z',
      }),
    ).toMatchObject({
      registry: REG,
      repository: 'team/api',
      tag: 'dev-2',
      serviceName: 'api',
      tagPrefix: 'dev',
    });
    expect(() =>
      detectedImageOf({
        imageName: 'x',
        imageTag: 'y',
        imageDigest: 'z',
        fullImageName: 'nope',
        sourcePolicy: { name: 'p' },
        detectedAt: '',
      }),
    ).toThrow('\'spec.fullImageName\' must be registry/repository:tag, got "nope"');
  });
});

describe('setCondition', () => {
  test('keeps lastTransitionTime while the status is unchanged and sets it when it changes', () => {
    const a = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Scanned', message: 'm' },
      1,
      NOW,
    );
    expect(a).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Scanned',
        message: 'm',
        lastTransitionTime: '2026-03-01T10:00:00Z',
        observedGeneration: 1,
      },
    ]);
    const later = new Date('2026-03-01T11:00:00Z');
    expect(
      setCondition(a, { type: 'Ready', status: 'True', reason: 'Scanned', message: 'n' }, 2, later)[0]
        .lastTransitionTime,
    ).toBe('2026-03-01T10:00:00Z');
    expect(
      setCondition(a, { type: 'Ready', status: 'False', reason: 'X', message: 'n' }, 2, later)[0]
        .lastTransitionTime,
    ).toBe('2026-03-01T11:00:00Z');
  });
});

describe('resolvePolicySpec (through the pipeline validator)', () => {
  test('defaults: 5m interval, 7 days, not suspended; scanTimeout as a Go duration', () => {
    const s = resolvePolicySpec(
      spec({ ecrRepository: { region: 'eu-west-1', repositoryPattern: 'a/*', scanTimeout: '90s' } }),
    );
    expect(s).toMatchObject({ scanIntervalMs: 300_000, ttlDays: 7, suspend: false });
    expect(s.ecr.scanTimeout).toBe('90s');
    expect(resolvePolicySpec(spec(), { defaultScanInterval: '30s' }).scanIntervalMs).toBe(30_000);
    expect(
      resolvePolicySpec(spec({ scanInterval: '2s' }), { defaultScanInterval: '30s' }).scanIntervalMs,
    ).toBe(2000);
  });

  test.each<[string, Partial<ImageResourcePolicySpec>, string]>([
    ['an invalid regex', { policy: { pattern: { regex: '^(dev-' } } }, "'spec.policy.pattern.regex'"],
    ['a bad semver range', { policy: { semver: { range: 'not a range!' } } }, "'spec.policy.semver.range'"],
    ['two policies', { policy: { semver: { range: '1.x' }, alphabetical: {} } }, "'spec.policy'"],
    [
      'two patterns',
      { ecrRepository: { region: 'eu-west-1', repositoryPattern: 'a', imagePattern: 'b:*' } },
      "'spec.ecrRepository",
    ],
    [
      'a bad scanTimeout',
      { ecrRepository: { region: 'eu-west-1', scanTimeout: 'soon' } },
      "'spec.ecrRepository.scanTimeout' must be a Go duration from 1s to 24h",
    ],
    [
      'a bad scanInterval',
      { scanInterval: 'often' },
      '\'spec.scanInterval\' must be a Go duration (e.g. 30s, 5m), got "often"',
    ],
    [
      'a too short scanInterval',
      { scanInterval: '10ms' },
      '\'spec.scanInterval\' must be at least 1s, got "10ms"',
    ],
    [
      'a negative ttlDays',
      { ttlDays: -1 },
      "'spec.ttlDays' must be a number of days from 0 to 365 (0 keeps records forever), got -1",
    ],
    [
      'roleArn and secretRef',
      { aws: { roleArn: 'arn:aws:iam::123456789012:role/r', secretRef: { name: 's' } } },
      "'spec.aws' must set at most one of roleArn and secretRef, got both",
    ],
  ])('%s is refused naming the field', (_what, over, message) => {
    expect(() => resolvePolicySpec(spec(over))).toThrow(message);
  });
});

describe('resolveResourceConfig', () => {
  const template = {
    template: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\n',
    gitRepository: { url: 'https://git.example.com/r.git', path: './apps' },
  };
  test('maps the template spec to the pipeline config; ./ paths are relative', () => {
    const c = resolveResourceConfig(
      spec(),
      { ...template, variables: { namespace: 'prod', team: 'a' } },
      undefined,
    );
    expect(c.git).toMatchObject({ url: 'https://git.example.com/r.git', branch: 'main', path: 'apps' });
    expect(c.template).toMatchObject({ namespace: 'prod', variables: { namespace: 'prod', team: 'a' } });
  });
  test.each<[string, object, string]>([
    ['an unknown placeholder', { ...template, template: 'a: "{{ .Nope }}"\n' }, "'spec.template"],
    [
      'an empty template',
      { ...template, template: ' ' },
      "'spec.template' must be a non-empty YAML template",
    ],
    [
      'a URL with credentials',
      { ...template, gitRepository: { url: 'https://u:p@git.example.com/r.git' } },
      "'spec.gitRepository.url'",
    ],
  ])('%s is refused naming the field', (_w, t, message) => {
    expect(() => resolveResourceConfig(spec(), t as never, undefined)).toThrow(message);
  });
});

describe('credentials from Secrets', () => {
  test('git: token, basic, ssh with passphrase; errors name the key, never a value', () => {
    expect(gitAuthFromSecret('g', { token: 'tok123' })).toEqual({ type: 'token', token: 'tok123' });
    expect(gitAuthFromSecret('g', { username: 'u', password: 'pw' })).toEqual({
      type: 'basic',
      username: 'u',
      password: 'pw',
    });
    expect(
      gitAuthFromSecret('g', { 'ssh-privatekey': 'KEY', 'ssh-passphrase': 'pp', known_hosts: 'h' }),
    ).toEqual({
      type: 'ssh',
      privateKey: 'KEY',
      passphrase: 'pp',
      knownHosts: 'h',
    });
    expect(() => gitAuthFromSecret('g', { 'ssh-privatekey': 'KEY' })).toThrow(
      'has ssh-privatekey but no known_hosts key',
    );
    expect(() => gitAuthFromSecret('g', { password: 'hunter22' })).toThrow(
      '\'spec.gitRepository.secretRef\' Secret "g" must hold token, username + password, or ssh-privatekey, got keys ["password"]',
    );
  });
  test('aws: accessKeyId + secretAccessKey', () => {
    expect(awsCredentialsFromSecret('a', { accessKeyId: 'A', secretAccessKey: 'S' })).toEqual({
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    expect(() => awsCredentialsFromSecret('a', { accessKeyId: 'A' })).toThrow(
      '\'spec.aws.secretRef\' Secret "a" must hold accessKeyId and secretAccessKey, got keys ["accessKeyId"]',
    );
  });
});

describe('reconcileDetection', () => {
  const scanned = (selected: ReturnType<typeof img>[]) =>
    ({ kind: 'scanned', selected, repositoriesScanned: 2, repositoriesMatched: 3 }) as const;

  test('creates one object per new image, with status counts and a Ready condition', () => {
    const a = reconcileDetection(policy(), scanned([img('team/api', 'v1.0.0')]), new Map(), NOW);
    expect(a.create).toHaveLength(1);
    expect(a.create[0]).toMatchObject({
      kind: 'ImageDetected',
      metadata: { namespace: 'apps', labels: { 'automation.gitops.io/policy': 'web' } },
      spec: {
        imageName: 'api',
        imageTag: 'v1.0.0',
        sourcePolicy: { name: 'web', namespace: 'apps' },
        detectedAt: '2026-03-01T10:00:00Z',
      },
    });
    expect(a.status).toMatchObject({
      observedGeneration: 2,
      lastScannedTime: '2026-03-01T10:00:00Z',
      imagesDetected: 1,
      imageDetectedCreated: 1,
      repositoriesScanned: 2,
      repositoriesMatched: 3,
    });
    expect(a.status.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Scanned' });
    expect(a.event).toMatchObject({ type: 'Normal', reason: 'ImagesDetected' });
  });

  test('an existing object with the same digest is left alone; a re-pushed tag updates its spec', () => {
    const first = reconcileDetection(policy(), scanned([img('team/api', 'v1')]), new Map(), NOW).create[0];
    const existing = new Map([[first.metadata.name, first]]);
    const same = reconcileDetection(policy(), scanned([img('team/api', 'v1')]), existing, NOW);
    expect(same.create).toEqual([]);
    expect(same.update).toEqual([]);
    expect(same.event).toBeUndefined();
    const moved = reconcileDetection(
      policy(),
      scanned([img('team/api', 'v1', `sha256:${'b'.repeat(64)}`)]),
      existing,
      NOW,
    );
    expect(moved.update).toHaveLength(1);
    expect(moved.update[0].spec.imageDigest).toBe(`sha256:${'b'.repeat(64)}`);
  });

  test('invalid, failed and suspended outcomes write a False condition and create nothing', () => {
    const bad = reconcileDetection(
      policy(),
      { kind: 'invalid', reason: 'InvalidSpec', message: "'spec.policy.pattern.regex' x" },
      new Map(),
      NOW,
    );
    expect(bad.create).toEqual([]);
    expect(bad.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(bad.event).toMatchObject({ type: 'Warning', reason: 'InvalidSpec' });
    const paused = reconcileDetection(policy(), { kind: 'suspended' }, new Map(), NOW);
    expect(paused.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(paused.event).toBeUndefined();
  });

  test('nextScanAt: at once for a changed spec, else one interval after the last scan', () => {
    const p = policy({ status: { observedGeneration: 2, lastScannedTime: '2026-03-01T10:00:00Z' } });
    expect(nextScanAt(p, undefined, 60_000)).toBe(Date.parse('2026-03-01T10:01:00Z'));
    expect(nextScanAt(p, 5, 60_000)).toBe(60_005);
    expect(nextScanAt(policy({ status: { observedGeneration: 1 } }), 5, 60_000)).toBe(0);
  });
});
