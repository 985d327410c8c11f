import { OnDemandJob } from '../../../../core/on-demand/on-demand-job';
import { OnDemandRunner, OnDemandRunnerPorts, RunResult } from '../../../../core/on-demand/on-demand-runner';
import { ReportTypeRun } from '../../../../core/on-demand/report-types';
import { LogLevel } from '../../../../core/policy-sync/sync-logger';

const job = (id: number, reportType: string, options: Record<string, string> = {}): OnDemandJob => ({
  id,
  reportType,
  status: 'pending',
  options,
});

/** A fake cluster and Insights: runs end when the test says so. */
function fakes(claims: (OnDemandJob[] | Error)[]) {
  const calls: string[] = [];
  const reports: [number, string][] = [];
  const started: { job: OnDemandJob; run: ReportTypeRun; signal: AbortSignal; end(r: RunResult): void }[] =
    [];
  const logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[] = [];
  let running = 0;
  let peak = 0;
  const ports: OnDemandRunnerPorts = {
    async claim(limit) {
      calls.push(`claim ${limit}`);
      const next = claims.shift() ?? [];
      if (next instanceof Error) throw next;
      return next;
    },
    async report(id, status) {
      reports.push([id, status]);
    },
    runFromCronJob(j, run, signal) {
      running += 1;
      peak = Math.max(peak, running);
      return new Promise<RunResult>((resolve) => {
        started.push({
          job: j,
          run,
          signal,
          end: (r) => {
            running -= 1;
            resolve(r);
          },
        });
        signal.addEventListener('abort', () => {
          running -= 1;
          resolve({ outcome: 'failed', reason: 'aborted' });
        });
      });
    },
  };
  const logger = {
    log: (level: LogLevel, msg: string, fields?: Record<string, unknown>) =>
      logs.push({ level, msg, fields }),
  };
  return { ports, calls, reports, started, logs, logger, peak: () => peak };
}

const tick = () => new Promise((r) => setImmediate(r));

test('two jobs: each runs from its type (CronJob name, timeout), both reported as they end', async () => {
  const f = fakes([[job(1, 'trivy', { imagesToScan: 'a' }), job(2, 'polaris')]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 5, logger: f.logger });
  expect(await runner.poll()).toBe(2);
  expect(f.calls).toEqual(['claim 5']);
  await tick();
  expect(f.started.map((s) => [s.job.id, s.run])).toEqual([
    [1, { cronJobName: 'trivy', timeoutMs: 1_200_000 }],
    [2, { cronJobName: 'polaris', timeoutMs: 300_000 }],
  ]);
  f.started[1].end({ outcome: 'completed', jobName: 'polaris-2-x' });
  f.started[0].end({ outcome: 'failed', reason: 'BackoffLimitExceeded', jobName: 'trivy-1-x' });
  await runner.idle();
  expect(f.reports).toEqual([
    [2, 'completed'],
    [1, 'failed'],
  ]);
  expect(f.logs.find((l) => l.msg === 'on-demand job failed')?.fields).toMatchObject({
    jobId: 1,
    reportType: 'trivy',
    jobName: 'trivy-1-x',
    reason: 'BackoffLimitExceeded',
  });
});

test('never more than the limit at once: a claim asks only for the free slots, none when all are busy', async () => {
  const f = fakes([[job(1, 'nova'), job(2, 'nova')], [job(3, 'nova')], [job(4, 'nova')]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 3 });
  await runner.poll();
  await tick();
  await runner.poll();
  await tick();
  expect(await runner.poll()).toBe(0);
  expect(f.calls).toEqual(['claim 3', 'claim 1']);
  f.started[0].end({ outcome: 'completed' });
  await tick();
  await runner.poll();
  expect(f.calls).toEqual(['claim 3', 'claim 1', 'claim 1']);
  await tick();
  f.started.slice(1).forEach((s) => s.end({ outcome: 'completed' }));
  await runner.idle();
  expect(f.peak()).toBe(3);
  expect(runner.peakRunning).toBe(3);
  expect(f.reports.map((r) => r[0]).sort()).toEqual([1, 2, 3, 4]);
});

test('a claim answering more jobs than asked: the extra ones wait for a slot', async () => {
  const f = fakes([[job(1, 'nova'), job(2, 'nova'), job(3, 'nova')]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 2 });
  await runner.poll();
  await tick();
  expect(f.started.map((s) => s.job.id)).toEqual([1, 2]);
  f.started[0].end({ outcome: 'completed' });
  await tick();
  await tick();
  expect(f.started.map((s) => s.job.id)).toEqual([1, 2, 3]);
  f.started[1].end({ outcome: 'completed' });
  f.started[2].end({ outcome: 'completed' });
  await runner.idle();
  expect(f.peak()).toBe(2);
});

test('an empty claim starts nothing and reports nothing', async () => {
  const f = fakes([[]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 2 });
  expect(await runner.poll()).toBe(0);
  expect(f.started).toEqual([]);
  expect(f.reports).toEqual([]);
});

test('a failed claim starts nothing; the error is logged, redacted', async () => {
  const f = fakes([new Error('HTTP 401 for token s3cret')]);
  const runner = new OnDemandRunner(f.ports, {
    maxConcurrentJobs: 2,
    logger: f.logger,
    redact: (t) => t.split('s3cret').join('[REDACTED]'),
  });
  expect(await runner.poll()).toBe(0);
  expect(f.started).toEqual([]);
  expect(f.logs).toEqual([
    {
      level: 'error',
      msg: 'failed to claim on-demand jobs',
      fields: { error: 'HTTP 401 for token [REDACTED]' },
    },
  ]);
});

