import { Command, Option } from 'commander';
import { parseGoDuration } from '../../core/policy-sync/go-duration';
import { parseLogLevel } from '../../core/policy-sync/sync-logger';
import { controllerLogger, ControllerLogger } from '../../core/io/controller-log';
import { controllerMetrics, ControllerMetrics } from '../../core/io/controller-metrics';
import { ProbeServer, startProbeServer } from '../../core/io/probe-server';
import { LeaderElector } from '../../core/io/leader-election';
import { imageResourceKube, ImageResourceKube } from '../../core/io/image-resource-kube';
import { ImageDetectionManager } from '../../core/io/image-detection-manager';
import { ImageCreationManager } from '../../core/io/image-creation-manager';
import { leaseDurationMs } from './cli-settings';

/**
 * `jobforge controller image-detection` and `jobforge controller image-creation`: the image
 * resource controller's two managers, as a long-running process (the ImageResourceController
 * construct runs them in jobforge's image). Both: leader election on a Lease
 * (`--leader-elect`), `/metrics`, `/healthz`, `/readyz`, JSON logs, graceful shutdown on
 * SIGTERM/SIGINT (work in flight finishes, the Lease is released).
 */

/** Options shared by both managers. */
export interface ManagerCliOptions {
  readonly kubeconfig?: string;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string;
  readonly leaderElectionId: string;
  readonly leaseDuration: string;
  readonly metricsBindAddress: string;
  readonly healthProbeBindAddress: string;
  readonly logLevel: string;
}

