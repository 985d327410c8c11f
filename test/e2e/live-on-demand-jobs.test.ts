// The on-demand job runner (`jobforge controller on-demand-jobs`) on a live control plane: a local
// HTTP server plays Fairwinds Insights (claim and status endpoints, every call recorded); the
// OnDemandJobRunner construct's report CronJobs and RBAC are applied for real, and the runner, as
// its ServiceAccount, makes Jobs from the CronJobs with @kubernetes/client-node;
// kube-controller-manager runs them and kwok completes (or, by label, fails) their pods.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { parse as parseYaml, stringify } from 'yaml';
import { OnDemandJobRunner } from '../../constructs/on-demand-job-runner';
import {
  OnDemandJobsController,
  startOnDemandJobsController,
} from '../../bin/commands/controller-on-demand-jobs';
import { ON_DEMAND_JOB_ID_LABEL } from '../../core/on-demand/job-from-cron-job';
import { e2eEnv } from '../support/e2e-env';
import { kyvernoCrdFiles } from '../support/e2e-engines';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { installCrds, kubeRequest, readCrdFiles } from '../support/kube-api';
import {
  COMPLETE_DELAY_LABEL,
  FAIL_EXIT_CODE_LABEL,
  LiveCluster,
  startLiveCluster,
} from '../support/live-cluster';
import { LiveJob, applyChart, trueCondition } from '../support/live-jobs';
import { listItems } from '../support/kube-api';
import { clusterPolicies, policyYaml, yamlStream } from '../support/policy-sync-fixtures';
import { freePort, waitFor } from '../support/processes';

const REPO = path.resolve(__dirname, '..', '..');
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const TOKEN = 'od-secret-token-1234';

interface ReportCronJob {
  readonly type: string;
  readonly labels?: Record<string, string>;
  readonly backoffLimit?: number;
}

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

