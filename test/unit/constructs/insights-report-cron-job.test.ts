import { Testing } from 'cdk8s';
import {
  CLUSTER_READ_ONLY_RULES,
  ON_DEMAND_JOB_TYPES,
  InsightsReportCronJob,
  InsightsReportCronJobProps,
  OnDemandJobType,
} from '../../../constructs/insights-report-cron-job';
import { REPORT_TYPE_RUNS } from '../../../core/on-demand/report-types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;
const POLARIS = 'quay.io/fairwinds/polaris:9.6';

function synth(props: Partial<InsightsReportCronJobProps> = {}): {
  runner: InsightsReportCronJob;
  manifests: Manifest[];
} {
  const chart = Testing.chart();
  const runner = new InsightsReportCronJob(chart, 'Runner', {
    jobType: 'polaris',
    image: POLARIS,
    insights: { secretName: 'insights-token' },
    namespace: 'insights-agent',
    ...props,
  });
  return { runner, manifests: Testing.synth(chart) };
}
const of = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const envOf = (ms: Manifest[]): Manifest[] =>
  of(ms, 'CronJob')[0].spec.jobTemplate.spec.template.spec.containers[0].env;

test('a CronJob named after its report type (the name the on-demand runner looks up), concurrency Forbid, settings from the Secret', () => {
  const { runner, manifests } = synth();
  expect(manifests).toMatchSnapshot();
  const cron = of(manifests, 'CronJob')[0];
  expect(cron.metadata).toMatchObject({ name: 'polaris', namespace: 'insights-agent' });
  expect(cron.spec.schedule).toBe('*/15 * * * *');
  expect(cron.spec.concurrencyPolicy).toBe('Forbid');
  const pod = cron.spec.jobTemplate.spec.template.spec;
  expect(pod.serviceAccountName).toBe('polaris');
  expect(pod.containers[0].image).toBe(POLARIS);
  expect(envOf(manifests)).toEqual(
    expect.arrayContaining([
      { name: 'JOB_TYPE', value: 'polaris' },
      { name: 'FAIRWINDS_INSIGHTS_HOST', value: 'https://insights.fairwinds.com' },
      { name: 'FAIRWINDS_TOKEN', valueFrom: { secretKeyRef: { name: 'insights-token', key: 'token' } } },
      { name: 'FAIRWINDS_ORG', valueFrom: { secretKeyRef: { name: 'insights-token', key: 'organization' } } },
      { name: 'FAIRWINDS_CLUSTER', valueFrom: { secretKeyRef: { name: 'insights-token', key: 'cluster' } } },
    ]),
  );
  expect(JSON.stringify(manifests)).not.toMatch(/"kind":"Secret"/);
  expect(of(manifests, 'ServiceAccount').map((m) => m.metadata.name)).toEqual(['polaris']);
  expect(of(manifests, 'ClusterRole')).toEqual([]);
  expect(of(manifests, 'Role')).toEqual([]);
  expect(runner).toMatchObject({
    jobType: 'polaris',
    namespace: 'insights-agent',
    cronJobName: 'polaris',
  });
});

test("the report types are the on-demand runner's", () => {
  expect([...ON_DEMAND_JOB_TYPES].sort()).toEqual(Object.keys(REPORT_TYPE_RUNS).sort());
});

test.each(ON_DEMAND_JOB_TYPES.map((t) => [t]))(
  'report type %s: a CronJob named exactly after it',
  (jobType) => {
    const { manifests } = synth({ jobType: jobType as OnDemandJobType });
    expect(of(manifests, 'CronJob')[0].metadata.name).toBe(jobType);
    expect(envOf(manifests)).toContainEqual({ name: 'JOB_TYPE', value: jobType });
  },
);

