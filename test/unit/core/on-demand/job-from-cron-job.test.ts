import {
  CronJobLike,
  ON_DEMAND_JOB_ID_LABEL,
  jobFromCronJob,
  jobOutcome,
  onDemandJobName,
} from '../../../../core/on-demand/job-from-cron-job';

describe('onDemandJobName: <cronjob>-<id>-<random>, as the Fairwinds runner names Jobs', () => {
  test('lower case', () => {
    expect(onDemandJobName('trivy', 42, 'AbCd1234')).toBe('trivy-42-abcd1234');
  });
  test('cut at 63 characters, never ending in - or .', () => {
    const long = onDemandJobName('a'.repeat(60), 7, '12345678');
    expect(long).toBe('a'.repeat(60) + '-7');
    expect(onDemandJobName('b'.repeat(61), 123, '12345678')).toBe('b'.repeat(61) + '-1');
    expect(onDemandJobName('c'.repeat(62), 123, '12345678')).toBe('c'.repeat(62));
    expect(onDemandJobName('d'.repeat(70), 1, 'x')).toHaveLength(63);
  });
});

const cronJob = (over: Record<string, unknown> = {}): CronJobLike => ({
  metadata: { name: 'trivy', namespace: 'insights-agent' },
  spec: {
    jobTemplate: {
      metadata: { labels: { app: 'trivy' }, annotations: { note: 'x' } },
      spec: {
        backoffLimit: 2,
        template: {
          metadata: { labels: { app: 'trivy' } },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'main',
                image: 'trivy:1',
                env: [
                  { name: 'IMAGES_TO_SCAN', value: 'old' },
                  { name: 'KEEP', value: 'k' },
                ],
              },
              { name: 'side', image: 'side:1' },
            ],
          },
        },
        ...over,
      },
    },
  },
});

const request = {
  name: 'trivy-42-abcd1234',
  namespace: 'insights-agent',
  onDemandJobId: 42,
  reportType: 'trivy',
  env: [
    { name: 'IMAGES_TO_SCAN', value: 'nginx:1.27' },
    { name: 'EXTRA', value: 'e' },
  ],
  timeoutMs: 1_200_000,
};

test('the job template with the options on every container, TTL 600, the CronJob backoffLimit kept', () => {
  const job = jobFromCronJob(cronJob(), request);
  expect(job.metadata).toEqual({
    name: 'trivy-42-abcd1234',
    namespace: 'insights-agent',
    labels: { app: 'trivy', [ON_DEMAND_JOB_ID_LABEL]: '42' },
    annotations: {
      note: 'x',
      'cronjob.kubernetes.io/instantiate': 'manual',
      'jobforge.dev/cronjob': 'trivy',
      'jobforge.dev/report-type': 'trivy',
    },
  });
  expect(job.spec.ttlSecondsAfterFinished).toBe(600);
  expect(job.spec.backoffLimit).toBe(2);
  expect(job.spec.activeDeadlineSeconds).toBe(1200);
  const containers = job.spec.template!.spec!.containers!;
  expect(containers[0].env).toEqual([
    { name: 'IMAGES_TO_SCAN', value: 'nginx:1.27' },
    { name: 'KEEP', value: 'k' },
    { name: 'EXTRA', value: 'e' },
  ]);
  expect(containers[1].env).toEqual(request.env);
});

test('the CronJob object is not changed', () => {
  const cj = cronJob();
  const before = JSON.stringify(cj);
  jobFromCronJob(cj, request);
  expect(JSON.stringify(cj)).toBe(before);
});

test('the report type backoffLimit replaces the CronJob one; a shorter activeDeadlineSeconds is kept', () => {
  const job = jobFromCronJob(cronJob({ activeDeadlineSeconds: 30 }), {
    ...request,
    backoffLimit: 0,
    timeoutMs: 2500,
  });
  expect(job.spec.backoffLimit).toBe(0);
  expect(job.spec.activeDeadlineSeconds).toBe(3);
  const kept = jobFromCronJob(cronJob({ activeDeadlineSeconds: 30 }), request);
  expect(kept.spec.activeDeadlineSeconds).toBe(30);
});

test('a CronJob without a job template with containers is an error naming it', () => {
  expect(() => jobFromCronJob({ metadata: { name: 'x' }, spec: {} }, request)).toThrow(
    'CronJob insights-agent/x has no job template with containers',
  );
});

test('jobOutcome: Complete, Failed with its reason, else still running', () => {
  expect(jobOutcome({ status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toEqual({
    outcome: 'completed',
  });
  expect(
    jobOutcome({
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    }),
  ).toEqual({ outcome: 'failed', reason: 'BackoffLimitExceeded' });
  expect(jobOutcome({ status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } })).toBeUndefined();
  expect(jobOutcome({ status: { conditions: [{ type: 'Complete', status: 'False' }] } })).toBeUndefined();
  expect(jobOutcome({})).toBeUndefined();
});