describe('the on-demand job runner on a live control plane', () => {
  let live: LiveCluster;
  let insights: InsightsServer;

  beforeAll(async () => {
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [{ name: 'worker-1' }, { name: 'worker-2' }],
    });
    // The policy sync writes ClusterPolicies and Policies: only those two Kyverno CRDs are needed.
    const crds = readCrdFiles(kyvernoCrdFiles()).filter((c) =>
      ['clusterpolicies.kyverno.io', 'policies.kyverno.io'].includes(String(c.metadata.name)),
    );
    expect(crds).toHaveLength(2);
    await installCrds(live.kubeconfig, crds);
    insights = await startInsightsServer({ token: TOKEN, organization: 'acme', cluster: 'prod' });
  });

  afterAll(async () => {
    await insights?.close();
    await live?.stop();
  });

  beforeEach(() => {
    insights.requests.length = 0;
    insights.answers.length = 0;
    insights.onDemandJobs.length = 0;
    insights.statusUpdates.length = 0;
  });

  /**
   * The OnDemandJobRunner chart of a namespace applied for real: the runner's ServiceAccount and
   * least RBAC, and its report CronJobs named after their types (suspended: only the runner
   * starts them). Returns a kubeconfig authenticating as the runner's ServiceAccount (a
   * TokenRequest token): the controller runs with exactly the RBAC the construct grants.
   */
  async function deployRunner(
    namespace: string,
    reports: ReportCronJob[],
    policySync: 'in-process' | 'cronjob' = 'cronjob',
  ): Promise<string> {
    const chart = Testing.chart();
    const runner = new OnDemandJobRunner(chart, 'Runner', {
      image: 'ghcr.io/example/jobforge:0.1.0',
      insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' },
      namespace,
      policySync,
      reports: Object.fromEntries(
        reports.map((r) => [
          r.type,
          {
            image: IMAGE,
            schedule: '0 0 1 1 *',
            suspend: true,
            env: { REPORT: r.type, IMAGES_TO_SCAN: 'from-the-cronjob' },
            labels: r.labels,
            backoffLimit: r.backoffLimit,
          },
        ]),
      ),
    });
    expect(Object.values(runner.reports).map((c) => c.cronJobName)).toEqual(reports.map((r) => r.type));
    await applyChart(live.kubeconfig, chart);
    const tr = await kubeRequest(
      live.kubeconfig,
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${runner.deploymentName}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    );
    expect(tr.status).toBe(201);
    const admin = parseYaml(fs.readFileSync(live.kubeconfig, 'utf8'));
    const file = path.join(live.dir, `${namespace}-runner.kubeconfig`);
    fs.writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'sa',
        clusters: [{ name: 'live', cluster: admin.clusters[0].cluster }],
        users: [{ name: 'sa', user: { token: tr.json<{ status: { token: string } }>().status.token } }],
        contexts: [{ name: 'sa', context: { cluster: 'live', user: 'sa' } }],
      }),
    );
    return file;
  }

  const runnerEnv = (
    namespace: string,
    kubeconfig: string,
    over: Record<string, string> = {},
  ): Record<string, string> => ({
    FAIRWINDS_INSIGHTS_HOST: insights.url,
    FAIRWINDS_ORG: 'acme',
    FAIRWINDS_CLUSTER: 'prod',
    FAIRWINDS_TOKEN: TOKEN,
    NAMESPACE: namespace,
    KUBECONFIG: kubeconfig,
    POLL_INTERVAL: '300ms',
    JOB_POLL_INTERVAL: '250ms',
    LISTEN_ADDRESS: '127.0.0.1:0',
    INSIGHTS_RETRIES: '1',
    INSIGHTS_TIMEOUT: '2s',
    SHUTDOWN_GRACE: '1s',
    LOG_LEVEL: 'debug',
    ...over,
  });

  /** Starts the controller in process; its JSON log lines are collected. */
  async function startRunner(
    namespace: string,
    kubeconfig: string,
    over: Record<string, string> = {},
  ): Promise<{ controller: OnDemandJobsController; logs: LogLine[]; text: () => string }> {
    let text = '';
    const controller = await startOnDemandJobsController(
      {},
      { PATH: process.env.PATH, ...runnerEnv(namespace, kubeconfig, over) },
      (s) => {
        text += s;
      },
    );
    return {
      controller,
      text: () => text,
      get logs() {
        return text
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as LogLine);
      },
    };
  }

  const onDemandJobs = (namespace: string): Promise<LiveJob[]> =>
    listItems<LiveJob>(
      live.kubeconfig,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      ON_DEMAND_JOB_ID_LABEL,
    );

  const statusesFor = (n: number): Promise<{ id: number; status: string }[]> =>
    waitFor(
      `${n} status reports`,
      async () =>
        insights.statusUpdates.length >= n
          ? [...insights.statusUpdates].sort((a, b) => a.id - b.id)
          : undefined,
      { timeoutMs: 120_000, intervalMs: 200, onTimeout: () => live.logTails() },
    );

  const cronJobOf = (j: LiveJob): string | undefined =>
    (j.metadata as { annotations?: Record<string, string> }).annotations?.['jobforge.dev/cronjob'];

  type Container = { name: string; env?: { name: string; value?: string }[] };
  const containerEnv = (job: LiveJob): Record<string, string | undefined> => {
    const spec = job.spec as { template: { spec: { containers: Container[] } } };
    return Object.fromEntries((spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e.value]));
  };

  test('jobforge controller on-demand-jobs (the CLI): a trivy job with imagesToScan and a polaris job → two Jobs from the CronJobs named after them, options as env → both reported completed; /healthz, /metrics, SIGTERM', async () => {
    const ns = 'od-two';
    const kubeconfig = await deployRunner(ns, [{ type: 'trivy' }, { type: 'polaris' }, { type: 'nova' }]);
    insights.onDemandJobs.push(
      { id: 101, reportType: 'trivy', options: { imagesToScan: 'nginx:1.27,quay.io/acme/api:2.0' } },
      { id: 102, reportType: 'polaris', options: { jobId: '102' } },
    );
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('ts-node/register/transpile-only'),
        path.join(REPO, 'bin/jobforge.ts'),
        'controller',
        'on-demand-jobs',
      ],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          TS_NODE_SKIP_PROJECT: 'true',
          TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","esModuleInterop":true}',
          ...runnerEnv(ns, kubeconfig, { LISTEN_ADDRESS: `127.0.0.1:${port}` }),
        },
      },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      expect(await statusesFor(2)).toEqual([
        { id: 101, status: 'completed' },
        { id: 102, status: 'completed' },
      ]);
      const jobs = await onDemandJobs(ns);
      expect(jobs.map((j) => j.metadata.name).sort()).toEqual([
        expect.stringMatching(/^polaris-102-[0-9a-f]{8}$/),
        expect.stringMatching(/^trivy-101-[0-9a-f]{8}$/),
      ]);
      const byType = Object.fromEntries(jobs.map((j) => [cronJobOf(j), j]));
      expect(Object.keys(byType).sort()).toEqual(['polaris', 'trivy']);
      for (const j of jobs) expect(trueCondition(j, 'Complete')).toBeDefined();
      expect(containerEnv(byType.trivy)).toMatchObject({
        REPORT: 'trivy',
        IMAGES_TO_SCAN: 'nginx:1.27,quay.io/acme/api:2.0',
      });
      expect(containerEnv(byType.polaris)).toMatchObject({
        REPORT: 'polaris',
        JOB_ID: '102',
        IMAGES_TO_SCAN: 'from-the-cronjob',
      });
      expect(byType.trivy.spec).toMatchObject({ ttlSecondsAfterFinished: 600, activeDeadlineSeconds: 1200 });
      expect(byType.polaris.spec).toMatchObject({ activeDeadlineSeconds: 300 });
      expect(insights.requests.filter((r) => r.method === 'POST')[0]).toEqual({
        method: 'POST',
        url: '/v0/organizations/acme/clusters/prod/reports/on-demand-jobs/claim?limit=10',
        authorization: `Bearer ${TOKEN}`,
      });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('jobforge_on_demand_jobs_total{report_type="trivy",outcome="completed"} 1');
      expect(metrics).toContain('jobforge_on_demand_jobs_total{report_type="polaris",outcome="completed"} 1');
      expect(metrics).toMatch(/jobforge_on_demand_claims_total\{result="ok"\} \d+/);
      expect(metrics).toContain(
        'jobforge_on_demand_job_duration_seconds_count{report_type="trivy",outcome="completed"} 1',
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stderr.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(
      expect.arrayContaining([
        'on-demand job runner started',
        'created Job from CronJob',
        'on-demand job completed',
        'on-demand job runner stopped',
      ]),
    );
    expect(stderr).not.toContain(TOKEN);
    expect(stdout).toBe('');
  });

  test('a Job that fails, a Job outliving its timeout and an unknown report type → each reported failed', async () => {
    const ns = 'od-fail';
    const kubeconfig = await deployRunner(ns, [
      { type: 'nova', labels: { [FAIL_EXIT_CODE_LABEL]: '3' }, backoffLimit: 0 },
      { type: 'pluto', labels: { [COMPLETE_DELAY_LABEL]: '120s' } },
    ]);
    insights.onDemandJobs.push(
      { id: 201, reportType: 'nova' },
      { id: 202, reportType: 'pluto' },
      { id: 203, reportType: 'made-up' },
    );
    const r = await startRunner(ns, kubeconfig, { JOB_TIMEOUTS: 'pluto=4s' });
    try {
      expect(await statusesFor(3)).toEqual([
        { id: 201, status: 'failed' },
        { id: 202, status: 'failed' },
        { id: 203, status: 'failed' },
      ]);
    } finally {
      await r.controller.stop();
    }
    const jobs = await onDemandJobs(ns);
    expect(jobs.map((j) => cronJobOf(j)).sort()).toEqual(['nova', 'pluto']);
    const nova = jobs.find((j) => String(j.metadata.name).startsWith('nova-201-'))!;
    expect(trueCondition(nova, 'Failed')).toBeDefined();
    const pluto = jobs.find((j) => String(j.metadata.name).startsWith('pluto-202-'))!;
    expect(trueCondition(pluto, 'Complete')).toBeUndefined();
    expect(pluto.spec).toMatchObject({ activeDeadlineSeconds: 4 });
    const failed = r.logs.filter((l) => l.msg === 'on-demand job failed');
    expect(Object.fromEntries(failed.map((l) => [l.jobId, l.reason]))).toEqual({
      201: 'BackoffLimitExceeded',
      202: 'timeout: not finished within 4 s',
      203: 'unknown report type "made-up"',
    });
  });

  test('the concurrency limit is never exceeded: 5 jobs, MAX_CONCURRENT_JOBS=2', async () => {
    const ns = 'od-limit';
    const kubeconfig = await deployRunner(ns, [
      { type: 'polaris', labels: { [COMPLETE_DELAY_LABEL]: '2s' } },
    ]);
    for (let id = 301; id <= 305; id++) insights.onDemandJobs.push({ id, reportType: 'polaris' });
    const r = await startRunner(ns, kubeconfig, { MAX_CONCURRENT_JOBS: '2' });
    let maxUnfinished = 0;
    try {
      await waitFor(
        'all 5 jobs reported',
        async () => {
          const jobs = await onDemandJobs(ns);
          const unfinished = jobs.filter((j) => !trueCondition(j, 'Complete') && !trueCondition(j, 'Failed'));
          maxUnfinished = Math.max(maxUnfinished, unfinished.length);
          return insights.statusUpdates.length >= 5 ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 100, onTimeout: () => live.logTails() },
      );
    } finally {
      await r.controller.stop();
    }
    expect(insights.statusUpdates.map((s) => s.status)).toEqual(Array(5).fill('completed'));
    expect(maxUnfinished).toBeLessThanOrEqual(2);
    expect(r.controller.runner.peakRunning).toBe(2);
    const limits = insights.requests
      .filter((q) => q.method === 'POST')
      .map((q) => Number(/limit=(\d+)/.exec(q.url)![1]));
    expect(Math.max(...limits)).toBe(2);
    expect(limits.every((l) => l >= 1 && l <= 2)).toBe(true);
    expect(await onDemandJobs(ns)).toHaveLength(5);
  });

  test('a claim that returns nothing creates nothing', async () => {
    const ns = 'od-empty';
    const kubeconfig = await deployRunner(ns, [{ type: 'polaris' }]);
    const r = await startRunner(ns, kubeconfig);
    try {
      await waitFor(
        '3 claims',
        async () => (insights.requests.filter((q) => q.method === 'POST').length >= 3 ? true : undefined),
        { timeoutMs: 30_000 },
      );
    } finally {
      await r.controller.stop();
    }
    expect(await onDemandJobs(ns)).toEqual([]);
    expect(insights.statusUpdates).toEqual([]);
    expect(insights.requests.every((q) => q.method === 'POST')).toBe(true);
    // The runner's ServiceAccount can do no more than its Role says.
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: {} };
    expect((await kubeRequest(kubeconfig, 'GET', `/api/v1/namespaces/${ns}/secrets`)).status).toBe(403);
    expect((await kubeRequest(kubeconfig, 'GET', `/apis/batch/v1/namespaces/${ns}/cronjobs`)).status).toBe(
      403,
    );
    expect(
      (await kubeRequest(kubeconfig, 'POST', '/apis/batch/v1/namespaces/default/jobs', job)).status,
    ).toBe(403);
    expect((await kubeRequest(kubeconfig, 'DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/x`)).status).toBe(
      403,
    );
    expect((await kubeRequest(kubeconfig, 'GET', '/apis/kyverno.io/v1/clusterpolicies')).status).toBe(403);
    expect(r.logs.filter((l) => l.msg === 'no on-demand jobs to process').length).toBeGreaterThanOrEqual(3);
  });

  test.each([
    ['401 (a wrong token)', 'wrong-token-5678', 'Insights API refused the token (HTTP 401'],
    ['5xx', TOKEN, 'Insights API answered HTTP 503'],
  ])(
    'Insights answering %s → no Job created, the error logged without the token',
    async (_what, token, message) => {
      const ns = token === TOKEN ? 'od-5xx' : 'od-401';
      const kubeconfig = await deployRunner(ns, [{ type: 'polaris' }]);
      insights.onDemandJobs.push({ id: 401, reportType: 'polaris' });
      if (token === TOKEN)
        for (let i = 0; i < 50; i++) insights.answers.push({ status: 503, body: `down, ${TOKEN}` });
      const r = await startRunner(ns, kubeconfig, { FAIRWINDS_TOKEN: token });
      try {
        await waitFor(
          'two failed claims',
          async () =>
            r.logs.filter((l) => l.msg === 'failed to claim on-demand jobs').length >= 2 ? true : undefined,
          { timeoutMs: 30_000 },
        );
      } finally {
        await r.controller.stop();
      }
      expect(await onDemandJobs(ns)).toEqual([]);
      expect(insights.statusUpdates).toEqual([]);
      expect(insights.onDemandJobs).toHaveLength(1);
      const errors = r.logs.filter((l) => l.msg === 'failed to claim on-demand jobs');
      expect(errors[0].level).toBe('error');
      expect(String(errors[0].error)).toContain(message);
      expect(r.text()).not.toContain(token);
      if (token === TOKEN) expect(String(errors[0].error)).toContain('[REDACTED]');
    },
  );

  test('a kyverno-policy-sync job runs the policy sync in process: the expected policies applied, reported completed', async () => {
    const ns = 'od-sync';
    const kubeconfig = await deployRunner(ns, [], 'in-process');
    insights.policies = yamlStream([policyYaml('od-a'), policyYaml('od-b', { namespace: 'default' })]);
    insights.onDemandJobs.push({ id: 601, reportType: 'kyverno-policy-sync' });
    const r = await startRunner(ns, kubeconfig, { KYVERNO_CLI: path.join(e2eEnv().binDir, 'kyverno') });
    try {
      const statuses = await statusesFor(1);
      if (statuses[0].status !== 'completed') throw new Error(`policy sync failed:\n${r.text()}`);
      expect(statuses).toEqual([{ id: 601, status: 'completed' }]);
    } finally {
      await r.controller.stop();
    }
    const policies = await clusterPolicies(live.kubeconfig);
    expect([...policies.keys()].sort()).toEqual(['ClusterPolicy/od-a', 'Policy/default/od-b']);
    expect(await onDemandJobs(ns)).toEqual([]);
    expect(insights.requests.map((q) => `${q.method} ${q.url}`)).toContain(
      'GET /v0/organizations/acme/clusters/prod/kyverno-policies/with-app-groups-applied/yaml',
    );
    const summary = r.logs.find((l) => l.msg === 'policy sync summary');
    expect(summary).toMatchObject({
      jobId: 601,
      summary: { success: true, applied: ['od-a', 'default/od-b'] },
    });
    expect(r.text()).not.toContain(TOKEN);
  });
});
