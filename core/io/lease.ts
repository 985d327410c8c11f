import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { isStatus, KubeObjectClient, KubeResource } from './kube';
import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';

/** Options of {@link LeaseLock.acquire}. */
export interface LeaseLockOptions {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /**
   * A lock not renewed for this long is stale and taken over (`LOCK_TIMEOUT`), in milliseconds.
   * The holder renews it every third of this while it runs.
   */
  readonly timeoutMs: number;
  /**
   * Who holds the lock, written to `spec.holderIdentity`.
   * @default - `$POD_NAME` or the host name, the process id and a random suffix
   */
  readonly holderIdentity?: string;
  /** @default - no logging */
  readonly logger?: SyncLogger;
}

/** The lock is held by another run that is not stale: the sync stops before any write. */
export class LockHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockHeldError';
  }
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** The Lease collection (`coordination.k8s.io/v1`). */
const LEASES: KubeResource = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };

/** A Kubernetes MicroTime (RFC 3339 with exactly six fractional digits). */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The default holder identity: pod (or host) name, process id, random suffix. */
export function defaultHolderIdentity(): string {
  return `${process.env.POD_NAME || os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * A `coordination.k8s.io/v1` Lease held for the duration of one sync. {@link LeaseLock.acquire}
 * creates it, or takes it over when its holder has not renewed it for `timeoutMs` (a crashed run),
 * and fails fast with a {@link LockHeldError} naming the holder otherwise. While held it is renewed
 * in the background; {@link LeaseLock.assertHeld} throws once another run has taken it over.
 * {@link LeaseLock.release} deletes it.
 */
export class LeaseLock {
  /** Acquires the lock or throws {@link LockHeldError}. */
  static async acquire(kube: KubeObjectClient, options: LeaseLockOptions): Promise<LeaseLock> {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs < 1000) {
      throw new Error(`'lockTimeout' must be at least 1s, got ${options.timeoutMs} ms`);
    }
    const holder = options.holderIdentity ?? defaultHolderIdentity();
    const logger = options.logger ?? SILENT_LOGGER;
    const leases: KubeResource = { ...LEASES, namespace: options.namespace };
    const where = `Lease ${options.namespace}/${options.name}`;
    const durationSeconds = Math.ceil(options.timeoutMs / 1000);
    const now = microTime(new Date());
    const spec = {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: now,
      renewTime: now,
    };

    let existing: Lease | undefined;
    try {
      existing = await kube.get<Lease>(leases, options.name);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    const held = (lease: Lease): LockHeldError => {
      const renewed = lease.spec.renewTime ?? lease.spec.acquireTime;
      const staleAt = renewed ? new Date(Date.parse(renewed) + options.timeoutMs).toISOString() : 'unknown';
      return new LockHeldError(
        `another policy sync is running: ${where} is held by ${JSON.stringify(lease.spec.holderIdentity)} ` +
          `(last renewed ${renewed ?? 'never'}); it is taken over once stale, at ${staleAt} (LOCK_TIMEOUT ${durationSeconds}s)`,
      );
    };

    if (existing === undefined) {
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: options.name,
          namespace: options.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'jobforge' },
        },
        spec: { ...spec, leaseTransitions: 0 },
      };
      try {
        const created = await kube.create<Lease>(leases, body);
        logger.log('debug', 'Acquired policy sync lock', { lease: where, holder });
        return new LeaseLock(kube, leases, created, options.timeoutMs, holder, logger);
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        const winner = await kube.get<Lease>(leases, options.name);
        throw held(winner);
      }
    }

    const previous = existing.spec.holderIdentity;
    const renewed = Date.parse(existing.spec.renewTime ?? existing.spec.acquireTime ?? '');
    const stale = !previous || !Number.isFinite(renewed) || Date.now() - renewed >= options.timeoutMs;
    if (!stale) throw held(existing);
    const body: Lease = {
      ...existing,
      spec: { ...spec, leaseTransitions: (existing.spec.leaseTransitions ?? 0) + 1 },
    };
    try {
      const taken = await kube.replace<Lease>(leases, options.name, body);
      if (previous) {
        logger.log('warn', 'Took over a stale policy sync lock', {
          lease: where,
          previousHolder: previous,
          lastRenewed: existing.spec.renewTime ?? existing.spec.acquireTime,
        });
      }
      return new LeaseLock(kube, leases, taken, options.timeoutMs, holder, logger);
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const winner = await kube.get<Lease>(leases, options.name);
      throw held(winner);
    }
  }

  private timer: NodeJS.Timeout | undefined;
  private lostReason: string | undefined;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kube: KubeObjectClient,
    private readonly leases: KubeResource,
    private lease: Lease,
    timeoutMs: number,
    /** The identity written to the Lease. */
    public readonly holder: string,
    private readonly logger: SyncLogger,
  ) {
    const every = Math.min(Math.max(Math.floor(timeoutMs / 3), 300), 60_000);
    this.timer = setInterval(() => {
      this.renewing = this.renew();
    }, every);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.lostReason) return;
    try {
      this.lease = await this.kube.replace<Lease>(this.leases, this.lease.metadata.name, {
        ...this.lease,
        spec: { ...this.lease.spec, renewTime: microTime(new Date()) },
      });
    } catch (err) {
      if (isStatus(err, 409) || isStatus(err, 404)) {
        this.lostReason = `the policy sync lock Lease ${this.lease.metadata.namespace}/${this.lease.metadata.name} was taken over or deleted by another run`;
        this.logger.log('error', 'Lost the policy sync lock', { reason: this.lostReason });
      } else {
        this.logger.log('warn', 'Could not renew the policy sync lock', { error: (err as Error).message });
      }
    }
  }

  /** Throws when the lock has been lost (taken over or deleted); call before each write. */
  assertHeld(): void {
    if (this.lostReason) throw new LockHeldError(this.lostReason);
  }

  /** Stops renewing and deletes the Lease if this run still holds it. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    if (this.lostReason) return;
    try {
      await this.kube.delete(this.leases, this.lease.metadata.name, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { resourceVersion: this.lease.metadata.resourceVersion },
      });
      this.logger.log('debug', 'Released policy sync lock', { holder: this.holder });
    } catch (err) {
      if (isStatus(err, 404) || isStatus(err, 409)) return;
      this.logger.log('warn', 'Could not release the policy sync lock; it goes stale after LOCK_TIMEOUT', {
        error: (err as Error).message,
      });
    }
  }
}
