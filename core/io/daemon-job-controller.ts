import type * as k8s from '@kubernetes/client-node';
import {
  DAEMON_JOB_API_VERSION,
  DAEMON_JOB_KIND,
  DAEMON_JOB_PLURAL,
  DAEMON_JOB_VERSION,
  DaemonJobObject,
  JOBFORGE_GROUP,
} from '../daemon-job/daemon-job-resource';
import { DaemonJobControllerMetrics } from '../daemon-job/controller-metrics';
import { DAEMON_JOB_LABEL } from '../daemon-job/per-node-job';
import {
  DaemonJobEvent,
  DaemonJobInvalid,
  ObservedJob,
  reconcileDaemonJob,
  sameStatus,
} from '../daemon-job/reconcile-daemon-job';
import { isStatus, kubeCall, kubeClient, KubeResource, loadClientNode, resourcePath } from './kube';
import { RunningInformer, startInformer } from './informer';
import { mapLimit } from '../map-limit';
import { toNodeInfo } from '../load-nodes';
import { NodeInfo } from '../node-inventory';
import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';

/** Options of {@link DaemonJobController}. */
export interface DaemonJobControllerOptions {
  readonly kubeConfig: k8s.KubeConfig;
  /** Follow the DaemonJobs (and Jobs) of this namespace only. @default - every namespace */
  readonly namespace?: string;
  /** @default - no logging */
  readonly logger?: SyncLogger;
  readonly metrics?: DaemonJobControllerMetrics;
  /** The component named in Events. @default 'jobforge-daemonjob-controller' */
  readonly component?: string;
  /** After a reconcile fails on an apiserver error, retry after this long. @default 2000 */
  readonly retryMs?: number;
}

/** Writes (Job creates and deletes, Events) in flight at once within one reconcile. */
const WRITE_CONCURRENCY = 8;

/** Runs `fn` over `items`, at most `limit` at a time; the first error is thrown once all settle. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const failures = await mapLimit(items, limit, (item) =>
    fn(item).then(
      () => undefined,
      (err: unknown) => ({ err }),
    ),
  );
  const failure = failures.find((f) => f !== undefined);
  if (failure !== undefined) throw failure.err;
}

const JOBS = (namespace?: string): KubeResource => ({
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  namespace,
});
const EVENTS = (namespace: string): KubeResource => ({
  group: '',
  version: 'v1',
  plural: 'events',
  namespace,
});

const key = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/**
 * The DaemonJob controller: informers (list + watch, relist on expiry) on Nodes, DaemonJobs and
 * the Jobs labelled `jobforge.io/daemon-job`, and a work queue of DaemonJobs; each reconcile runs
 * the pure {@link reconcileDaemonJob} on the cached objects and applies its result (create and
 * delete Jobs, record Events, write the status when it changed). A node change queues every
 * DaemonJob; a Job change queues its owner. A Job the apiserver refuses (422) marks the round
 * invalid: the status says which field, nothing more is tried until the spec changes.
 */
export class DaemonJobController {
  private readonly client = loadClientNode();
  /** Writes: through kubeCall (KubeApiError, 429 retry) on clients with core/io/kube's request timeout. */
  private readonly batch: k8s.BatchV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly logger: SyncLogger;
  private readonly kubeConfig: k8s.KubeConfig;
  private nodes?: RunningInformer<k8s.V1Node>;
  private daemonJobs?: RunningInformer<DaemonJobObject>;
  private jobs?: RunningInformer<k8s.V1Job>;
  private readonly queue = new Set<string>();
  private readonly invalid = new Map<string, { hash: string; invalid: DaemonJobInvalid }>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private draining: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private synced = false;
  /** Resolves when the queue is empty (for tests and the bench). */
  private idleWaiters: (() => void)[] = [];

