import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { loadKubeConfig } from '../../core/io/kube';
import { cronJobRunner } from '../../core/io/cron-job-runs';
import { claimOnDemandJobs, insightsClient, updateOnDemandJobStatus } from '../../core/io/insights';
import { ProbeServer, startProbeServer } from '../../core/io/probe-server';
import { OnDemandJob } from '../../core/on-demand/on-demand-job';
import { OnDemandRunner, RunResult } from '../../core/on-demand/on-demand-runner';
import { toEnvVarName } from '../../core/on-demand/options-env';
import { parseReportTimeouts } from '../../core/on-demand/report-types';
import { runnerPrometheus } from '../../core/on-demand/runner-metrics';
import { parseGoDuration } from '../../core/policy-sync/go-duration';
import { SyncLogger, jsonLineLogger, parseLogLevel } from '../../core/policy-sync/sync-logger';
import { POLICY_SYNC_SETTINGS } from '../../core/policy-sync/sync-settings';
import { registerDaemonJobController } from './controller-daemonjob';
import { registerImageResourceControllers } from './controller-image-resource';
import { logLevelOption, required, serviceAccountNamespace } from './cli-settings';
import { runPolicySync } from './policy-sync';
import { untilTerminated } from './until-terminated';

/** Flags of `jobforge controller on-demand-jobs`; each falls back to its environment variable. */
export interface OnDemandJobsFlags {
  host?: string;
  org?: string;
  cluster?: string;
  tokenFile?: string;
  namespace?: string;
  kubeconfig?: string;
  maxConcurrentJobs?: string;
  pollInterval?: string;
  jobPollInterval?: string;
  jobTimeouts?: string;
  listen?: string;
  shutdownGrace?: string;
  requestTimeout?: string;
  retries?: string;
  policySync?: string;
  logLevel?: string;
}

type Env = Record<string, string | undefined>;

/** Where the runner's Insights settings and defaults come from. */
export const ON_DEMAND_RUNNER_DEFAULTS = {
  host: 'https://insights.fairwinds.com',
  maxConcurrentJobs: 10,
  pollInterval: '15s',
  jobPollInterval: '5s',
  listen: ':8080',
  shutdownGrace: '25s',
  requestTimeout: '10s',
  retries: 3,
} as const;

