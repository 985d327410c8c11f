import { Testing } from 'cdk8s';
import {
  KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_LEASE_RULES,
  KyvernoPolicySync,
  KyvernoPolicySyncProps,
  syncIntervalToSchedule,
} from '../../../constructs/kyverno-policy-sync';
import {
  FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE,
  InsightsReportCronJob,
} from '../../../constructs/insights-report-cron-job';
import { JOBFORGE_IMAGE } from '../../../core/jobforge-image';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(props: Partial<KyvernoPolicySyncProps> = {}): {
  sync: KyvernoPolicySync;
  manifests: Manifest[];
} {
  const chart = Testing.chart();
  const sync = new KyvernoPolicySync(chart, 'Sync', {
    insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' },
    namespace: 'insights-agent',
    ...props,
  });
  return { sync, manifests: Testing.synth(chart) };
}
const of = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const container = (ms: Manifest[]): Manifest =>
  of(ms, 'CronJob')[0].spec.jobTemplate.spec.template.spec.containers[0];
const env = (ms: Manifest[]): Record<string, unknown> =>
  Object.fromEntries(container(ms).env.map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));

test('the Fairwinds runner with JOB_TYPE=kyverno-policy-sync every 15 minutes, never overlapping, no retries', () => {
  const { sync, manifests } = synth();
  expect(manifests).toMatchSnapshot();
  expect(sync).toBeInstanceOf(InsightsReportCronJob);
  const cron = of(manifests, 'CronJob')[0];
  expect(cron.metadata.name).toBe('kyverno-policy-sync');
  expect(cron.spec.schedule).toBe('*/15 * * * *');
  expect(cron.spec.concurrencyPolicy).toBe('Forbid');
  expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
  expect(container(manifests).image).toBe(FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE);
  expect(container(manifests).args).toBeUndefined();
  expect(env(manifests)).toEqual({
    JOB_TYPE: 'kyverno-policy-sync',
    FAIRWINDS_INSIGHTS_HOST: 'https://insights.fairwinds.com',
    FAIRWINDS_ORG: 'acme',
    FAIRWINDS_CLUSTER: 'prod',
    FAIRWINDS_TOKEN: { secretKeyRef: { name: 'insights-token', key: 'token' } },
    SYNC_INTERVAL: '15m',
    DRY_RUN: 'false',
    VALIDATE_POLICIES: 'true',
    LOCK_TIMEOUT: '30m',
    LOG_LEVEL: 'info',
  });
});

test('least RBAC: policies cluster-wide, the Lease only in its namespace', () => {
  const { manifests } = synth({ runner: 'jobforge', image: 'ghcr.io/example/jobforge:0.1.0' });
  expect(of(manifests, 'ClusterRole')[0].rules).toEqual([
    ...KYVERNO_POLICY_SYNC_CLUSTER_RULES,
    ...KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES,
  ]);
  // Every kind the sync manages, Kyverno's CEL kinds included.
  expect(KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES[0]).toEqual({
    apiGroups: ['policies.kyverno.io'],
    resources: [
      'validatingpolicies',
      'imagevalidatingpolicies',
      'mutatingpolicies',
      'generatingpolicies',
      'deletingpolicies',
      'namespacedvalidatingpolicies',
      'namespacedimagevalidatingpolicies',
      'namespacedmutatingpolicies',
      'namespacedgeneratingpolicies',
      'namespaceddeletingpolicies',
    ],
    verbs: ['get', 'list', 'create', 'update', 'delete'],
  });
  expect(of(manifests, 'Role')[0].rules).toEqual(KYVERNO_POLICY_SYNC_LEASE_RULES);
  expect(of(manifests, 'Role')[0].metadata.namespace).toBe('insights-agent');
  const verbs = of(manifests, 'ClusterRole')[0].rules.flatMap((r: Manifest) => r.verbs);
  expect(verbs).not.toContain('*');
  expect(verbs).not.toContain('patch');
  expect(JSON.stringify(of(manifests, 'ClusterRole'))).not.toContain('leases');
  expect(of(manifests, 'RoleBinding')[0].subjects).toEqual([
    { kind: 'ServiceAccount', name: 'kyverno-policy-sync', namespace: 'insights-agent' },
  ]);
});

test("this project's CLI image runs `jobforge policy-sync` with its extra settings", () => {
  const { manifests } = synth({
    runner: 'jobforge',
    image: 'ghcr.io/example/jobforge:0.1.0',
    syncInterval: '1h',
    dryRun: true,
    validatePolicies: false,
    lockTimeout: '45m',
    maxRemovals: 3,
    ownerAnnotation: { key: 'example.com/owner', value: 'platform' },
    logLevel: 'debug',
  });
  expect(manifests).toMatchSnapshot();
  expect(container(manifests).args).toEqual(['policy-sync']);
  expect(of(manifests, 'CronJob')[0].spec.schedule).toBe('0 * * * *');
  expect(env(manifests)).toMatchObject({
    DRY_RUN: 'true',
    VALIDATE_POLICIES: 'false',
    LOCK_TIMEOUT: '45m',
    LOG_LEVEL: 'debug',
    MAX_REMOVALS: '3',
    OWNER_ANNOTATION_KEY: 'example.com/owner',
    OWNER_ANNOTATION_VALUE: 'platform',
  });
  expect(env(manifests)).not.toHaveProperty('ALLOW_EMPTY_SOURCE');
});

