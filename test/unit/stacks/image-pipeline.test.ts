// The ImagePipeline component with Pulumi's mocks: exactly one child, the dynamic resource,
// with plain-data inputs (no credentials), and program-time validation of plain configuration.
import * as pulumi from '@pulumi/pulumi';

interface Registered {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
}
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: { ...args.inputs, commitSha: null, createdFiles: [] } };
    },
    call(args) {
      return args.inputs;
    },
  },
  'jobforge',
  'test',
  false,
);

const { ImagePipeline } =
  require('../../../stacks/image-pipeline') as typeof import('../../../stacks/image-pipeline');

const base = {
  ecr: { region: 'us-east-1', repositoryPattern: 'team-a/*' },
  policy: { semver: { range: '>=1.0.0' } },
  template: { yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\n' },
  git: { url: 'https://git.example.com/gitops.git', path: 'apps', auth: { type: 'token' as const } },
};

async function settled(n: number): Promise<void> {
  for (let i = 0; i < 200 && registered.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(registered).toHaveLength(n);
}

describe('ImagePipeline', () => {
  beforeEach(() => {
    registered.length = 0;
  });

  test('registers the component and exactly one dynamic resource with plain inputs', async () => {
    new ImagePipeline('images', {
      ...base,
      dedup: { mode: 'prefix', kubeconfig: '/etc/kubeconfig' },
      ttlDays: 3,
    });
    await settled(2);
    expect(registered.map((r) => `${r.type}::${r.name}`).sort()).toEqual([
      'jobforge:pipeline:ImagePipeline::images',
      'pulumi-nodejs:dynamic/jobforge:ImagePipelineRun::images-run',
    ]);
    const run = registered.find((r) => r.name === 'images-run')!;
    expect(run.inputs.config).toEqual({
      ecr: base.ecr,
      policy: base.policy,
      template: { yaml: base.template.yaml },
      git: { url: base.git.url, path: 'apps' },
      dedup: { mode: 'prefix', kubeconfig: '/etc/kubeconfig' },
      ttlDays: 3,
    });
    expect(run.inputs.gitAuth).toEqual({ type: 'token' });
    expect(run.inputs.templateFn).toBeNull();
    expect(typeof run.inputs.__provider).toBe('string');
  });

  test('a template function becomes serialized text in a secret input', async () => {
    new ImagePipeline('fn', {
      ...base,
      template: {
        fn: (image) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: image.serviceName } }),
      },
    });
    await settled(2);
    const run = registered.find((r) => r.name === 'fn-run')!;
    // a secret input (Pulumi's secret signature): the state keeps it encrypted
    expect(run.inputs.templateFn[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    expect(run.inputs.templateFn.value.exportName).toBe('handler');
    expect(run.inputs.templateFn.value.text).toContain('ConfigMap');
  });

  test.each<[string, Record<string, unknown>, string | RegExp]>([
    ['an invalid semver range', { policy: { semver: { range: '>=>1' } } }, "'policy.semver.range'"],
    [
      'a regex RE2 refuses (look-ahead)',
      { policy: { pattern: { regex: '^(?=v)1' } } },
      "'policy.pattern.regex'",
    ],
    [
      'both templates',
      { template: { yaml: 'x', fn: () => [] } },
      "'template' must set exactly one of fn and yaml, got both",
    ],
    ['no template', { template: {} }, "'template' must set exactly one of fn and yaml, got neither"],
    ['a path escaping the repository', { git: { url: base.git.url, path: '../x' } }, "'git.path'"],
  ])('rejects %s in the program, before any resource', (_name, override, message) => {
    expect(() => new ImagePipeline('bad', { ...base, ...override } as never)).toThrow(message);
    expect(registered).toEqual([]);
  });
});

describe('imagePipelineArgsFromConfig (stack config, the one schema)', () => {
  const { imagePipelineArgsFromConfig } =
    require('../../../stacks/image-pipeline-config') as typeof import('../../../stacks/image-pipeline-config');
  const set = (value: unknown): void =>
    pulumi.runtime.setConfig('jobforge:imagePipeline', JSON.stringify(value));

  test('plain stack config becomes the component args as written', () => {
    const value = { ...base, git: { url: base.git.url, path: 'apps', auth: { type: 'token' } } };
    set(value);
    expect(imagePipelineArgsFromConfig(new pulumi.Config('jobforge'))).toEqual(value);
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'a limit above the seed',
      { ecr: { ...base.ecr, maxRepositories: 500 } },
      "'jobforge:imagePipeline.ecr.maxRepositories' must be an integer from 1 to 200, got 500",
    ],
    [
      'a template function slot',
      { template: { namespace: 'apps' } },
      "'jobforge:imagePipeline.template.yaml' is required, got undefined",
    ],
    [
      'a token given as a value',
      { git: { url: base.git.url, auth: { type: 'token', token: 's3cr3t-token' } } },
      "'jobforge:imagePipeline.git.auth.token' is not a known setting",
    ],
    [
      'an order that is not one',
      { policy: { alphabetical: { order: 'latest' } } },
      "'jobforge:imagePipeline.policy.alphabetical.order' must be 'asc' or 'desc', got \"latest\"",
    ],
  ])('rejects %s, naming the key and the field', (_name, override, message) => {
    set({ ...base, ...override });
    expect(() => imagePipelineArgsFromConfig(new pulumi.Config('jobforge'))).toThrow(message);
  });
});
