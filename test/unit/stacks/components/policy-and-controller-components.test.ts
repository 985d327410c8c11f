// UniqueJobPerImagePolicy, KyvernoPolicySync, OnDemandJobRunner and ImageResourceController as
// Pulumi components, under Pulumi's mocks: the exact children (a kind from a CRD becomes a
// CustomResource), their inputs equal to the cdk8s construct's objects, the outputs, and bad plain
// input thrown in the constructor.
import * as pulumi from '@pulumi/pulumi';
import { Testing } from 'cdk8s';
import { installMocks, registered, registeredNames, settled, valueOf } from '../../../support/pulumi-mocks';

installMocks();

// Imported after setMocks so the components register against the mocks.
const components = require('../../../../pulumi') as typeof import('../../../../pulumi');
const cdk = require('../../../../index') as typeof import('../../../../index');

beforeEach(() => {
  registered.length = 0;
});

/** `type::name` of the child each object of the construct's synthesis should give. */
function expectedChildren(component: string, chart: ReturnType<typeof Testing.chart>): string[] {
  return Testing.synth(chart).map((o) => {
    const group = o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`;
    const builtIn = !o.apiVersion.includes('.') || /\.k8s\.io\//.test(o.apiVersion);
    const type = builtIn ? `kubernetes:${group}:${o.kind}` : `kubernetes:${o.apiVersion}:${o.kind}`;
    const ns = o.metadata.namespace ? `${o.metadata.namespace}/` : '';
    return `${type}::${component}-${ns}${o.metadata.name}`;
  });
}

describe('UniqueJobPerImagePolicy (Pulumi)', () => {
  test('creates exactly the ClusterPolicy (a CustomResource) and the background controller ClusterRole', async () => {
    const props = { namespaces: ['team-a'], jobContainer: { image: 'ghcr.io/acme/scanner:1.4' } };
    const policy = new components.UniqueJobPerImagePolicy('scan', {
      ...props,
      namespaces: [pulumi.output('team-a')],
    });
    expect(await valueOf(policy.policyName)).toBe('generate-unique-job-per-image');
    expect(await valueOf(policy.minimumKyvernoVersion)).toBe('1.12.0');
    await settled();
    expect(registeredNames()).toEqual([
      'jobforge:kyverno:UniqueJobPerImagePolicy::scan',
      'kubernetes:kyverno.io/v1:ClusterPolicy::scan-generate-unique-job-per-image',
      'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::scan-kyverno:generate-unique-job-per-image:jobs',
    ]);
    const chart = Testing.chart();
    new cdk.UniqueJobPerImagePolicy(chart, 'Scan', props);
    const [clusterPolicy] = Testing.synth(chart);
    const child = registered.find((r) => r.type === 'kubernetes:kyverno.io/v1:ClusterPolicy')!;
    expect(child.inputs).toEqual(clusterPolicy);
  });

  test('bad plain input throws in the constructor and registers nothing', async () => {
    expect(
      () =>
        new components.UniqueJobPerImagePolicy('scan', { jobContainer: { image: 'ghcr.io/acme/scanner' } }),
    ).toThrow(
      `'jobContainer.image' must name a tag or a digest (no implicit :latest), got "ghcr.io/acme/scanner"`,
    );
    await settled();
    expect(registeredNames()).toEqual([]);
  });
});

describe('KyvernoPolicySync and OnDemandJobRunner (Pulumi)', () => {
  test('KyvernoPolicySync creates exactly the objects of the cdk8s KyvernoPolicySync', async () => {
    const props = { insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' } };
    const sync = new components.KyvernoPolicySync('policies', props);
    expect(await valueOf(sync.namespace)).toBe('insights-agent');
    expect(await valueOf(sync.cronJobName)).toBe('kyverno-policy-sync');
    expect(await valueOf(sync.serviceAccountName)).toBe('kyverno-policy-sync');
    await settled();
    const chart = Testing.chart();
    new cdk.KyvernoPolicySync(chart, 'Policies', props);
    expect(registeredNames()).toEqual(
      ['jobforge:kyverno:KyvernoPolicySync::policies', ...expectedChildren('policies', chart)].sort(),
    );
    expect(registeredNames()).toHaveLength(8);
  });

  test('OnDemandJobRunner creates exactly the objects of the cdk8s OnDemandJobRunner: the runner and its report CronJobs', async () => {
    const props = {
      insights: { secretName: 'insights-token' },
      reports: { polaris: { image: 'quay.io/fairwinds/polaris:9.6' } },
    };
    const runner = new components.OnDemandJobRunner('runner', {
      ...props,
      insights: { secretName: pulumi.output('insights-token') },
    });
    expect(await valueOf(runner.namespace)).toBe('insights-agent');
    expect(await valueOf(runner.deploymentName)).toBe('on-demand-job-runner');
    expect(await valueOf(runner.reportCronJobNames)).toEqual(['polaris']);
    await settled();
    const chart = Testing.chart();
    new cdk.OnDemandJobRunner(chart, 'Runner', props);
    expect(registeredNames()).toEqual(
      ['jobforge:insights:OnDemandJobRunner::runner', ...expectedChildren('runner', chart)].sort(),
    );
    expect(registeredNames()).toEqual(
      expect.arrayContaining([
        'kubernetes:apps/v1:Deployment::runner-insights-agent/on-demand-job-runner',
        'kubernetes:batch/v1:CronJob::runner-insights-agent/polaris',
        'kubernetes:rbac.authorization.k8s.io/v1:Role::runner-insights-agent/on-demand-job-runner',
      ]),
    );
  });

  test('bad plain input throws in the constructor and registers nothing', async () => {
    expect(
      () =>
        new components.KyvernoPolicySync('policies', {
          insights: { secretName: 'insights-token' },
          syncInterval: 'sometimes',
        }),
    ).toThrow(`'syncInterval'`);
    await settled();
    expect(registeredNames()).toEqual([]);
  });
});

describe('ImageResourceController (Pulumi)', () => {
  test('creates exactly the CRDs, Namespace, managers, RBAC, Service and NetworkPolicy of the cdk8s construct', async () => {
    const props = { detectionImage: 'ghcr.io/acme/d:0.1.0', creationImage: 'ghcr.io/acme/c:0.1.0' };
    const irc = new components.ImageResourceController('irc', props);
    expect(await valueOf(irc.namespace)).toBe('image-resource-controller-system');
    expect(await valueOf(irc.detectionManagerName)).toBe('image-resource-detection-manager');
    expect(await valueOf(irc.creationManagerName)).toBe('image-resource-creation-manager');
    expect(await valueOf(irc.metricsServiceName)).toBe('image-resource-controller-metrics');
    await settled();
    const chart = Testing.chart();
    new cdk.ImageResourceController(chart, 'Irc', props);
    expect(registeredNames()).toEqual(
      ['jobforge:images:ImageResourceController::irc', ...expectedChildren('irc', chart)].sort(),
    );
    expect(registeredNames()).toHaveLength(19);
  });

  test('bad plain input throws in the constructor and registers nothing', async () => {
    expect(
      () =>
        new components.ImageResourceController('irc', {
          detectionImage: 'd',
          creationImage: 'ghcr.io/acme/c:0.1.0',
        }),
    ).toThrow(`'detectionImage'`);
    await settled();
    expect(registeredNames()).toEqual([]);
  });
});
