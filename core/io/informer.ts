import type * as k8s from '@kubernetes/client-node';
import { loadClientNode, toKubeError } from './kube';

/**
 * The one informer loop of jobforge's controllers: client-node's ListWatch (list + watch, relist
 * on 410 Gone), restarted after a failed list or a watch that ends in an error, with a cache and
 * a promise that says when the first list was read.
 */

/** A running informer: its cache and a way to stop it. */
export interface RunningInformer<T> {
  /** The cached objects (of one namespace when given). */
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  /** Resolves once the first list has been read (or the informer was stopped). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

/** Callbacks of an informer. */
export interface InformerHandlers<T> {
  readonly add?: (o: T) => void;
  readonly update?: (o: T) => void;
  readonly remove?: (o: T) => void;
  /** A failed list or watch (a KubeApiError when the apiserver answered); the informer restarts. */
  readonly error?: (err: Error) => void;
}

/** Options of {@link startInformer}. */
export interface InformerOptions {
  /** Wait before restarting after an error, in ms. @default 1000 */
  readonly restartDelayMs?: number;
  /** Counts the list and watch calls. */
  readonly count?: (verb: string, resource: string) => void;
  /** The resource named to `count`. @default - the path */
  readonly resource?: string;
  /** Only objects with these labels (a label selector). */
  readonly labelSelector?: string;
}

/**
 * An informer (list + watch) on `path`, started at once. `list` must not carry a per-request
 * abort timer (core/io/kube's kubeClient does): the timer outlives the request and aborts the
 * watch that reuses its keep-alive socket. Use a client of `kc.makeApiClient`.
 */
export function startInformer<T>(
  kc: k8s.KubeConfig,
  path: string,
  list: () => Promise<{ items: T[] }>,
  handlers: InformerHandlers<T>,
  options: InformerOptions = {},
): RunningInformer<T> {
  const k = loadClientNode();
  const count = options.count ?? (() => {});
  type O = k8s.KubernetesObject;
  let listed = false;
  let stopped = false;
  // client-node's ListWatch (what makeInformer builds) aborts only a watch it already holds: a
  // watch still connecting when stop() runs, or opened after a list that was in flight, would
  // stay open (a socket keeping the process alive) until the apiserver ends it. Its watches go
  // through this guard: none is opened after stop(), and one that connects after it is aborted.
  const watcher = new k.Watch(kc);
  const guarded: Pick<k8s.Watch, 'watch'> = {
    watch: async (watchPath, params, callback, done) => {
      if (stopped) return new AbortController();
      const request = await watcher.watch(watchPath, params, callback, done);
      if (stopped) request.abort();
      return request;
    },
  };
  const informer = new k.ListWatch<O>(
    path,
    guarded as k8s.Watch,
    async () => {
      count('list', options.resource ?? path);
      const result = (await list()) as unknown as k8s.KubernetesListObject<O>;
      listed = true;
      return result;
    },
    false,
    options.labelSelector,
  );
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const as = (cb?: (o: T) => void) => (o: O) => cb?.(o as T);
  if (handlers.add) informer.on('add', as(handlers.add));
  if (handlers.update) informer.on('update', as(handlers.update));
  if (handlers.remove) informer.on('delete', as(handlers.remove));
  informer.on('connect', () => count('watch', options.resource ?? path));
  // A watch that ends in an error stops the informer; so does a failed list (start() then
  // resolves without a list). Both restart it.
  const failed = (err: unknown): void => {
    handlers.error?.(toKubeError('GET', path, err));
    restartLater();
  };
  const run = (): void => {
    informer.start().then(() => {
      if (listed) resolveSynced();
    }, failed);
  };
  const restartLater = (): void => {
    if (stopped) return;
    setTimeout(() => {
      if (!stopped) run();
    }, options.restartDelayMs ?? 1000).unref();
  };
  informer.on('error', (err: unknown) => {
    if (!stopped) failed(err);
  });
  run();
  return {
    list: (namespace) => informer.list(namespace) as unknown as readonly T[],
    get: (name, namespace) => informer.get(name, namespace) as T | undefined,
    synced,
    stop: async () => {
      stopped = true;
      resolveSynced();
      await informer.stop();
    },
  };
}
