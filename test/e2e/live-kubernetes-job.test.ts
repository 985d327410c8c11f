// KubernetesJob and KubernetesCronJob run for real: kube-controller-manager's Job, CronJob and TTL
// controllers and kube-scheduler act on what the constructs synthesize; kwok runs the pods on fake
// nodes (Succeeded, or Failed with the exit code a pod label asks for: test/e2e/fixtures/kwok).
import { Testing } from 'cdk8s';
import { PodFailurePolicy } from '../../constructs/pod';
import { KubernetesCronJob } from '../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../constructs/kubernetes-job';
import { e2eEnv } from '../support/e2e-env';
import { getJson, listItems } from '../support/kube-api';
import {
  FAIL_EXIT_CODE_LABEL,
  FAIL_INDEX_LABEL,
  LiveCluster,
  startLiveCluster,
} from '../support/live-cluster';
import {
  LiveJob,
  applyChart,
  jobPath,
  jobPods,
  trueCondition,
  waitForJobFinished,
} from '../support/live-jobs';
import { waitFor } from '../support/processes';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

describe('KubernetesJob and KubernetesCronJob on a live control plane', () => {
  let live: LiveCluster;

  beforeAll(async () => {
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [{ name: 'worker-1' }, { name: 'worker-2' }, { name: 'worker-3' }],
    });
    const parts = Object.entries(live.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ');
    process.stderr.write(`[live] control plane up: ${parts}\n`);
  });

  afterAll(async () => {
    await live?.stop();
  });

  const finished = (ns: string, name: string): Promise<LiveJob> =>
    waitForJobFinished(live.kubeconfig, ns, name, { onTimeout: () => live.logTails() });

  it('a KubernetesJob of 3 completions reaches Complete, every pod Succeeded', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'live-complete',
      name: 'etl',
      image: IMAGE,
      completions: 3,
      parallelism: 2,
    });
    await applyChart(live.kubeconfig, chart);
    const job = await finished('live-complete', 'etl');
    expect(trueCondition(job, 'Complete')).toBeDefined();
    expect(trueCondition(job, 'Failed')).toBeUndefined();
    expect(job.status?.succeeded).toBe(3);
    const pods = await jobPods(live.kubeconfig, 'live-complete', 'etl');
    expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBeGreaterThan(0);
  });

  it('an Indexed Job with backoffLimitPerIndex 1 and one failing index ends Failed (FailedIndexes), the other indexes completed', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'live-per-index',
      name: 'shards',
      image: IMAGE,
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
      backoffLimitPerIndex: 1,
      // kwok fails the pods of index 1 (every attempt) with exit code 1.
      labels: { [FAIL_EXIT_CODE_LABEL]: '1', [FAIL_INDEX_LABEL]: '1' },
    });
    await applyChart(live.kubeconfig, chart);
    const job = await finished('live-per-index', 'shards');
    expect(trueCondition(job, 'Failed')).toMatchObject({ reason: 'FailedIndexes' });
    expect(trueCondition(job, 'Complete')).toBeUndefined();
    expect(job.status).toMatchObject({ completedIndexes: '0,2', failedIndexes: '1', succeeded: 2 });
    // One first attempt and backoffLimitPerIndex (1) retry of index 1, each failed with exit code 1.
    const failed = (await jobPods(live.kubeconfig, 'live-per-index', 'shards')).filter(
      (p) => p.status?.phase === 'Failed',
    );
    expect(failed.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])).toEqual([
      '1',
      '1',
    ]);
    expect(failed.map((p) => p.status?.containerStatuses?.[0].state?.terminated?.exitCode)).toEqual([1, 1]);
    expect(job.status?.failed).toBe(2);
  });

  it('failFastOnExitCodes([42]) ends the Job Failed with reason PodFailurePolicy after one pod', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'live-fail-fast',
      name: 'migrate',
      image: IMAGE,
      backoffLimit: 6,
      podFailurePolicy: PodFailurePolicy.failFastOnExitCodes([42]),
      labels: { [FAIL_EXIT_CODE_LABEL]: '42' },
    });
    await applyChart(live.kubeconfig, chart);
    const job = await finished('live-fail-fast', 'migrate');
    expect(trueCondition(job, 'Failed')).toMatchObject({ reason: 'PodFailurePolicy' });
    expect(job.status?.failed).toBe(1);
    const pods = await jobPods(live.kubeconfig, 'live-fail-fast', 'migrate');
    expect(pods.map((p) => p.status?.containerStatuses?.[0].state?.terminated?.exitCode)).toEqual([42]);
  });

  it('without a pod failure policy the same exit code 42 is retried up to backoffLimit', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'live-no-policy',
      name: 'migrate',
      image: IMAGE,
      backoffLimit: 1,
      labels: { [FAIL_EXIT_CODE_LABEL]: '42' },
    });
    await applyChart(live.kubeconfig, chart);
    const job = await finished('live-no-policy', 'migrate');
    expect(trueCondition(job, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(job.status?.failed).toBe(2);
  });

  it('ttlSecondsAfterFinished deletes the finished Job and its pods', async () => {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', {
      namespace: 'live-ttl',
      name: 'short-lived',
      image: IMAGE,
      ttlSecondsAfterFinished: 2,
    });
    await applyChart(live.kubeconfig, chart);
    // It completes first (the TTL counts from then) ...
    await waitFor(
      'Job live-ttl/short-lived to complete',
      async () => {
        const job = await getJson<LiveJob>(live.kubeconfig, jobPath('live-ttl', 'short-lived'));
        if (job === undefined) throw new Error('the Job was deleted before it was seen complete');
        return trueCondition(job, 'Complete') ? true : undefined;
      },
      { timeoutMs: 120000, intervalMs: 200 },
    );
    // ... then the TTL-after-finished controller deletes it, and the garbage collector its pods.
    await waitFor(
      'Job live-ttl/short-lived to be deleted',
      async () =>
        (await getJson(live.kubeconfig, jobPath('live-ttl', 'short-lived'))) === undefined ? true : undefined,
      { timeoutMs: 120000, intervalMs: 500, onTimeout: () => live.logTails() },
    );
    await waitFor(
      'the pods of live-ttl/short-lived to be deleted',
      async () =>
        (await jobPods(live.kubeconfig, 'live-ttl', 'short-lived')).length === 0 ? true : undefined,
      { timeoutMs: 120000, intervalMs: 500 },
    );
  });

  it('a KubernetesCronJob scheduled every minute creates a Job, which completes', async () => {
    const chart = Testing.chart();
    new KubernetesCronJob(chart, 'Cron', {
      namespace: 'live-cron',
      name: 'every-minute',
      image: IMAGE,
      schedule: '* * * * *',
    });
    await applyChart(live.kubeconfig, chart);
    // The first run is at the next full minute.
    const [job] = await waitFor(
      'a Job of CronJob live-cron/every-minute',
      async () => {
        const jobs = await listItems<LiveJob>(live.kubeconfig, '/apis/batch/v1/namespaces/live-cron/jobs');
        const owned = jobs.filter((j) =>
          ((j.metadata.ownerReferences ?? []) as { kind: string; name: string }[]).some(
            (o) => o.kind === 'CronJob' && o.name === 'every-minute',
          ),
        );
        return owned.length > 0 ? owned : undefined;
      },
      { timeoutMs: 150000, intervalMs: 1000, onTimeout: () => live.logTails() },
    );
    expect(job.metadata.name).toMatch(/^every-minute-\d+$/);
    const done = await finished('live-cron', job.metadata.name!);
    expect(trueCondition(done, 'Complete')).toBeDefined();
  });
});
