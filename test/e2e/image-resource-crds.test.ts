// The image resource controller's CRDs (installed by global setup from the synth of main.ts)
// validate custom resources on a real kube-apiserver: defaults applied, one-of rules and ranges
// enforced by the schema.
import { dryRunObject, KubeObject } from '../support/kube-api';
import { e2eEnv } from '../support/e2e-env';

const policy = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'automation.gitops.io/v1beta1',
  kind: 'ImageResourcePolicy',
  metadata: { name: 'webapp', namespace: 'default' },
  spec: {
    ecrRepository: { region: 'us-east-1', repositoryPattern: 'team-a/*' },
    policy: { semver: { range: '>=1.0.0' } },
    templateRef: { name: 'webapp' },
    ...spec,
  },
});

describe('image resource controller CRDs on a real apiserver', () => {
  test('a valid ImageResourcePolicy is admitted with the documented defaults', async () => {
    const stored = (await dryRunObject(e2eEnv().kubeconfig, policy({}))) as KubeObject & {
      spec: Record<string, Record<string, unknown>>;
    };
    expect(stored.spec.ecrRepository).toMatchObject({
      maxRepositories: 50,
      maxConcurrentScans: 10,
      scanTimeout: '5m',
    });
    expect(stored.spec.policy).toMatchObject({ perRepository: false });
    // order defaults to desc (the latest), extractPrefix to false: the validator's defaults too
    const pattern = (await dryRunObject(
      e2eEnv().kubeconfig,
      policy({ policy: { pattern: { regex: '^(dev|prod)-(\\d+)$' } } }),
    )) as KubeObject & { spec: { policy: Record<string, unknown> } };
    expect(pattern.spec.policy.pattern).toEqual({
      regex: '^(dev|prod)-(\\d+)$',
      extractPrefix: false,
      order: 'desc',
    });
    expect(stored.spec).toMatchObject({ ttlDays: 7, suspend: false });
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'two repository patterns',
      { ecrRepository: { region: 'us-east-1', repositoryPattern: 'a/*', imagePattern: 'b:*' } },
      'exactly one of repositoryPattern, imageNamePattern and imagePattern must be set',
    ],
    [
      'two selection policies',
      { policy: { semver: { range: '>=1' }, numerical: {} } },
      'exactly one of semver, alphabetical, numerical and pattern must be set',
    ],
    ['ttlDays above 365', { ttlDays: 400 }, 'spec.ttlDays'],
    ['an unknown order', { policy: { alphabetical: { order: 'up' } } }, 'spec.policy.alphabetical.order'],
    // the seed's types and limits, the same as the validator's (one schema)
    [
      'extractPrefix as a replacement string',
      { policy: { pattern: { regex: '^(dev)-', extractPrefix: '$1' } } },
      'spec.policy.pattern.extractPrefix',
    ],
    [
      'maxConcurrentScans above 50',
      { ecrRepository: { region: 'us-east-1', repositoryPattern: 'a/*', maxConcurrentScans: 51 } },
      'spec.ecrRepository.maxConcurrentScans',
    ],
    [
      'a scanTimeout above 24h',
      { ecrRepository: { region: 'us-east-1', repositoryPattern: 'a/*', scanTimeout: '25h' } },
      'must be a duration from 1s to 24h',
    ],
    [
      'a region that is not one',
      { ecrRepository: { region: 'Europe', repositoryPattern: 'a/*' } },
      'spec.ecrRepository.region',
    ],
  ])('rejects %s', async (_name, spec, message) => {
    await expect(dryRunObject(e2eEnv().kubeconfig, policy(spec))).rejects.toThrow(message);
  });

  test('ImageDetected and ResourceTemplate accept their documented fields', async () => {
    const kubeconfig = e2eEnv().kubeconfig;
    await dryRunObject(kubeconfig, {
      apiVersion: 'automation.gitops.io/v1beta1',
      kind: 'ImageDetected',
      metadata: { name: 'api-v1', namespace: 'default' },
      spec: {
        imageName: 'api',
        imageTag: 'v1.2.3',
        imageDigest: `sha256:${'a'.repeat(64)}`,
        fullImageName: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/api:v1.2.3',
        tagPrefix: 'v1',
        sourcePolicy: { name: 'webapp' },
        detectedAt: '2026-11-23T10:00:00Z',
      },
    });
    const rt = (await dryRunObject(kubeconfig, {
      apiVersion: 'automation.gitops.io/v1beta1',
      kind: 'ResourceTemplate',
      metadata: { name: 'webapp', namespace: 'default' },
      spec: {
        template: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\n',
        variables: { environment: 'prod' },
        gitRepository: { url: 'https://git.example.com/manifests.git' },
      },
    })) as KubeObject & { spec: { gitRepository: Record<string, unknown> } };
    expect(rt.spec.gitRepository).toMatchObject({ branch: 'main', path: './' });
  });
});
