import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';
import { OnDemandJob } from './on-demand-job';
import { POLICY_SYNC_REPORT_TYPE, ReportTypeRun, reportTypeRun } from './report-types';

/** How one run ended. */
export interface RunResult {
  readonly outcome: 'completed' | 'failed';
  /** Why it failed (a Job condition's reason, `timeout`, an error message). */
  readonly reason?: string;
  /** The Job made for the run, if one was made. */
  readonly jobName?: string;
}

/**
 * The runner's I/O: Insights (claim, report) and Kubernetes (a Job from a CronJob), plus the
 * in-process policy sync. Each run gets a signal aborted at its timeout or at shutdown; a port
 * should stop waiting then.
 */
export interface OnDemandRunnerPorts {
  /** Claims at most `limit` jobs. */
  claim(limit: number): Promise<OnDemandJob[]>;
  /** Reports a job's end. */
  report(id: number, status: 'completed' | 'failed'): Promise<void>;
  /** Creates the Job from the report type's CronJob and waits for it to end. */
  runFromCronJob(job: OnDemandJob, run: ReportTypeRun, signal: AbortSignal): Promise<RunResult>;
  /**
   * Runs the Kyverno policy sync in process for a `kyverno-policy-sync` job.
   * @default - the type runs from its CronJob like the others
   */
  runPolicySync?(job: OnDemandJob, signal: AbortSignal): Promise<RunResult>;
}

/** What the runner counts (prom-client metrics in the CLI). */
export interface OnDemandRunnerMetrics {
  claim(result: 'ok' | 'error', jobs: number): void;
  running(count: number): void;
  jobFinished(reportType: string, outcome: 'completed' | 'failed', seconds: number): void;
  statusReported(status: 'completed' | 'failed', result: 'ok' | 'error'): void;
}

/** Options of {@link OnDemandRunner}. */
export interface OnDemandRunnerOptions {
  /** Never more than this many runs at once; a claim asks for the free slots only. */
  readonly maxConcurrentJobs: number;
  /** Per-type timeouts replacing the defaults (`*` for every type), in milliseconds. @default {} */
  readonly timeoutOverridesMs?: Readonly<Record<string, number>>;
  /** @default - no logging */
  readonly logger?: SyncLogger;
  /** @default - none */
  readonly metrics?: OnDemandRunnerMetrics;
  /** Removes secrets from error texts before they are logged. @default - unchanged */
  readonly redact?: (text: string) => string;
  /** @default Date.now */
  readonly now?: () => number;
}

const NO_METRICS: OnDemandRunnerMetrics = {
  claim() {},
  running() {},
  jobFinished() {},
  statusReported() {},
};

/**
 * The on-demand job runner: each {@link poll} claims as many jobs as there are free slots and
 * starts them; each run makes a Job from the CronJob named after its report type (or runs the
 * policy sync), waits for its end within the type's timeout, and reports `completed` or
 * `failed`. An unknown report type, a missing CronJob, a failed Job and a timeout are all
 * `failed`. A claim that fails starts nothing.
 */
export class OnDemandRunner {
  private readonly active = new Map<
    number,
    { job: OnDemandJob; abort: AbortController; done: Promise<void> }
  >();
  private readonly queue: OnDemandJob[] = [];
  private readonly logger: SyncLogger;
  private readonly metrics: OnDemandRunnerMetrics;
  private readonly redact: (text: string) => string;
  private readonly now: () => number;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private currentPoll: Promise<unknown> | undefined;
  private peak = 0;

  public constructor(
    private readonly ports: OnDemandRunnerPorts,
    private readonly options: OnDemandRunnerOptions,
  ) {
    const max = options.maxConcurrentJobs;
    if (!Number.isInteger(max) || max < 1) {
      throw new Error(`'maxConcurrentJobs' must be a positive integer, got ${JSON.stringify(max)}`);
    }
    this.logger = options.logger ?? SILENT_LOGGER;
    this.metrics = options.metrics ?? NO_METRICS;
    this.redact = options.redact ?? ((t) => t);
    this.now = options.now ?? Date.now;
  }

  /** Runs in progress. */
  public get runningCount(): number {
    return this.active.size;
  }

  /** The most runs ever in progress at once. */
  public get peakRunning(): number {
    return this.peak;
  }

  /** True once {@link stop} was called. */
  public get stopped(): boolean {
    return this.stopping;
  }

  /**
   * Claims jobs for the free slots (none when every slot is busy) and starts them. Returns how
   * many were claimed; a failed claim is logged and returns 0.
   */
  public async poll(): Promise<number> {
    if (this.stopping) return 0;
    const free = this.options.maxConcurrentJobs - this.active.size - this.queue.length;
    if (free <= 0) {
      this.logger.log('debug', 'every slot is busy, not claiming', { running: this.active.size });
      return 0;
    }
    let jobs: OnDemandJob[];
    try {
      jobs = await this.ports.claim(free);
    } catch (err) {
      this.metrics.claim('error', 0);
      this.logger.log('error', 'failed to claim on-demand jobs', { error: this.errorText(err) });
      return 0;
    }
    this.metrics.claim('ok', jobs.length);
    if (jobs.length === 0) {
      this.logger.log('debug', 'no on-demand jobs to process');
      return 0;
    }
    this.logger.log('info', 'claimed on-demand jobs', {
      count: jobs.length,
      jobs: jobs.map((j) => ({ id: j.id, reportType: j.reportType })),
    });
    this.queue.push(...jobs);
    this.pump();
    return jobs.length;
  }

