import { Testing } from 'cdk8s';
import { FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE } from '../../../constructs/insights-report-cron-job';
import { JOBFORGE_IMAGE } from '../../../core/jobforge-image';
import {
  ON_DEMAND_RUNNER_NAMESPACE_RULES,
  OnDemandJobRunner,
  OnDemandJobRunnerProps,
} from '../../../constructs/on-demand-job-runner';
import {
  KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_LEASE_RULES,
} from '../../../constructs/kyverno-policy-sync';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;
const JOBFORGE = 'ghcr.io/example/jobforge:0.1.0';
const TRIVY = 'quay.io/fairwinds/trivy:1.0';
const POLARIS = 'quay.io/fairwinds/polaris:9.6';

function synth(props: Partial<OnDemandJobRunnerProps> = {}): {
  runner: OnDemandJobRunner;
  manifests: Manifest[];
} {
  const chart = Testing.chart();
  const runner = new OnDemandJobRunner(chart, 'Runner', {
    image: JOBFORGE,
    insights: { secretName: 'insights-token' },
    namespace: 'insights-agent',
    reports: { trivy: { image: TRIVY }, polaris: { image: POLARIS, schedule: '0 * * * *' } },
    ...props,
  });
  return { runner, manifests: Testing.synth(chart) };
}
const of = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const container = (ms: Manifest[]): Manifest => of(ms, 'Deployment')[0].spec.template.spec.containers[0];
const envMap = (ms: Manifest[]): Record<string, unknown> =>
  Object.fromEntries(container(ms).env.map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));

