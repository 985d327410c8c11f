import type * as k8s from '@kubernetes/client-node';
import {
  isStatus,
  kubeCall,
  kubeClient,
  KubeResource,
  kubeObjectClient,
  loadClientNode,
  loadKubeConfig,
  resourcePath,
} from './kube';
import {
  IMAGE_RESOURCE_API_GROUP,
  IMAGE_RESOURCE_API_VERSION,
  ImageDetected,
  ImageResourcePolicy,
  ObjectMeta,
  PLURALS,
  ResourceTemplate,
} from '../image-resource/resources';
import {
  WORKLOAD_KINDS,
  WORKLOAD_PATHS,
  workloadListCalls,
  type WorkloadKind,
  type WorkloadObject,
} from '../workload-index';
import type { ControllerLogger } from './controller-log';
import type { ControllerMetrics } from './controller-metrics';
import { InformerHandlers, RunningInformer, startInformer } from './informer';

/**
 * The managers' Kubernetes I/O, on @kubernetes/client-node: the custom resources (get, create,
 * replace, delete, status merge-patch), Secrets (read one by name), Events, and the list calls
 * and watch paths of the informers (core/io/informer.ts) that keep in-memory caches current.
 * Every call is counted for the managers' `/metrics`.
 */

type Plural = (typeof PLURALS)[keyof typeof PLURALS];

/** An object an Event is about. */
export interface EventTarget {
  readonly kind: string;
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
}

/** Counts API calls by verb and resource. */
export type ApiCallCounter = (verb: string, resource: string) => void;