  /** Polls now and then every `intervalMs` until {@link stop}. */
  public start(intervalMs: number): void {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) {
      throw new Error(`'pollInterval' must be a positive number of milliseconds, got ${intervalMs}`);
    }
    const loop = (): void => {
      if (this.stopping) return;
      this.currentPoll = this.poll().finally(() => {
        this.currentPoll = undefined;
        if (!this.stopping) this.timer = setTimeout(loop, intervalMs);
      });
    };
    loop();
  }

  /** Resolves once no run is in progress or queued. */
  public async idle(): Promise<void> {
    while (this.active.size > 0 || this.queue.length > 0) {
      await Promise.all([...this.active.values()].map((a) => a.done));
    }
  }

  /**
   * Graceful shutdown: claims nothing more, waits up to `graceMs` for the runs in progress, then
   * aborts the rest, which are reported `failed` (reason `shutdown`).
   */
  public async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.currentPoll;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const ended = await Promise.race([this.idle().then(() => 'idle' as const), grace]);
    clearTimeout(timer);
    if (ended === 'timeout') {
      this.logger.log('warn', 'shutting down: runs still in progress are reported failed', {
        running: [...this.active.values()].map((a) => a.job.id),
      });
      for (const a of this.active.values()) a.abort.abort(new Error('shutdown'));
      await this.idle();
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.active.size < this.options.maxConcurrentJobs) {
      const job = this.queue.shift()!;
      const abort = new AbortController();
      const entry = { job, abort, done: Promise.resolve() };
      entry.done = this.runOne(job, abort).finally(() => {
        this.active.delete(job.id);
        this.metrics.running(this.active.size);
        this.pump();
      });
      this.active.set(job.id, entry);
      this.peak = Math.max(this.peak, this.active.size);
      this.metrics.running(this.active.size);
    }
  }

  private async runOne(job: OnDemandJob, abort: AbortController): Promise<void> {
    const started = this.now();
    const fields = { jobId: job.id, reportType: job.reportType };
    const run = reportTypeRun(job.reportType, this.options.timeoutOverridesMs);
    let result: RunResult;
    if (run === undefined) {
      result = { outcome: 'failed', reason: `unknown report type ${JSON.stringify(job.reportType)}` };
    } else {
      const timer = setTimeout(() => abort.abort(new Error('timeout')), run.timeoutMs);
      const aborted = new Promise<RunResult>((resolve) => {
        const onAbort = (): void =>
          resolve({
            outcome: 'failed',
            reason:
              (abort.signal.reason as Error)?.message === 'shutdown'
                ? 'shutdown'
                : `timeout: not finished within ${run.timeoutMs / 1000} s`,
          });
        if (abort.signal.aborted) onAbort();
        else abort.signal.addEventListener('abort', onAbort, { once: true });
      });
      this.logger.log('info', 'starting on-demand job', { ...fields, timeoutSeconds: run.timeoutMs / 1000 });
      const work =
        job.reportType === POLICY_SYNC_REPORT_TYPE && this.ports.runPolicySync
          ? this.ports.runPolicySync(job, abort.signal)
          : this.ports.runFromCronJob(job, run, abort.signal);
      try {
        result = await Promise.race([work, aborted]);
      } catch (err) {
        result = { outcome: 'failed', reason: this.errorText(err) };
      } finally {
        clearTimeout(timer);
        if (!abort.signal.aborted) abort.abort(new Error('done'));
      }
      work.catch(() => undefined);
    }
    const seconds = (this.now() - started) / 1000;
    this.metrics.jobFinished(job.reportType, result.outcome, seconds);
    this.logger.log(result.outcome === 'completed' ? 'info' : 'error', `on-demand job ${result.outcome}`, {
      ...fields,
      ...(result.jobName ? { jobName: result.jobName } : {}),
      ...(result.reason ? { reason: this.redact(result.reason) } : {}),
      durationSeconds: seconds,
    });
    try {
      await this.ports.report(job.id, result.outcome);
      this.metrics.statusReported(result.outcome, 'ok');
      this.logger.log('info', `reported on-demand job ${result.outcome}`, fields);
    } catch (err) {
      this.metrics.statusReported(result.outcome, 'error');
      this.logger.log('error', `failed to report on-demand job ${result.outcome}`, {
        ...fields,
        error: this.errorText(err),
      });
    }
  }

  private errorText(err: unknown): string {
    return this.redact(err instanceof Error ? err.message : String(err));
  }
}