test('an unknown report type is reported failed without running anything', async () => {
  const f = fakes([[job(9, 'made-up')]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 2, logger: f.logger });
  await runner.poll();
  await runner.idle();
  expect(f.started).toEqual([]);
  expect(f.reports).toEqual([[9, 'failed']]);
  expect(f.logs.find((l) => l.msg === 'on-demand job failed')?.fields?.reason).toBe(
    'unknown report type "made-up"',
  );
});

test('a run outliving its timeout is aborted and reported failed', async () => {
  const f = fakes([[job(5, 'polaris')]]);
  const runner = new OnDemandRunner(f.ports, {
    maxConcurrentJobs: 1,
    timeoutOverridesMs: { polaris: 30 },
    logger: f.logger,
  });
  await runner.poll();
  await runner.idle();
  expect(f.started[0].signal.aborted).toBe(true);
  expect(f.reports).toEqual([[5, 'failed']]);
  expect(f.logs.find((l) => l.msg === 'on-demand job failed')?.fields?.reason).toBe(
    'timeout: not finished within 0.03 s',
  );
});

test('a port that throws: reported failed', async () => {
  const f = fakes([[job(6, 'nova')]]);
  f.ports.runFromCronJob = async () => {
    throw new Error('boom');
  };
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 1 });
  await runner.poll();
  await runner.idle();
  expect(f.reports).toEqual([[6, 'failed']]);
});

test('kyverno-policy-sync runs the policy sync port when there is one, else from its CronJob', async () => {
  const f = fakes([[job(7, 'kyverno-policy-sync', { dryRun: 'true' })], [job(8, 'kyverno-policy-sync')]]);
  const synced: OnDemandJob[] = [];
  const runner = new OnDemandRunner(
    { ...f.ports, runPolicySync: async (j) => (synced.push(j), { outcome: 'completed' }) },
    { maxConcurrentJobs: 1 },
  );
  await runner.poll();
  await runner.idle();
  expect(synced.map((j) => j.id)).toEqual([7]);
  expect(f.started).toEqual([]);
  expect(f.reports).toEqual([[7, 'completed']]);

  const plain = new OnDemandRunner(f.ports, { maxConcurrentJobs: 1 });
  await plain.poll();
  await tick();
  expect(f.started.map((s) => [s.job.id, s.run])).toEqual([
    [8, { cronJobName: 'kyverno-policy-sync', timeoutMs: 600_000, backoffLimit: 0 }],
  ]);
  f.started[0].end({ outcome: 'completed' });
  await plain.idle();
});

test('a failed status report is logged and counted, the runner goes on', async () => {
  const f = fakes([[job(1, 'nova')]]);
  const counted: string[] = [];
  f.ports.report = async () => {
    throw new Error('HTTP 503');
  };
  const runner = new OnDemandRunner(f.ports, {
    maxConcurrentJobs: 1,
    logger: f.logger,
    metrics: {
      claim: (r, n) => counted.push(`claim ${r} ${n}`),
      running: (n) => counted.push(`running ${n}`),
      jobFinished: (t, o) => counted.push(`job ${t} ${o}`),
      statusReported: (s, r) => counted.push(`report ${s} ${r}`),
    },
  });
  await runner.poll();
  await tick();
  f.started[0].end({ outcome: 'completed' });
  await runner.idle();
  expect(counted).toEqual([
    'claim ok 1',
    'running 1',
    'job nova completed',
    'report completed error',
    'running 0',
  ]);
  expect(
    f.logs.some(
      (l) => l.msg === 'failed to report on-demand job completed' && l.fields?.error === 'HTTP 503',
    ),
  ).toBe(true);
});

test('stop: no more claims; runs still going after the grace are aborted and reported failed (shutdown)', async () => {
  const f = fakes([[job(1, 'nova'), job(2, 'nova')]]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 2, logger: f.logger });
  await runner.poll();
  await tick();
  f.started[0].end({ outcome: 'completed' });
  await runner.stop(20);
  expect(runner.stopped).toBe(true);
  expect(await runner.poll()).toBe(0);
  expect(f.calls).toEqual(['claim 2']);
  expect(f.reports).toEqual([
    [1, 'completed'],
    [2, 'failed'],
  ]);
  expect(f.logs.find((l) => l.msg === 'on-demand job failed')?.fields?.reason).toBe('shutdown');
});

test('start polls at once and then on the interval until stopped', async () => {
  const f = fakes([[], [], []]);
  const runner = new OnDemandRunner(f.ports, { maxConcurrentJobs: 1 });
  runner.start(5);
  while (f.calls.length < 2) await new Promise((r) => setTimeout(r, 5));
  await runner.stop(10);
  const n = f.calls.length;
  await new Promise((r) => setTimeout(r, 20));
  expect(f.calls.length).toBe(n);
});

test.each([0, -1, 1.5, NaN])('maxConcurrentJobs %p is refused', (max) => {
  expect(() => new OnDemandRunner(fakes([]).ports, { maxConcurrentJobs: max })).toThrow(
    `'maxConcurrentJobs' must be a positive integer, got ${JSON.stringify(max)}`,
  );
});