  public constructor(private readonly options: DaemonJobControllerOptions) {
    this.kubeConfig = options.kubeConfig;
    this.batch = kubeClient(this.client.BatchV1Api, this.kubeConfig);
    this.core = kubeClient(this.client.CoreV1Api, this.kubeConfig);
    this.custom = kubeClient(this.client.CustomObjectsApi, this.kubeConfig);
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  /** True once every informer has listed (and the controller has not been stopped). */
  public get ready(): boolean {
    return this.synced && !this.stopped;
  }

  /** Starts the informers (each lists first), then reconciles every DaemonJob. */
  public async start(): Promise<void> {
    if (this.started) throw new Error('the DaemonJob controller was already started');
    this.started = true;
    const kc = this.kubeConfig;
    const ns = this.options.namespace;
    // The informers' lists use client-node's own clients (see startInformer).
    const listCore = kc.makeApiClient(this.client.CoreV1Api);
    const listBatch = kc.makeApiClient(this.client.BatchV1Api);
    const listCustom = kc.makeApiClient(this.client.CustomObjectsApi);
    const error = (kind: string) => (err: Error) =>
      this.logger.log('warn', 'watch failed; restarting it', { kind, error: err.message });
    const all = (): void => {
      for (const dj of this.daemonJobs?.list() ?? [])
        this.enqueue(key(dj.metadata.namespace, dj.metadata.name));
    };
    this.nodes = startInformer(kc, '/api/v1/nodes', () => listCore.listNode(), {
      add: all,
      update: all,
      remove: all,
      error: error('Node'),
    });
    const daemonJobs = { group: JOBFORGE_GROUP, version: DAEMON_JOB_VERSION, plural: DAEMON_JOB_PLURAL };
    const queueDaemonJob = (dj: DaemonJobObject): void =>
      this.enqueue(key(dj.metadata.namespace, dj.metadata.name));
    this.daemonJobs = startInformer(
      kc,
      resourcePath({ ...daemonJobs, namespace: ns }),
      () =>
        (ns === undefined
          ? listCustom.listClusterCustomObject(daemonJobs)
          : listCustom.listNamespacedCustomObject({ ...daemonJobs, namespace: ns })) as Promise<{
          items: DaemonJobObject[];
        }>,
      { add: queueDaemonJob, update: queueDaemonJob, remove: queueDaemonJob, error: error('DaemonJob') },
    );
    const queueOwner = (job: k8s.V1Job): void => {
      const owner = job.metadata?.labels?.[DAEMON_JOB_LABEL];
      if (owner !== undefined) this.enqueue(key(job.metadata?.namespace, owner));
    };
    this.jobs = startInformer(
      kc,
      resourcePath(JOBS(ns)),
      () =>
        ns === undefined
          ? listBatch.listJobForAllNamespaces({ labelSelector: DAEMON_JOB_LABEL })
          : listBatch.listNamespacedJob({ namespace: ns, labelSelector: DAEMON_JOB_LABEL }),
      { add: queueOwner, update: queueOwner, remove: queueOwner, error: error('Job') },
      { labelSelector: DAEMON_JOB_LABEL },
    );
    // A list that failed (e.g. 429 while a new CRD's storage initializes) is retried by the
    // informer: synced means every kind really listed.
    await Promise.all([this.nodes.synced, this.daemonJobs.synced, this.jobs.synced]);
    this.synced = true;
    this.logger.log('info', 'DaemonJob controller synced', {
      daemonJobs: this.daemonJobs.list().length,
      nodes: this.nodes.list().length,
      jobs: this.jobs.list().length,
    });
    all();
  }

  /** Stops the informers and waits for the reconcile in progress. */
  public async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.queue.clear();
    await Promise.all([this.nodes?.stop(), this.daemonJobs?.stop(), this.jobs?.stop()]);
    await this.draining;
    this.wakeIdle();
  }