/** The managers' client. */
export interface ImageResourceKube {
  readonly kubeConfig: k8s.KubeConfig;
  get<T>(plural: Plural, namespace: string, name: string): Promise<T | undefined>;
  create(plural: Plural, namespace: string, body: object): Promise<void>;
  replace(plural: Plural, namespace: string, name: string, body: object): Promise<void>;
  remove(plural: Plural, namespace: string, name: string, uid?: string): Promise<void>;
  patchStatus(plural: Plural, namespace: string, name: string, status: object): Promise<void>;
  /** A Secret's data, decoded; undefined when it does not exist. */
  secretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  event(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/** The client of a kubeconfig (path, content, or $KUBECONFIG / in-cluster). */
export function imageResourceKube(
  kubeconfig: string | undefined,
  options: { readonly component: string; readonly count?: ApiCallCounter },
): ImageResourceKube {
  const k = loadClientNode();
  const kc = loadKubeConfig(kubeconfig);
  const objects = kubeObjectClient(kc);
  const custom = kubeClient(k.CustomObjectsApi, kc);
  const core = kubeClient(k.CoreV1Api, kc);
  const count = options.count ?? (() => {});
  const cr = { group: IMAGE_RESOURCE_API_GROUP, version: IMAGE_RESOURCE_API_VERSION };
  const resource = (plural: Plural, namespace: string): KubeResource => ({ ...cr, plural, namespace });
  const coreResource = (plural: string, namespace: string): KubeResource => ({
    group: '',
    version: 'v1',
    plural,
    namespace,
  });
  const mergePatch = k.setHeaderOptions('Content-Type', k.PatchStrategy.MergePatch);
  return {
    kubeConfig: kc,
    async get<T>(plural: Plural, namespace: string, name: string): Promise<T | undefined> {
      count('get', plural);
      try {
        return await objects.get<T>(resource(plural, namespace), name);
      } catch (err) {
        if (isStatus(err, 404)) return undefined;
        throw err;
      }
    },
    async create(plural, namespace, body) {
      count('create', plural);
      await objects.create(resource(plural, namespace), body);
    },
    async replace(plural, namespace, name, body) {
      count('update', plural);
      await objects.replace(resource(plural, namespace), name, body);
    },
    async remove(plural, namespace, name, uid) {
      count('delete', plural);
      try {
        await objects.delete(resource(plural, namespace), name, uid ? { preconditions: { uid } } : undefined);
      } catch (err) {
        if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
      }
    },
    async patchStatus(plural, namespace, name, status) {
      count('patch', `${plural}/status`);
      await kubeCall('PATCH', `${resourcePath(resource(plural, namespace), name)}/status`, () =>
        custom.patchNamespacedCustomObjectStatus(
          { ...cr, plural, namespace, name, body: { status } },
          mergePatch,
        ),
      );
    },
    async secretData(namespace, name) {
      count('get', 'secrets');
      let secret: k8s.V1Secret;
      try {
        secret = await kubeCall('GET', resourcePath(coreResource('secrets', namespace), name), () =>
          core.readNamespacedSecret({ namespace, name }),
        );
      } catch (err) {
        if (isStatus(err, 404)) return undefined;
        throw err;
      }
      const data: Record<string, string> = { ...(secret.stringData ?? {}) };
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        data[key] = Buffer.from(value, 'base64').toString('utf8');
      }
      return data;
    },
    async event(target, type, reason, message) {
      count('create', 'events');
      const now = new Date();
      const namespace = target.metadata.namespace ?? 'default';
      await kubeCall('POST', resourcePath(coreResource('events', namespace)), () =>
        core.createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${target.metadata.name}.`, namespace },
            involvedObject: {
              apiVersion: target.apiVersion,
              kind: target.kind,
              name: target.metadata.name,
              namespace,
              uid: target.metadata.uid,
              resourceVersion: target.metadata.resourceVersion,
            },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component: options.component },
            reportingComponent: options.component,
            reportingInstance: process.env.POD_NAME || undefined,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        }),
      );
    },
  };
}

/** Starts the managers' informers. */
export interface ManagerInformers {
  /** An informer on `path`, its calls counted as `resource` (@default the path). */
  start<T>(
    path: string,
    list: () => Promise<{ items: T[] }>,
    what: string,
    handlers: Omit<InformerHandlers<T>, 'error'>,
    resource?: string,
  ): RunningInformer<T>;
  /** An informer on one of the three custom resources, across all namespaces. */
  customResource<T>(
    plural: Plural,
    what: string,
    handlers: Omit<InformerHandlers<T>, 'error'>,
  ): RunningInformer<T>;
}

/**
 * The managers' informers on `kc`: list and watch calls counted in `jobforge_api_calls_total`; a
 * failed list or watch (`what` names it) counted as `WatchFailed` and logged, then restarted.
 */
export function managerInformers(
  kc: k8s.KubeConfig,
  metrics: ControllerMetrics,
  logger: ControllerLogger,
): ManagerInformers {
  const count: ApiCallCounter = (verb, resource) =>
    metrics.apiCalls.inc({ api: 'kubernetes', operation: `${verb} ${resource}` });
  const start = <T>(
    path: string,
    list: () => Promise<{ items: T[] }>,
    what: string,
    handlers: Omit<InformerHandlers<T>, 'error'>,
    resource: string = path,
  ): RunningInformer<T> =>
    startInformer<T>(
      kc,
      path,
      list,
      {
        ...handlers,
        error: (err) => {
          metrics.errors.inc({ reason: 'WatchFailed' });
          logger.log('warn', `watch of ${what} failed; restarting it`, { error: err.message });
        },
      },
      { count, resource },
    );
  // client-node's own client for the lists (see startInformer).
  const custom = kc.makeApiClient(loadClientNode().CustomObjectsApi);
  return {
    start,
    customResource: <T>(plural: Plural, what: string, handlers: Omit<InformerHandlers<T>, 'error'>) => {
      const r = { group: IMAGE_RESOURCE_API_GROUP, version: IMAGE_RESOURCE_API_VERSION, plural };
      const list = () => custom.listClusterCustomObject(r) as Promise<{ items: T[] }>;
      return start<T>(resourcePath(r), list, what, handlers, plural);
    },
  };
}

/** Watch paths and list calls of the workload kinds the dedup index reads. */
export function workloadSources(
  kc: k8s.KubeConfig,
): Array<{ kind: WorkloadKind; path: string; list: () => Promise<{ items: WorkloadObject[] }> }> {
  const k = loadClientNode();
  // client-node's own clients for the lists (see startInformer).
  const calls = workloadListCalls(
    kc.makeApiClient(k.AppsV1Api),
    kc.makeApiClient(k.BatchV1Api),
    kc.makeApiClient(k.CoreV1Api),
  );
  return WORKLOAD_KINDS.map((kind) => ({ kind, path: WORKLOAD_PATHS[kind], list: () => calls[kind]() }));
}

export type { ImageDetected, ImageResourcePolicy, ResourceTemplate };
