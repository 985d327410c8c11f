import { Testing } from 'cdk8s';
import { KubernetesCronJob, KubernetesCronJobProps } from '../../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../../constructs/kubernetes-job';
import { PodFailurePolicy } from '../../../constructs/pod';

const IMAGE = 'ghcr.io/example/report:2.0.1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(props: Partial<KubernetesCronJobProps> = {}): {
  cron: KubernetesCronJob;
  manifests: Manifest[];
} {
  const chart = Testing.chart();
  const cron = new KubernetesCronJob(chart, 'Cron', {
    name: 'report',
    namespace: 'batch',
    image: IMAGE,
    schedule: '*/15 9-17 * * MON-FRI',
    ...props,
  });
  return { cron, manifests: Testing.synth(chart) };
}
const cronOf = (ms: Manifest[]): Manifest => ms.find((m) => m.kind === 'CronJob');
const build = (props: Partial<KubernetesCronJobProps>) => () =>
  new KubernetesCronJob(Testing.chart(), 'Cron', {
    name: 'report',
    image: IMAGE,
    schedule: '@daily',
    ...props,
  });

describe('KubernetesCronJob', () => {
  test('defaults: Forbid, history 3/1, the shared job model in jobTemplate', () => {
    const { cron, manifests } = synth();
    expect(cron.cronJobName).toBe('report');
    expect(cron.namespace).toBe('batch');
    const spec = cronOf(manifests).spec;
    expect(spec).toMatchObject({
      schedule: '*/15 9-17 * * MON-FRI',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(spec.timeZone).toBeUndefined();
    expect(spec.suspend).toBeUndefined();
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1 });
    expect(spec.jobTemplate.spec.template.spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(manifests).toMatchSnapshot();
  });

  test('the job template is the same one KubernetesJob builds', () => {
    const common = {
      name: 'same',
      namespace: 'batch',
      image: IMAGE,
      env: { A: '1' },
      secrets: { TOKEN: 't' },
      podFailurePolicy: PodFailurePolicy.ignoreDisruptions(),
      backoffLimit: 1,
    };
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', common);
    new KubernetesCronJob(chart, 'Cron', { ...common, schedule: '@hourly' });
    const ms = Testing.synth(chart);
    const job = ms.find((m: Manifest) => m.kind === 'Job');
    const cron = ms.find((m: Manifest) => m.kind === 'CronJob');
    expect(cron.spec.jobTemplate.spec).toEqual(job.spec);
    expect(ms.filter((m: Manifest) => m.kind === 'Secret')).toHaveLength(2);
  });

  test('every CronJob field is set', () => {
    const { manifests } = synth({
      timeZone: 'America/New_York',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 120,
      successfulJobsHistoryLimit: 0,
      failedJobsHistoryLimit: 5,
      suspend: true,
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
    });
    const spec = cronOf(manifests).spec;
    expect(spec).toMatchObject({
      timeZone: 'America/New_York',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 120,
      successfulJobsHistoryLimit: 0,
      failedJobsHistoryLimit: 5,
      suspend: true,
    });
    expect(spec.jobTemplate.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
    });
    expect(spec.jobTemplate.spec.suspend).toBeUndefined();
  });

  test.each([
    '@hourly',
    '@daily',
    '@midnight',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '0 0 1,15 * *',
    '0 22 * * 1-5',
    '*/5 * * JAN-MAR SUN',
  ])('accepts schedule %s', (schedule) => {
    expect(cronOf(synth({ schedule }).manifests).spec.schedule).toBe(schedule);
  });

  test('a default name fits the 52-character CronJob limit', () => {
    const chart = Testing.chart();
    const cron = new KubernetesCronJob(chart, 'A'.repeat(80), { image: IMAGE, schedule: '@daily' });
    expect(cron.cronJobName.length).toBeLessThanOrEqual(52);
  });
});

describe('KubernetesCronJob validation', () => {
  const cases: Array<[string, Partial<KubernetesCronJobProps>, string]> = [
    ['six fields', { schedule: '0 0 0 * * *' }, `'schedule' must have exactly 5 fields`],
    ['unknown macro', { schedule: '@every 1h' }, `'schedule' must be one of @yearly`],
    [
      'out of range',
      { schedule: '0 25 * * *' },
      `'schedule' has a hour value out of range 0-23 in "25", got "0 25 * * *"`,
    ],
    ['empty', { schedule: '' }, `'schedule' must be a non-empty cron expression, got ""`],
    [
      'TZ prefix',
      { schedule: 'TZ=UTC 0 0 * * *' },
      `'schedule' cannot contain TZ or CRON_TZ; use timeZone instead`,
    ],
    [
      'unknown time zone',
      { timeZone: 'Mars/Olympus' },
      `'timeZone' is not a time zone of the IANA database (2026d), got "Mars/Olympus"`,
    ],
    [
      'offset time zone',
      { timeZone: '+02:00' },
      `'timeZone' must be an IANA time zone name such as Europe/Paris, got "+02:00"`,
    ],
    [
      'concurrencyPolicy',
      { concurrencyPolicy: 'Sometimes' as never },
      `'concurrencyPolicy' must be Allow, Forbid or Replace, got "Sometimes"`,
    ],
    [
      'startingDeadlineSeconds',
      { startingDeadlineSeconds: -1 },
      `'startingDeadlineSeconds' must be an integer from 0 to 2147483647, got -1`,
    ],
    [
      'successfulJobsHistoryLimit',
      { successfulJobsHistoryLimit: 1.5 },
      `'successfulJobsHistoryLimit' must be an integer from 0 to 2147483647, got 1.5`,
    ],
    [
      'failedJobsHistoryLimit',
      { failedJobsHistoryLimit: -1 },
      `'failedJobsHistoryLimit' must be an integer from 0 to 2147483647, got -1`,
    ],
    [
      'name over 52',
      { name: 'a'.repeat(53) },
      `'name' must be at most 52 characters, got "${'a'.repeat(53)}" (53)`,
    ],
    [
      'Indexed hostname of the generated Jobs',
      { name: 'a'.repeat(51), completionMode: 'Indexed', completions: 10 },
      `'name' must leave room for the pod hostname`,
    ],
    [
      'shared rules apply',
      { completionMode: 'Indexed' },
      `'completions' is required when completionMode is Indexed, got undefined`,
    ],
  ];
  test.each(cases)('%s', (_label, props, message) => {
    expect(build(props)).toThrow(message);
  });
});

describe('KubernetesCronJob rejects what the apiserver rejects (issue 8)', () => {
  test.each<[string, Partial<KubernetesCronJobProps>, string]>([
    [
      'an uppercase descriptor',
      { schedule: '@HOURLY' },
      `'schedule' must be one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (lowercase) when it starts with '@', got "@HOURLY"`,
    ],
    [
      'a zone removed from the IANA database',
      { timeZone: 'US/Pacific-New' },
      `'timeZone' is not a time zone of the IANA database (2026d), got "US/Pacific-New"`,
    ],
  ])('%s', (_label, props, message) => {
    expect(build(props)).toThrow(message);
  });
});
