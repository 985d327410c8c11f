import { Command } from 'commander';
import { validateDnsLabel, validateDnsSubdomain } from '../../core/dns-name';
import { daemonJobPrometheus } from '../../core/daemon-job/controller-metrics';
import { DaemonJobController } from '../../core/io/daemon-job-controller';
import { LeaderElector } from '../../core/io/leader-election';
import { ProbeServer, startProbeServer } from '../../core/io/probe-server';
import { loadKubeConfig } from '../../core/io/kube';
import { SyncLogger, jsonLineLogger, parseLogLevel } from '../../core/policy-sync/sync-logger';
import { leaseDurationMs, logLevelOption, serviceAccountNamespace } from './cli-settings';
import { untilTerminated } from './until-terminated';

/** Flags of `jobforge controller daemonjob`; each falls back to its environment variable. */
export interface DaemonJobControllerFlags {
  kubeconfig?: string;
  namespace?: string;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDuration?: string;
  listen?: string;
  logLevel?: string;
}

type Env = Record<string, string | undefined>;

/** Defaults of `jobforge controller daemonjob`. */
export const DAEMON_JOB_CONTROLLER_DEFAULTS = {
  leaseName: 'jobforge-daemonjob-controller',
  leaseDuration: '15s',
  listen: ':8080',
} as const;

/** The settings the controller runs with, checked. */
export interface DaemonJobControllerSettings {
  readonly kubeconfig?: string;
  /** undefined: every namespace. */
  readonly namespace?: string;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly listen: string;
}

/** Reads and checks the settings from flags and environment. Throws naming the bad setting. */
export function daemonJobControllerSettings(
  flags: DaemonJobControllerFlags,
  env: Env = process.env,
): DaemonJobControllerSettings {
  const D = DAEMON_JOB_CONTROLLER_DEFAULTS;
  const namespace = (flags.namespace ?? env.WATCH_NAMESPACE ?? '').trim() || undefined;
  if (namespace !== undefined) validateDnsLabel('WATCH_NAMESPACE', namespace);
  let leaseNamespace = (flags.leaseNamespace ?? env.LEASE_NAMESPACE ?? env.POD_NAMESPACE ?? '').trim();
  if (!leaseNamespace) leaseNamespace = serviceAccountNamespace() ?? '';
  if (!leaseNamespace) {
    throw new Error(`'LEASE_NAMESPACE' (or --lease-namespace, POD_NAMESPACE) is required, got ""`);
  }
  validateDnsLabel('LEASE_NAMESPACE', leaseNamespace);
  const leaseName = (flags.leaseName ?? env.LEASE_NAME ?? D.leaseName).trim();
  validateDnsSubdomain('LEASE_NAME', leaseName);
  const leaseDuration = flags.leaseDuration ?? env.LEASE_DURATION ?? D.leaseDuration;
  return {
    kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
    namespace,
    leaseNamespace,
    leaseName,
    leaseDurationMs: leaseDurationMs(leaseDuration, 'LEASE_DURATION'),
    listen: flags.listen ?? env.LISTEN_ADDRESS ?? D.listen,
  };
}

/** A running DaemonJob controller process (one replica). */
export interface RunningDaemonJobController {
  readonly probes: ProbeServer;
  /** True while this replica leads. */
  leading(): boolean;
  /** The controller while leading (for tests). */
  controller(): DaemonJobController | undefined;
  /** Resolves when this replica lost the Lease (the CLI exits then, as client-go controllers do). */
  readonly lost: Promise<void>;
  /** Graceful shutdown: stop reconciling, hand the Lease over, close the probe server. */
  stop(): Promise<void>;
}

/**
 * Starts one replica of the DaemonJob controller: serves `/healthz`, `/readyz`, `/metrics`,
 * campaigns for the Lease, and while it leads runs a {@link DaemonJobController}.
 */
export async function startDaemonJobController(
  flags: DaemonJobControllerFlags,
  env: Env = process.env,
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<RunningDaemonJobController> {
  const logger: SyncLogger = jsonLineLogger(parseLogLevel(flags.logLevel ?? env.LOG_LEVEL), err);
  const s = daemonJobControllerSettings(flags, env);
  const kubeConfig = loadKubeConfig(s.kubeconfig);
  const prom = daemonJobPrometheus();
  let current: DaemonJobController | undefined;
  let stopping = false;
  let markLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const elector = new LeaderElector({
    kubeConfig,
    namespace: s.leaseNamespace,
    name: s.leaseName,
    leaseDurationMs: s.leaseDurationMs,
    logger,
    onStartedLeading: async () => {
      prom.metrics.leader(true);
      current = new DaemonJobController({
        kubeConfig,
        namespace: s.namespace,
        logger,
        metrics: prom.metrics,
      });
      await current.start();
    },
    onStoppedLeading: async () => {
      prom.metrics.leader(false);
      const c = current;
      current = undefined;
      await c?.stop();
      markLost();
    },
  });
  const probes = await startProbeServer({
    listen: s.listen,
    healthy: () => !stopping,
    // A standby is ready (it is up and campaigning); the leader once its informers listed.
    ready: () => !stopping && (!elector.leading || current?.ready === true),
    metrics: async () => ({ contentType: prom.registry.contentType, body: await prom.registry.metrics() }),
  });
  logger.log('info', 'DaemonJob controller started', {
    namespace: s.namespace ?? '(all)',
    lease: `${s.leaseNamespace}/${s.leaseName}`,
    leaseDurationMs: s.leaseDurationMs,
    probes: probes.url,
  });
  elector.start();
  let stopped: Promise<void> | undefined;
  return {
    probes,
    leading: () => elector.leading,
    controller: () => current,
    lost,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        logger.log('info', 'DaemonJob controller stopping');
        const c = current;
        current = undefined;
        await c?.stop();
        await elector.stop();
        await probes.close();
        logger.log('info', 'DaemonJob controller stopped');
      })()),
  };
}

/** Registers `jobforge controller daemonjob`. */
export function registerDaemonJobController(controller: Command): void {
  controller
    .command('daemonjob')
    .description(
      'The DaemonJob controller: keeps one Job per matching node for every jobforge.io/v1alpha1 DaemonJob, ' +
        'following nodes as they join and leave; leader election on a Lease.',
    )
    .option('--kubeconfig <path>', 'kubeconfig (env KUBECONFIG; default ~/.kube/config or in-cluster)')
    .option(
      '--namespace <ns>',
      'follow the DaemonJobs of this namespace only (env WATCH_NAMESPACE; default all)',
    )
    .option(
      '--lease-namespace <ns>',
      'namespace of the leader Lease (env LEASE_NAMESPACE; default the pod namespace)',
    )
    .option(
      '--lease-name <name>',
      `leader Lease (env LEASE_NAME, default ${DAEMON_JOB_CONTROLLER_DEFAULTS.leaseName})`,
    )
    .option(
      '--lease-duration <duration>',
      `a leader not renewing for this long is replaced (env LEASE_DURATION, default ${DAEMON_JOB_CONTROLLER_DEFAULTS.leaseDuration})`,
    )
    .option('--listen <[host]:port>', '/healthz, /readyz and /metrics (env LISTEN_ADDRESS, default :8080)')
    .addOption(logLevelOption())
    .action(async (flags: DaemonJobControllerFlags) => {
      const running = await startDaemonJobController(flags);
      // Terminated: exit 0 once stopped; the Lease lost: stop and exit 1 to restart clean.
      const code = await Promise.race([untilTerminated().then(() => 0), running.lost.then(() => 1)]);
      await running.stop();
      process.exit(code);
    });
}