test('the runner Deployment (jobforge controller on-demand-jobs), its least RBAC, and one CronJob per report named after its type', () => {
  const { runner, manifests } = synth();
  expect(manifests).toMatchSnapshot();
  expect(of(manifests, 'CronJob').map((c) => c.metadata.name)).toEqual(['trivy', 'polaris']);
  for (const c of of(manifests, 'CronJob')) expect(c.metadata.namespace).toBe('insights-agent');
  const [dep] = of(manifests, 'Deployment');
  expect(dep.metadata).toMatchObject({ name: 'on-demand-job-runner', namespace: 'insights-agent' });
  expect(dep.spec.replicas).toBe(1);
  const c = container(manifests);
  expect(c.image).toBe(JOBFORGE);
  expect(c.args).toEqual(['controller', 'on-demand-jobs']);
  expect(envMap(manifests)).toEqual({
    FAIRWINDS_INSIGHTS_HOST: 'https://insights.fairwinds.com',
    FAIRWINDS_ORG: { secretKeyRef: { name: 'insights-token', key: 'organization' } },
    FAIRWINDS_CLUSTER: { secretKeyRef: { name: 'insights-token', key: 'cluster' } },
    FAIRWINDS_TOKEN_FILE: '/var/run/secrets/jobforge/insights-token',
    NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
    MAX_CONCURRENT_JOBS: '10',
    POLL_INTERVAL: '15s',
    POLICY_SYNC: 'cronjob',
    LISTEN_ADDRESS: ':8080',
    LOG_LEVEL: 'info',
  });
  expect(JSON.stringify(c.env)).not.toContain('"key":"token"');
  const pod = dep.spec.template.spec;
  expect(pod.volumes).toContainEqual({
    name: 'insights-token',
    secret: { secretName: 'insights-token', items: [{ key: 'token', path: 'insights-token' }] },
  });
  expect(c.livenessProbe.httpGet.path).toBe('/healthz');
  expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
  expect(pod.serviceAccountName).toBe('on-demand-job-runner');

  expect(of(manifests, 'Role').map((r) => [r.metadata.name, r.rules])).toEqual(
    expect.arrayContaining([['on-demand-job-runner', ON_DEMAND_RUNNER_NAMESPACE_RULES]]),
  );
  expect(ON_DEMAND_RUNNER_NAMESPACE_RULES).toEqual([
    { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch'] },
  ]);
  const binding = of(manifests, 'RoleBinding').find((b) => b.metadata.name === 'on-demand-job-runner');
  expect(binding.subjects).toEqual([
    { kind: 'ServiceAccount', name: 'on-demand-job-runner', namespace: 'insights-agent' },
  ]);
  expect(of(manifests, 'ClusterRole')).toEqual([]);
  expect(runner).toMatchObject({
    namespace: 'insights-agent',
    deploymentName: 'on-demand-job-runner',
    runner: 'jobforge',
  });
  expect(Object.keys(runner.reports)).toEqual(['trivy', 'polaris']);
  expect(runner.reports.polaris.cronJobName).toBe('polaris');
});

test('settings: concurrency, poll interval, timeouts, log level, plain organization and cluster, metrics port', () => {
  const { manifests } = synth({
    insights: {
      secretName: 's',
      organization: 'acme',
      cluster: 'prod',
      host: 'https://insights.example.com',
      tokenKey: 'api',
    },
    maxConcurrentJobs: 3,
    pollInterval: '30s',
    jobTimeouts: { trivy: '30m', '*': '10m' },
    logLevel: 'debug',
    metricsPort: 9090,
    metricsFromNamespaces: ['monitoring'],
  });
  expect(envMap(manifests)).toMatchObject({
    FAIRWINDS_INSIGHTS_HOST: 'https://insights.example.com',
    FAIRWINDS_ORG: 'acme',
    FAIRWINDS_CLUSTER: 'prod',
    MAX_CONCURRENT_JOBS: '3',
    POLL_INTERVAL: '30s',
    JOB_TIMEOUTS: 'trivy=30m,*=10m',
    LISTEN_ADDRESS: ':9090',
    LOG_LEVEL: 'debug',
  });
  expect(container(manifests).ports).toEqual([{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
  expect(of(manifests, 'Deployment')[0].spec.template.spec.volumes[1].secret.items).toEqual([
    { key: 'api', path: 'insights-token' },
  ]);
  const np = of(manifests, 'NetworkPolicy').find((n) => n.metadata.name === 'on-demand-job-runner');
  expect(np.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 9090 }]);
});

test("policySync 'in-process': the policy sync's RBAC (Kyverno policies cluster-wide, the Lease in its namespace)", () => {
  const { manifests } = synth({ policySync: 'in-process' });
  expect(envMap(manifests).POLICY_SYNC).toBe('in-process');
  const [cr] = of(manifests, 'ClusterRole');
  expect(cr.metadata.name).toBe('insights-agent-on-demand-job-runner-policy-sync');
  expect(cr.rules).toEqual([...KYVERNO_POLICY_SYNC_CLUSTER_RULES, ...KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES]);
  expect(of(manifests, 'ClusterRoleBinding')[0].subjects).toEqual([
    { kind: 'ServiceAccount', name: 'on-demand-job-runner', namespace: 'insights-agent' },
  ]);
  const role = of(manifests, 'Role').find((r) => r.metadata.name === 'on-demand-job-runner');
  expect(role.rules).toEqual([...ON_DEMAND_RUNNER_NAMESPACE_RULES, ...KYVERNO_POLICY_SYNC_LEASE_RULES]);
});

test("runner 'fairwinds': the upstream image and its settings as viper reads them (HOST, ORGANIZATION, CLUSTER, TOKEN, MAXCONCURRENTJOBS, POLLINTERVAL)", () => {
  const { manifests } = synth({ runner: 'fairwinds', image: undefined, maxConcurrentJobs: 4 });
  const c = container(manifests);
  expect(c.image).toBe(FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE);
  expect(c.args).toBeUndefined();
  expect(envMap(manifests)).toEqual({
    HOST: 'https://insights.fairwinds.com',
    ORGANIZATION: { secretKeyRef: { name: 'insights-token', key: 'organization' } },
    CLUSTER: { secretKeyRef: { name: 'insights-token', key: 'cluster' } },
    TOKEN: { secretKeyRef: { name: 'insights-token', key: 'token' } },
    MAXCONCURRENTJOBS: '4',
    POLLINTERVAL: '15s',
  });
  expect(c.livenessProbe).toBeUndefined();
  expect(of(manifests, 'CronJob').map((cj) => cj.metadata.name)).toEqual(['trivy', 'polaris']);
  expect(of(manifests, 'Deployment')[0].metadata.annotations['checkov.io/skip2']).toContain('CKV_K8S_35');
});

test('no reports: the runner alone; the namespace defaults to the chart namespace, then insights-agent', () => {
  const chart = Testing.chart();
  const r = new OnDemandJobRunner(chart, 'R', { image: JOBFORGE, insights: { secretName: 's' } });
  expect(r.namespace).toBe('insights-agent');
  expect(of(Testing.synth(chart), 'CronJob')).toEqual([]);
});

test("the jobforge runner defaults to jobforge's image (JOBFORGE_IMAGE)", () => {
  const { manifests } = synth({ image: undefined });
  expect(container(manifests).image).toBe(JOBFORGE_IMAGE);
});

describe('rejects', () => {
  test.each([
    [{ runner: 'other' }, `'runner' must be jobforge or fairwinds, got "other"`],
    [{ image: 'UPPER/case' }, 'image'],
    [{ image: JOBFORGE, requireImageDigest: true }, 'image'],
    [
      { insights: { secretName: 'Bad_Secret' } },
      `'insights.secretName' must name a Secret (DNS-1123 subdomain), got "Bad_Secret"`,
    ],
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
      { insights: { secretName: 's', host: 'ftp://x' } },
      `'insights.host' must be an http(s) URL, got "ftp://x"`,
    ],
    [{ maxConcurrentJobs: 0 }, `'maxConcurrentJobs' must be an integer from 1 to 1000, got 0`],
    [{ maxConcurrentJobs: 2.5 }, `'maxConcurrentJobs' must be an integer from 1 to 1000, got 2.5`],
    [{ pollInterval: 'often' }, `'pollInterval' must be a duration like 30m, 90s or 1h30m, got "often"`],
    [{ pollInterval: '500ms' }, `'pollInterval' must be a duration of at least 1s, got "500ms"`],
    [{ jobTimeouts: { kubescape: '5m' } }, `'jobTimeouts' keys must be report types (trivy, image-trust`],
    [
      { jobTimeouts: { trivy: 'never' } },
      `'jobTimeouts.trivy' must be a duration like 30m, 90s or 1h30m, got "never"`,
    ],
    [{ jobTimeouts: { trivy: '0s' } }, `'jobTimeouts.trivy' must be a duration of at least 1s, got "0s"`],
    [{ policySync: 'sometimes' }, `'policySync' must be in-process or cronjob, got "sometimes"`],
    [
      { runner: 'fairwinds', jobTimeouts: { trivy: '1m' } },
      `'jobTimeouts' needs runner jobforge (the Fairwinds runner has no such setting), got runner "fairwinds"`,
    ],
    [{ runner: 'fairwinds', policySync: 'in-process' }, `'policySync' needs runner jobforge`],
    [{ runner: 'fairwinds', logLevel: 'debug' }, `'logLevel' needs runner jobforge`],
    [{ logLevel: 'loud' }, `'LOG_LEVEL' must be one of debug, info, warn, error, got "loud"`],
    [{ metricsPort: 70000 }, `'metricsPort' must be an integer port from 1 to 65535, got 70000`],
    [{ metricsFromNamespaces: ['Bad NS'] }, 'metricsFromNamespaces'],
    [{ name: 'Runner' }, `'name' must be a DNS-1123 label of at most 63 characters, got "Runner"`],
    [{ imagePullPolicy: 'Sometimes' }, 'imagePullPolicy'],
    [
      { reports: { 'kyverno-policy-sync': { image: TRIVY } } },
      `'reports' cannot hold kyverno-policy-sync: deploy KyvernoPolicySync in the same namespace (its CronJob is named kyverno-policy-sync), got "kyverno-policy-sync"`,
    ],
    [
      { reports: { trivy: { image: TRIVY, name: 'insights-trivy' } } },
      `'reports.trivy.name' cannot be set: the runner finds the CronJob by the report type's name, got "insights-trivy"`,
    ],
    [{ reports: { kubescape: { image: TRIVY } } }, `'jobType' must be one of trivy, image-trust`],
    [{ reports: { trivy: {} } }, `'image' is required (the trivy report's image), got undefined`],
  ])('%j', (props, message) => {
    expect(() => synth(props as Partial<OnDemandJobRunnerProps>)).toThrow(message);
  });
});