test("the jobforge runner defaults to jobforge's image of this version; the image remains a prop", () => {
  expect(container(synth({ runner: 'jobforge' }).manifests).image).toBe('ghcr.io/jobforge/jobforge:0.1.0');
  expect(container(synth({ runner: 'jobforge' }).manifests).image).toBe(JOBFORGE_IMAGE);
  expect(container(synth({ runner: 'jobforge', image: 'registry.example/jf:2' }).manifests).image).toBe(
    'registry.example/jf:2',
  );
  expect(container(synth().manifests).image).toBe(FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE);
});

test('the jobforge runner gets the empty-source, ratio and response-size settings as env', () => {
  const { manifests } = synth({
    runner: 'jobforge',
    image: 'ghcr.io/example/jobforge:0.1.0',
    allowEmptySource: true,
    maxRemovalRatio: 0.25,
    maxResponseBytes: 1048576,
  });
  expect(env(manifests)).toMatchObject({
    MAX_REMOVALS: '10',
    ALLOW_EMPTY_SOURCE: 'true',
    MAX_REMOVAL_RATIO: '0.25',
    INSIGHTS_MAX_RESPONSE_BYTES: '1048576',
  });
});

test.each([
  ['1m', '* * * * *'],
  ['5m', '*/5 * * * *'],
  ['15m', '*/15 * * * *'],
  ['30m', '*/30 * * * *'],
  ['1h', '0 * * * *'],
  ['60m', '0 * * * *'],
  ['6h', '0 */6 * * *'],
  ['24h', '0 0 * * *'],
  ['5 4 * * *', '5 4 * * *'],
])('syncInterval %s → %s', (interval, schedule) => {
  expect(syncIntervalToSchedule(interval)).toBe(schedule);
});

describe('rejects', () => {
  test.each([
    [
      { syncInterval: '7m' },
      `'syncInterval' must be minutes dividing an hour (1m..30m), hours dividing a day (1h..12h), 24h, or a cron expression, got "7m"`,
    ],
    [{ syncInterval: '30s' }, `got "30s"`],
    [{ syncInterval: '5h' }, `got "5h"`],
    [{ syncInterval: 'often' }, `'syncInterval' must be a duration like 30m, 90s or 1h30m, got "often"`],
    [
      { syncInterval: '61 * * * *' },
      `'syncInterval' has a minute value out of range 0-59 in "61", got "61 * * * *"`,
    ],
    [
      { syncInterval: '0 0 * * * *' },
      `'syncInterval' must have exactly 5 fields (minute hour day-of-month month day-of-week), found 6, got "0 0 * * * *"`,
    ],
    [{ runner: 'other' as 'jobforge' }, `'runner' must be fairwinds or jobforge, got "other"`],
    [{ lockTimeout: 'forever' }, `'lockTimeout' must be a duration like 30m, 90s or 1h30m, got "forever"`],
    [{ lockTimeout: '0s' }, `'lockTimeout' must be at least 1s, got "0s"`],
    [{ logLevel: 'verbose' as 'info' }, `'LOG_LEVEL' must be one of debug, info, warn, error, got "verbose"`],
    [
      { runner: 'jobforge', image: 'a/b:1', maxRemovals: -1 },
      `'maxRemovals' must be a non-negative integer, got -1`,
    ],
    [
      { runner: 'jobforge', image: 'a/b:1', maxRemovalRatio: 2 },
      `'maxRemovalRatio' must be a number from 0 to 1, got 2`,
    ],
    [
      { runner: 'jobforge', image: 'a/b:1', maxResponseBytes: 0 },
      `'maxResponseBytes' must be a positive integer, got 0`,
    ],
    [
      { allowEmptySource: true },
      `'allowEmptySource' needs runner jobforge (the Fairwinds runner has no such setting), got runner "fairwinds"`,
    ],
    [
      { maxRemovals: 3 },
      `'maxRemovals' and 'ownerAnnotation' need runner jobforge (the Fairwinds runner has neither), got runner "fairwinds"`,
    ],
    [
      { insights: { secretName: '' } },
      `'insights.secretName' must name a Secret (DNS-1123 subdomain), got ""`,
    ],
  ])('%j', (props, message) => {
    expect(() => synth(props as Partial<KyvernoPolicySyncProps>)).toThrow(message);
  });
});