/** What a manager is to the runner. */
export interface RunnableManager {
  start(): Promise<void>;
  lead(signal: AbortSignal, guard: () => void): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a manager until SIGTERM/SIGINT (or `signal`); resolves with the exit code. */
export async function runManager(
  name: string,
  opts: ManagerCliOptions,
  build: (kube: ImageResourceKube, metrics: ControllerMetrics, logger: ControllerLogger) => RunnableManager,
  signal?: AbortSignal,
): Promise<number> {
  const logger = controllerLogger(parseLogLevel(opts.logLevel), (line) => process.stdout.write(line));
  const leaseMs = leaseDurationMs(opts.leaseDuration, '--lease-duration');
  const metrics = controllerMetrics(name);
  const kube = imageResourceKube(opts.kubeconfig, {
    component: `jobforge-${name}`,
    count: (verb, resource) => metrics.apiCalls.inc({ api: 'kubernetes', operation: `${verb} ${resource}` }),
  });
  const manager = build(kube, metrics, logger);
  let synced = false;
  let healthy = true;
  const serve = (listen: string, field: string) =>
    startProbeServer({
      listen: parseBindAddress(listen, field),
      healthy: () => healthy,
      ready: () => synced,
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    });
  const servers: ProbeServer[] = [await serve(opts.metricsBindAddress, '--metrics-bind-address')];
  if (opts.healthProbeBindAddress !== opts.metricsBindAddress) {
    try {
      servers.push(await serve(opts.healthProbeBindAddress, '--health-probe-bind-address'));
    } catch (err) {
      await servers[0].close();
      throw err;
    }
  }
  const portOf = (s: ProbeServer) => Number(s.url.slice(s.url.lastIndexOf(':') + 1));
  logger.log('info', `${name} manager started`, {
    metricsPort: portOf(servers[0]),
    healthPort: portOf(servers[servers.length - 1]),
    leaderElect: opts.leaderElect,
  });
  const stop = new AbortController();
  const onSignal = (sig: string) => () => {
    logger.log('info', `received ${sig}; shutting down`);
    stop.abort();
  };
  const term = onSignal('SIGTERM');
  const int = onSignal('SIGINT');
  process.once('SIGTERM', term);
  process.once('SIGINT', int);
  signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let code = 0;
  try {
    await manager.start();
    synced = true;
    if (!opts.leaderElect) {
      metrics.leader.set(1);
      await manager.lead(stop.signal, () => {});
    } else {
      code = await leadWithElection(name, opts, leaseMs, kube, manager, metrics, logger, stop.signal);
      if (code !== 0) healthy = false;
    }
  } finally {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
    await manager.stop();
    await Promise.all(servers.map((s) => s.close()));
    logger.log('info', `${name} manager stopped`);
  }
  return code;
}

/** `:8080` / `host:port` as the probe server takes it; throws naming the flag. */
function parseBindAddress(value: string, flag: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(value)) {
    throw new Error(`'${flag}' must be host:port or :port, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Leads while this replica holds the Lease (main's LeaderElector over the LeaseLock): the work
 * stops as soon as the Lease is lost, and the process then exits 1 to restart clean, as
 * controller-runtime does. On shutdown the Lease is released so a standby takes over at once.
 */
async function leadWithElection(
  name: string,
  opts: ManagerCliOptions,
  leaseMs: number,
  kube: ImageResourceKube,
  manager: RunnableManager,
  metrics: ControllerMetrics,
  logger: ControllerLogger,
  signal: AbortSignal,
): Promise<number> {
  let leading: AbortController | undefined;
  let work: Promise<void> | undefined;
  let lost = false;
  let elector: LeaderElector | undefined = undefined;
  const done = new Promise<void>((resolve) => {
    elector = new LeaderElector({
      kubeConfig: kube.kubeConfig,
      namespace: opts.leaderElectionNamespace,
      name: opts.leaderElectionId,
      leaseDurationMs: leaseMs,
      logger,
      onStartedLeading: async () => {
        metrics.leader.set(1);
        leading = new AbortController();
        const guard = () => {
          if (!elector?.leading)
            throw new Error(`lost the Lease ${opts.leaderElectionNamespace}/${opts.leaderElectionId}`);
        };
        work = manager.lead(leading.signal, guard).catch((err: unknown) => {
          logger.log('error', `${name} manager failed`, { error: (err as Error).message });
        });
      },
      onStoppedLeading: async () => {
        metrics.leader.set(0);
        lost = true;
        leading?.abort();
        resolve();
      },
    });
  });
  (elector as unknown as LeaderElector).start();
  await Promise.race([
    done,
    new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  ]);
  leading?.abort();
  await work;
  await (elector as unknown as LeaderElector).stop();
  metrics.leader.set(0);
  return lost ? 1 : 0;
}

function addCommonOptions(cmd: Command, defaultId: string): Command {
  return cmd
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file').env('KUBECONFIG'))
    .addOption(new Option('--leader-elect', 'elect a leader on a Lease; only it works').default(false))
    .addOption(
      new Option('--leader-election-namespace <ns>', 'namespace of the Lease')
        .env('POD_NAMESPACE')
        .default('default'),
    )
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').default(defaultId))
    .addOption(
      new Option('--lease-duration <duration>', 'a Lease not renewed for this long is taken over').default(
        '15s',
      ),
    )
    .addOption(new Option('--metrics-bind-address <addr>', 'address of /metrics').default(':8080'))
    .addOption(
      new Option('--health-probe-bind-address <addr>', 'address of /healthz and /readyz').default(':8081'),
    )
    .addOption(
      new Option('--log-level <level>', 'debug, info, warn or error').env('LOG_LEVEL').default('info'),
    );
}

async function exitWith(code: Promise<number>): Promise<void> {
  process.exitCode = await code;
}

/** Registers `jobforge controller image-detection` and `jobforge controller image-creation`. */
export function registerImageResourceControllers(controller: Command): void {
  addCommonOptions(
    controller
      .command('image-detection')
      .description('Scan ECR for each ImageResourcePolicy and write ImageDetected objects.'),
    'jobforge-image-detection',
  )
    .addOption(
      new Option('--scan-interval <duration>', 'interval of policies without spec.scanInterval').default(
        '5m',
      ),
    )
    .addOption(
      new Option('--ecr-endpoint <url>', 'ECR-compatible endpoint (tests)').env('JOBFORGE_ECR_ENDPOINT'),
    )
    .action(async (opts: ManagerCliOptions & { scanInterval: string; ecrEndpoint?: string }) => {
      parseGoDuration(opts.scanInterval, '--scan-interval');
      await exitWith(
        runManager(
          'image-detection',
          opts,
          (kube, metrics, logger) =>
            new ImageDetectionManager({
              kube,
              metrics,
              logger,
              defaultScanInterval: opts.scanInterval,
              ...(opts.ecrEndpoint ? { ecrEndpoint: opts.ecrEndpoint } : {}),
            }),
        ),
      );
    });
  addCommonOptions(
    controller
      .command('image-creation')
      .description('Render the ResourceTemplate of each ImageDetected and commit the manifests to Git.'),
    'jobforge-image-creation',
  )
    .addOption(
      new Option('--resync-interval <duration>', 'periodic batch: retries and TTL cleanup').default('30s'),
    )
    .addOption(new Option('--debounce <duration>', 'wait after a watch event before a batch').default('1s'))
    .action(async (opts: ManagerCliOptions & { resyncInterval: string; debounce: string }) => {
      const resyncMs = parseGoDuration(opts.resyncInterval, '--resync-interval');
      const debounceMs = parseGoDuration(opts.debounce, '--debounce');
      await exitWith(
        runManager(
          'image-creation',
          opts,
          (kube, metrics, logger) =>
            new ImageCreationManager({ kube, metrics, logger, resyncMs, debounceMs }),
        ),
      );
    });
}