test('plain organization, cluster and host; RBAC bound to the ServiceAccount', () => {
  const { manifests } = synth({
    jobType: 'workloads',
    insights: {
      secretName: 's',
      tokenKey: 'api-token',
      organization: 'acme',
      cluster: 'prod',
      host: 'https://insights.example.com',
    },
    clusterRules: CLUSTER_READ_ONLY_RULES,
    namespaceRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    schedule: '0 * * * *',
    env: { EXTRA: '1' },
  });
  expect(envOf(manifests)).toEqual(
    expect.arrayContaining([
      { name: 'FAIRWINDS_ORG', value: 'acme' },
      { name: 'FAIRWINDS_CLUSTER', value: 'prod' },
      { name: 'FAIRWINDS_INSIGHTS_HOST', value: 'https://insights.example.com' },
      { name: 'FAIRWINDS_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'api-token' } } },
      { name: 'EXTRA', value: '1' },
    ]),
  );
  const [crb] = of(manifests, 'ClusterRoleBinding');
  expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'workloads', namespace: 'insights-agent' }]);
  expect(crb.roleRef.name).toBe(of(manifests, 'ClusterRole')[0].metadata.name);
  const [rb] = of(manifests, 'RoleBinding');
  expect(rb.metadata.namespace).toBe('insights-agent');
  expect(of(manifests, 'Role')[0].rules).toEqual([
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
  ]);
});

test('the root filesystem stays read-only with a writable /tmp', () => {
  const { manifests } = synth();
  const pod = of(manifests, 'CronJob')[0].spec.jobTemplate.spec.template.spec;
  expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  expect(pod.containers[0].volumeMounts).toEqual([expect.objectContaining({ mountPath: '/tmp' })]);
  expect(pod.volumes).toEqual([expect.objectContaining({ emptyDir: {} })]);
});

test('the namespace defaults to the chart namespace, then insights-agent', () => {
  const chart = Testing.chart();
  const a = new InsightsReportCronJob(chart, 'A', {
    jobType: 'nova',
    image: 'nova:1',
    insights: { secretName: 's' },
  });
  expect(a.namespace).toBe('insights-agent');
});

describe('rejects', () => {
  const build = (props: Partial<InsightsReportCronJobProps>) => () => synth(props);
  test.each([
    [
      { jobType: 'kubescape' as OnDemandJobType },
      `'jobType' must be one of trivy, image-trust, cloudcosts, falco, nova, pluto, polaris, prometheus-metrics, goldilocks, rbac-reporter, right-sizer, workloads, kube-hunter, kube-bench, kyverno, kyverno-policy-sync, gonogo, got "kubescape"`,
    ],
    [
      { insights: { secretName: 'Bad_Secret' } },
      `'insights.secretName' must name a Secret (DNS-1123 subdomain), got "Bad_Secret"`,
    ],
    [{ insights: undefined }, `'insights.secretName' must name a Secret (DNS-1123 subdomain), got undefined`],
    [
      { insights: { secretName: 's', tokenKey: 'a/b' } },
      `'insights.tokenKey' must be a Secret key ([-._a-zA-Z0-9]+, not '.' or '..'), got "a/b"`,
    ],
    // The apiserver's Secret key rule (IsConfigMapKey), shared with secretEnv: no '.' or '..'.
    [
      { insights: { secretName: 's', clusterKey: '..' } },
      `'insights.clusterKey' must be a Secret key ([-._a-zA-Z0-9]+, not '.' or '..'), got ".."`,
    ],
    [
      { insights: { secretName: 's', organization: '' } },
      `'insights.organization' must be a non-empty string when given, got ""`,
    ],
    [
      { insights: { secretName: 's', host: 'insights.fairwinds.com' } },
      `'insights.host' must be an http(s) URL, got "insights.fairwinds.com"`,
    ],
    [
      { env: { FAIRWINDS_TOKEN: 'x' } },
      `'env' cannot set FAIRWINDS_TOKEN, which the runner sets from jobType and insights, got "FAIRWINDS_TOKEN"`,
    ],
    [{ env: { JOB_TYPE: 'trivy' } }, `'env' cannot set JOB_TYPE`],
    [{ schedule: '*/15 * * *' }, 'schedule'],
    [{ image: 'quay.io/fairwinds/on-demand-job-runner' }, 'image'],
    [{ image: undefined }, `'image' is required (the polaris report's image), got undefined`],
    [{ image: ' ' }, `'image' is required (the polaris report's image), got " "`],
  ])('%j', (props, message) => {
    expect(build(props as Partial<InsightsReportCronJobProps>)).toThrow(message);
  });
});
