import type { KubeConfig } from '@kubernetes/client-node';
import { KubeObjectClient, kubeObjectClient } from './kube';
import { LeaseLock, LockHeldError, defaultHolderIdentity } from './lease';
import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace and name of the `coordination.k8s.io/v1` Lease. */
  readonly namespace: string;
  readonly name: string;
  /** A leader that has not renewed for this long is replaced, in milliseconds. The leader renews every third of it. */
  readonly leaseDurationMs: number;
  /** @default - `$POD_NAME` (or the host name), the process id and a random suffix */
  readonly identity?: string;
  /** Called once this replica leads. */
  onStartedLeading(): Promise<void>;
  /** Called once this replica lost the Lease (taken over after it missed renewals, or deleted). */
  onStoppedLeading(): Promise<void>;
  /** @default - no logging */
  readonly logger?: SyncLogger;
}

/**
 * Leader election on a Lease (as client-go's leaderelection does): a candidate tries to take the
 * Lease every third of its duration; once it holds it, it leads until it stops (and deletes the
 * Lease, so a standby takes over at once) or loses it (another replica took it over after it went
 * unrenewed for `leaseDurationMs`). The Lease itself is the policy sync's LeaseLock.
 */
export class LeaderElector {
  private lock: LeaseLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly identity: string;
  private readonly logger: SyncLogger;
  private readonly kube: KubeObjectClient;

  public constructor(private readonly options: LeaderElectorOptions) {
    this.identity = options.identity ?? defaultHolderIdentity();
    this.logger = options.logger ?? SILENT_LOGGER;
    this.kube = kubeObjectClient(options.kubeConfig);
  }

  /** True while this replica holds the Lease. */
  public get leading(): boolean {
    return this.lock !== undefined;
  }

  private get periodMs(): number {
    return Math.max(Math.floor(this.options.leaseDurationMs / 3), 300);
  }

  /** Starts campaigning (returns at once; leadership is reported through the callbacks). */
  public start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.periodMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.lock === undefined) {
      try {
        this.lock = await LeaseLock.acquire(this.kube, {
          namespace: this.options.namespace,
          name: this.options.name,
          timeoutMs: this.options.leaseDurationMs,
          holderIdentity: this.identity,
          logger: this.logger,
        });
        if (this.stopped) {
          await this.lock.release();
          this.lock = undefined;
          return;
        }
        this.logger.log('info', 'became the leader', {
          lease: `${this.options.namespace}/${this.options.name}`,
          identity: this.identity,
        });
        await this.options.onStartedLeading();
      } catch (err) {
        if (!(err instanceof LockHeldError)) {
          this.logger.log('warn', 'could not take the leader Lease', { error: (err as Error).message });
        }
      }
    } else {
      try {
        this.lock.assertHeld();
      } catch {
        this.lock = undefined;
        this.logger.log('error', 'lost the leader Lease', { identity: this.identity });
        await this.options.onStoppedLeading();
      }
    }
    this.schedule();
  }

  /** Stops campaigning; a leader deletes the Lease so a standby takes over without waiting. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const lock = this.lock;
    this.lock = undefined;
    if (lock !== undefined) await lock.release();
  }
}