function positiveInt(value: string, name: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new Error(`'${name}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function nonNegativeInt(value: string, name: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new Error(`'${name}' must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function positiveDuration(value: string, name: string): number {
  const ms = parseGoDuration(value, name);
  if (ms < 1) throw new Error(`'${name}' must be a positive duration, got ${JSON.stringify(value)}`);
  return ms;
}

/** The env a `kyverno-policy-sync` job's options may set: the policy sync's own settings. */
const POLICY_SYNC_OPTION_ENV = new Set<string>([
  ...Object.values(POLICY_SYNC_SETTINGS).map((s) => s.env),
  'LOG_LEVEL',
]);

/** The settings the controller runs with, checked. */
export interface OnDemandJobsSettings {
  readonly host: string;
  readonly organization: string;
  readonly cluster: string;
  readonly token: string;
  readonly namespace: string;
  readonly kubeconfig?: string;
  readonly maxConcurrentJobs: number;
  readonly pollIntervalMs: number;
  readonly jobPollIntervalMs: number;
  readonly timeoutOverridesMs: Record<string, number>;
  readonly listen: string;
  readonly shutdownGraceMs: number;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly policySync: 'in-process' | 'cronjob';
}

/** Reads and checks the settings from flags and environment. Throws naming the bad setting (never echoing the token). */
export function onDemandJobsSettings(flags: OnDemandJobsFlags, env: Env = process.env): OnDemandJobsSettings {
  const D = ON_DEMAND_RUNNER_DEFAULTS;
  let token = env.FAIRWINDS_TOKEN;
  const tokenFile = flags.tokenFile ?? env.FAIRWINDS_TOKEN_FILE;
  if (tokenFile) {
    if (!fs.existsSync(tokenFile)) {
      throw new Error(
        `'FAIRWINDS_TOKEN_FILE' (or --token-file) does not exist, got ${JSON.stringify(tokenFile)}`,
      );
    }
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  }
  if (token === undefined || token.trim() === '') {
    throw new Error(
      `'FAIRWINDS_TOKEN' (or FAIRWINDS_TOKEN_FILE, --token-file) is required, got an empty value`,
    );
  }
  const namespace = required(
    (flags.namespace ?? env.NAMESPACE ?? env.POD_NAMESPACE) || serviceAccountNamespace(),
    '--namespace',
    'NAMESPACE',
  );
  const policySync = flags.policySync ?? env.POLICY_SYNC ?? 'in-process';
  if (policySync !== 'in-process' && policySync !== 'cronjob') {
    throw new Error(
      `'POLICY_SYNC' (or --policy-sync) must be in-process or cronjob, got ${JSON.stringify(policySync)}`,
    );
  }
  return {
    host: (flags.host ?? env.FAIRWINDS_INSIGHTS_HOST ?? '').trim() || D.host,
    organization: required(flags.org ?? env.FAIRWINDS_ORG, '--org', 'FAIRWINDS_ORG'),
    cluster: required(flags.cluster ?? env.FAIRWINDS_CLUSTER, '--cluster', 'FAIRWINDS_CLUSTER'),
    token: token.trim(),
    namespace,
    kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
    maxConcurrentJobs: positiveInt(
      flags.maxConcurrentJobs ?? env.MAX_CONCURRENT_JOBS ?? String(D.maxConcurrentJobs),
      'MAX_CONCURRENT_JOBS',
    ),
    pollIntervalMs: positiveDuration(
      flags.pollInterval ?? env.POLL_INTERVAL ?? D.pollInterval,
      'POLL_INTERVAL',
    ),
    jobPollIntervalMs: positiveDuration(
      flags.jobPollInterval ?? env.JOB_POLL_INTERVAL ?? D.jobPollInterval,
      'JOB_POLL_INTERVAL',
    ),
    timeoutOverridesMs: parseReportTimeouts(flags.jobTimeouts ?? env.JOB_TIMEOUTS ?? '', parseGoDuration),
    listen: flags.listen ?? env.LISTEN_ADDRESS ?? D.listen,
    shutdownGraceMs: parseGoDuration(
      flags.shutdownGrace ?? env.SHUTDOWN_GRACE ?? D.shutdownGrace,
      'SHUTDOWN_GRACE',
    ),
    requestTimeoutMs: positiveDuration(
      flags.requestTimeout ?? env.INSIGHTS_TIMEOUT ?? D.requestTimeout,
      'INSIGHTS_TIMEOUT',
    ),
    retries: nonNegativeInt(flags.retries ?? env.INSIGHTS_RETRIES ?? String(D.retries), 'INSIGHTS_RETRIES'),
    policySync,
  };
}

/** A running controller. */
export interface OnDemandJobsController {
  readonly runner: OnDemandRunner;
  readonly probes: ProbeServer;
  /** Graceful shutdown: stop claiming, wait for the runs (up to the grace), close the probe server. */
  stop(): Promise<void>;
}

/**
 * Starts the on-demand job runner: polls Insights for jobs, runs each from its CronJob (the
 * policy sync in process), reports the outcome, serves `/healthz` and `/metrics`.
 */
export async function startOnDemandJobsController(
  flags: OnDemandJobsFlags,
  env: Env = process.env,
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<OnDemandJobsController> {
  const logger: SyncLogger = jsonLineLogger(parseLogLevel(flags.logLevel ?? env.LOG_LEVEL), err);
  const s = onDemandJobsSettings(flags, env);
  const client = insightsClient({
    host: s.host,
    token: s.token,
    organization: s.organization,
    cluster: s.cluster,
    timeoutMs: s.requestTimeoutMs,
    retries: s.retries,
    logger,
  });
  const kubeConfig = loadKubeConfig(s.kubeconfig);
  const fromCronJob = cronJobRunner({
    kubeConfig,
    namespace: s.namespace,
    pollIntervalMs: s.jobPollIntervalMs,
    logger,
  });
  const policySync = async (job: OnDemandJob): Promise<RunResult> => {
    const overlay: Env = {};
    for (const [key, value] of Object.entries(job.options)) {
      const name = toEnvVarName(key);
      if (POLICY_SYNC_OPTION_ENV.has(name)) overlay[name] = value;
      else
        logger.log('warn', 'ignored an option the policy sync has no setting for', {
          jobId: job.id,
          option: key,
        });
    }
    const code = await runPolicySync(
      { kubeconfig: s.kubeconfig },
      {
        ...env,
        FAIRWINDS_INSIGHTS_HOST: s.host,
        FAIRWINDS_ORG: s.organization,
        FAIRWINDS_CLUSTER: s.cluster,
        FAIRWINDS_TOKEN: s.token,
        FAIRWINDS_TOKEN_FILE: undefined,
        LOCK_NAMESPACE: env.LOCK_NAMESPACE ?? s.namespace,
        ...overlay,
      },
      (line) => {
        let summary: unknown = line.trim();
        try {
          summary = JSON.parse(line);
        } catch {
          // keep the text
        }
        logger.log('info', 'policy sync summary', { jobId: job.id, summary });
      },
      err,
    );
    return code === 0
      ? { outcome: 'completed' }
      : { outcome: 'failed', reason: `policy sync exited ${code}` };
  };
  const prom = runnerPrometheus();
  const runner = new OnDemandRunner(
    {
      claim: (limit) => claimOnDemandJobs(client, limit),
      report: (id, status) => updateOnDemandJobStatus(client, id, status),
      runFromCronJob: fromCronJob,
      runPolicySync: s.policySync === 'in-process' ? policySync : undefined,
    },
    {
      maxConcurrentJobs: s.maxConcurrentJobs,
      timeoutOverridesMs: s.timeoutOverridesMs,
      logger,
      metrics: prom.metrics,
      redact: client.redact,
    },
  );
  const probes = await startProbeServer({
    listen: s.listen,
    healthy: () => !runner.stopped,
    metrics: async () => ({ contentType: prom.registry.contentType, body: await prom.registry.metrics() }),
  });
  logger.log('info', 'on-demand job runner started', {
    host: s.host,
    organization: s.organization,
    cluster: s.cluster,
    namespace: s.namespace,
    maxConcurrentJobs: s.maxConcurrentJobs,
    pollIntervalMs: s.pollIntervalMs,
    policySync: s.policySync,
    probes: probes.url,
  });
  runner.start(s.pollIntervalMs);
  let stopping: Promise<void> | undefined;
  return {
    runner,
    probes,
    stop: () =>
      (stopping ??= (async () => {
        logger.log('info', 'on-demand job runner stopping', { running: runner.runningCount });
        await runner.stop(s.shutdownGraceMs);
        await probes.close();
        logger.log('info', 'on-demand job runner stopped');
      })()),
  };
}

/** Registers `jobforge controller on-demand-jobs`. */
export function registerOnDemandJobs(controller: Command): void {
  controller
    .command('on-demand-jobs')
    .description(
      'The Fairwinds Insights on-demand job runner: claim jobs from Insights, run each as a Job made from the ' +
        'CronJob named after its report type (kyverno-policy-sync in process), report completed or failed.',
    )
    .option(
      '--host <url>',
      `Insights base URL (env FAIRWINDS_INSIGHTS_HOST, default ${ON_DEMAND_RUNNER_DEFAULTS.host})`,
    )
    .option('--org <name>', 'Insights organization (env FAIRWINDS_ORG)')
    .option('--cluster <name>', 'Insights cluster (env FAIRWINDS_CLUSTER)')
    .option(
      '--token-file <path>',
      'file holding the Insights token (env FAIRWINDS_TOKEN_FILE; else env FAIRWINDS_TOKEN)',
    )
    .option(
      '--namespace <ns>',
      'namespace of the CronJobs and Jobs (env NAMESPACE; default the pod namespace)',
    )
    .option('--kubeconfig <path>', 'kubeconfig (env KUBECONFIG; default ~/.kube/config or in-cluster)')
    .option('--max-concurrent-jobs <n>', 'never more runs at once (env MAX_CONCURRENT_JOBS, default 10)')
    .option('--poll-interval <duration>', 'how often to claim (env POLL_INTERVAL, default 15s)')
    .option(
      '--job-poll-interval <duration>',
      'how often to read a running Job (env JOB_POLL_INTERVAL, default 5s)',
    )
    .option(
      '--job-timeouts <type=duration,...>',
      'per-type timeouts replacing the defaults, * for all (env JOB_TIMEOUTS; default trivy and image-trust 20m, kyverno-policy-sync 10m, others 5m)',
    )
    .option('--listen <[host]:port>', '/healthz and /metrics (env LISTEN_ADDRESS, default :8080)')
    .option(
      '--shutdown-grace <duration>',
      'on SIGTERM, wait this long for runs before reporting them failed (env SHUTDOWN_GRACE, default 25s)',
    )
    .option('--request-timeout <duration>', 'Insights request timeout (env INSIGHTS_TIMEOUT, default 10s)')
    .option('--retries <n>', 'Insights retries on 5xx/429/timeouts (env INSIGHTS_RETRIES, default 3)')
    .addOption(
      new Option(
        '--policy-sync <mode>',
        'kyverno-policy-sync jobs: in process, or from their CronJob (env POLICY_SYNC, default in-process)',
      ).choices(['in-process', 'cronjob']),
    )
    .addOption(logLevelOption())
    .action(async (flags: OnDemandJobsFlags) => {
      const controller = await startOnDemandJobsController(flags);
      await untilTerminated();
      await controller.stop();
    });
}

/** Registers `jobforge controller` and its subcommands. */
export function registerController(program: Command): void {
  const controller = program.command('controller').description('Long-running controllers of jobforge.');
  registerOnDemandJobs(controller);
  registerDaemonJobController(controller);
  registerImageResourceControllers(controller);
}