  /** Resolves once the work queue is empty and no reconcile runs. */
  public idle(): Promise<void> {
    if (this.queue.size === 0 && this.draining === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private enqueue(k: string): void {
    if (this.stopped || !this.synced) return;
    this.queue.add(k);
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
        if (this.queue.size > 0 && !this.stopped) this.enqueue([...this.queue][0]);
        else this.wakeIdle();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const [k] = this.queue;
      this.queue.delete(k);
      const started = process.hrtime.bigint();
      let result: 'ok' | 'error' | 'invalid' = 'ok';
      try {
        result = await this.reconcile(k);
      } catch (err) {
        result = 'error';
        this.logger.log('error', 'reconcile failed; retrying', {
          daemonJob: k,
          error: (err as Error).message,
        });
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          this.enqueue(k);
        }, this.options.retryMs ?? 2000);
        this.retryTimers.add(t);
      }
      this.options.metrics?.reconciled(result, Number(process.hrtime.bigint() - started) / 1e9);
    }
    this.options.metrics?.watched(
      this.daemonJobs?.list().length ?? 0,
      this.nodes?.list().length ?? 0,
      this.jobs?.list().length ?? 0,
    );
  }

  /** One reconcile of the DaemonJob `k` (`namespace/name`) from the caches. */
  private async reconcile(k: string): Promise<'ok' | 'invalid'> {
    const [namespace, name] = k.split('/');
    const dj = this.daemonJobs?.get(name, namespace);
    if (dj === undefined) {
      this.invalid.delete(k);
      return 'ok';
    }
    const nodes: NodeInfo[] = (this.nodes?.list() ?? []).map(toNodeInfo);
    const uid = dj.metadata.uid;
    const jobs = (this.jobs?.list(namespace) ?? []).filter((j) =>
      (j.metadata?.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true),
    );
    const now = new Date();
    let known = this.invalid.get(k);
    let result = reconcileDaemonJob({
      daemonJob: dj,
      nodes,
      jobs: jobs as ObservedJob[],
      invalid: undefined,
      now,
    });
    if (known !== undefined && known.hash !== result.templateHash) {
      this.invalid.delete(k);
      known = undefined;
    }
    if (known !== undefined) {
      result = reconcileDaemonJob({
        daemonJob: dj,
        nodes,
        jobs: jobs as ObservedJob[],
        invalid: known.invalid,
        now,
      });
    }
    await inParallel(result.delete, WRITE_CONCURRENCY, async (d) => {
      try {
        await kubeCall('DELETE', resourcePath(JOBS(namespace), d.name), () =>
          this.batch.deleteNamespacedJob({
            name: d.name,
            namespace,
            propagationPolicy: 'Background',
            body: { preconditions: { uid: d.uid } },
          }),
        );
        this.options.metrics?.jobDeleted(d.reason);
      } catch (err) {
        if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
      }
    });
    let refused: DaemonJobInvalid | undefined;
    const create = async (job: (typeof result.create)[number]): Promise<void> => {
      if (refused !== undefined) return;
      try {
        await kubeCall('POST', resourcePath(JOBS(namespace)), () =>
          this.batch.createNamespacedJob({ namespace, body: job as unknown as k8s.V1Job }),
        );
        this.options.metrics?.jobCreated();
      } catch (err) {
        if (isStatus(err, 409)) return; // already made (by us before a restart, or another replica): one Job per node and round
        if (isStatus(err, 422) || isStatus(err, 400)) {
          const cause = err.causes.find((c) => c.field) ?? err.causes[0];
          refused ??= {
            field: cause?.field ?? 'spec',
            message: cause?.message ?? (err.detail || err.message),
          };
          return;
        }
        throw err;
      }
    };
    // Slow start, as the Job controller creates pods: the first Job alone (a refused template is
    // refused once, not once per node), then the rest a few at a time.
    const [first, ...rest] = result.create;
    if (first !== undefined) await create(first);
    await inParallel(rest, WRITE_CONCURRENCY, create);
    if (refused !== undefined) {
      this.invalid.set(k, { hash: result.templateHash, invalid: refused });
      this.logger.log('warn', 'the apiserver refused a Job of the DaemonJob; marked invalid', {
        daemonJob: k,
        field: refused.field,
        message: refused.message,
      });
      result = reconcileDaemonJob({
        daemonJob: dj,
        nodes,
        jobs: jobs as ObservedJob[],
        invalid: refused,
        now,
      });
    }
    await this.recordEvents(dj, result.events);
    if (!sameStatus(dj.status, result.status)) {
      const daemonJobs = { group: JOBFORGE_GROUP, version: DAEMON_JOB_VERSION, plural: DAEMON_JOB_PLURAL };
      try {
        await kubeCall('PUT', `${resourcePath({ ...daemonJobs, namespace }, name)}/status`, () =>
          this.custom.replaceNamespacedCustomObjectStatus({
            ...daemonJobs,
            namespace,
            name,
            body: {
              apiVersion: DAEMON_JOB_API_VERSION,
              kind: DAEMON_JOB_KIND,
              metadata: { name, namespace, resourceVersion: dj.metadata.resourceVersion },
              status: result.status,
            },
          }),
        );
      } catch (err) {
        if (isStatus(err, 409))
          this.enqueue(k); // the DaemonJob changed meanwhile: its new version is queued too
        else if (!isStatus(err, 404)) throw err;
      }
    }
    this.logger.log('debug', 'reconciled', {
      daemonJob: k,
      round: result.templateHash,
      created: result.create.length,
      deleted: result.delete.length,
      desired: result.status.desired,
      succeeded: result.status.succeeded,
    });
    return this.invalid.has(k) ? 'invalid' : 'ok';
  }

  private async recordEvents(dj: DaemonJobObject, events: readonly DaemonJobEvent[]): Promise<void> {
    const now = new Date();
    await inParallel(events, WRITE_CONCURRENCY, async (e) => {
      try {
        await kubeCall('POST', resourcePath(EVENTS(dj.metadata.namespace!)), () =>
          this.core.createNamespacedEvent({
            namespace: dj.metadata.namespace!,
            body: {
              metadata: { generateName: `${dj.metadata.name}.`, namespace: dj.metadata.namespace },
              involvedObject: {
                apiVersion: DAEMON_JOB_API_VERSION,
                kind: DAEMON_JOB_KIND,
                name: dj.metadata.name,
                namespace: dj.metadata.namespace,
                uid: dj.metadata.uid,
                resourceVersion: dj.metadata.resourceVersion,
              },
              type: e.type,
              reason: e.reason,
              message: e.message.slice(0, 1024),
              source: { component: this.options.component ?? 'jobforge-daemonjob-controller' },
              firstTimestamp: now,
              lastTimestamp: now,
              count: 1,
            },
          }),
        );
      } catch (err) {
        this.logger.log('warn', 'could not record an Event', {
          reason: e.reason,
          error: (err as Error).message,
        });
      }
    });
  }
}
