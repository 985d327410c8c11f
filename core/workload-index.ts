import type * as k8s from '@kubernetes/client-node';
import { canonicalImage } from './image-reference';
import { defaultTagPrefixOf } from './pipeline/select';

/** The workload kinds whose pod templates (or pods) the index reads. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'Pod'] as const;

/** A workload kind the index reads. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Which list of the pod spec a container comes from. */
export type ContainerType = 'container' | 'initContainer' | 'ephemeralContainer';

/** One container of one workload, and the image it runs. */
export interface WorkloadImageUse {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly containerType: ContainerType;
  /** The image exactly as the workload spells it. */
  readonly image: string;
}

/** A workload image use, with the parts the index keys on. */
interface IndexedUse extends WorkloadImageUse {
  /** `registry/path`, canonical (normalizeImage with Docker Hub aliases folded: `docker.io/library/nginx`). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Options of {@link WorkloadIndex}. */
export interface WorkloadIndexOptions {
  /**
   * The tag prefix of a tag, for `prefix` dedup (e.g. `dev` of `dev-v1.2.3`); undefined when the
   * tag has none. Use the same extraction as the selection policy so both sides agree.
   * @default - the text before the first `-`, `_` or `.` (the whole tag when there is none)
   */
  readonly tagPrefixOf?: (tag: string) => string | undefined;
}

const KIND_ORDER: Record<WorkloadKind, number> = {
  Deployment: 0,
  StatefulSet: 1,
  DaemonSet: 2,
  CronJob: 3,
  Job: 4,
  Pod: 5,
};

/**
 * Where an image is used in the cluster: lookups by normalized image and by
 * (repository, tag prefix) in constant time. Results are ordered deterministically (workload
 * kinds before Pods, then namespace, name, container), so the first result names the most
 * meaningful owner.
 */
export class WorkloadIndex {
  private readonly byImage = new Map<string, IndexedUse[]>();
  private readonly byPrefix = new Map<string, IndexedUse[]>();
  /** The indexed uses of each object (`kind/namespace/name`), for updates from watch events. */
  private readonly byObject = new Map<string, IndexedUse[]>();
  private readonly tagPrefixOf: (tag: string) => string | undefined;
  private count = 0;

  constructor(uses: readonly WorkloadImageUse[] = [], options: WorkloadIndexOptions = {}) {
    this.tagPrefixOf = options.tagPrefixOf ?? defaultTagPrefixOf;
    // Pods repeat their controllers' images: parse each distinct reference once.
    const parsedByImage = new Map<string, ReturnType<typeof parseNormalized>>();
    for (const use of uses) {
      let parsed = parsedByImage.get(use.image);
      if (parsed === undefined && !parsedByImage.has(use.image)) {
        parsed = parseNormalized(use.image);
        parsedByImage.set(use.image, parsed);
      }
      if (parsed) this.addUse({ ...use, ...parsed });
    }
  }

  /** Number of container image uses indexed. */
  public get size(): number {
    return this.count;
  }

  /**
   * Sets the uses of one workload object (an informer's add or update event): its previous
   * uses leave the index, its current ones enter it. Constant time in the size of the index.
   */
  public upsert(kind: WorkloadKind, object: WorkloadObject): void {
    const meta = object.metadata ?? {};
    this.remove(kind, meta.namespace ?? 'default', meta.name ?? '');
    for (const use of imageUsesOf(kind, object)) {
      const parsed = parseNormalized(use.image);
      if (parsed) this.addUse({ ...use, ...parsed });
    }
  }

  /** Removes one workload object's uses (an informer's delete event). */
  public remove(kind: WorkloadKind, namespace: string, name: string): void {
    const key = objectKey(kind, namespace, name);
    const old = this.byObject.get(key);
    if (old === undefined) return;
    this.byObject.delete(key);
    const gone = new Set(old);
    const drop = (map: Map<string, IndexedUse[]>, k: string): void => {
      const list = map.get(k)?.filter((u) => !gone.has(u));
      if (list === undefined) return;
      if (list.length === 0) map.delete(k);
      else map.set(k, list);
    };
    for (const u of old) {
      this.count--;
      if (u.tag !== undefined) {
        drop(this.byImage, `${u.repository}:${u.tag}`);
        const prefix = this.tagPrefixOf(u.tag);
        if (prefix !== undefined) drop(this.byPrefix, prefixKey(u.repository, prefix));
      }
      if (u.digest !== undefined) drop(this.byImage, `${u.repository}@${u.digest}`);
    }
  }

  private addUse(indexed: IndexedUse): void {
    this.count++;
    push(this.byObject, objectKey(indexed.kind, indexed.namespace, indexed.name), indexed);
    if (indexed.tag !== undefined) {
      push(this.byImage, `${indexed.repository}:${indexed.tag}`, indexed);
      const prefix = this.tagPrefixOf(indexed.tag);
      if (prefix !== undefined) push(this.byPrefix, prefixKey(indexed.repository, prefix), indexed);
    }
    if (indexed.digest !== undefined) push(this.byImage, `${indexed.repository}@${indexed.digest}`, indexed);
  }

  /**
   * Workloads running this exact image. `image` is any reference (`nginx`, `repo:tag`,
   * `repo@sha256:…`); when `digest` is given, workloads pinning the same digest match too.
   */
  public findImage(image: string, digest?: string): WorkloadImageUse[] {
    const parsed = parseNormalized(image);
    if (!parsed) return [];
    const found = new Set<IndexedUse>();
    if (parsed.tag !== undefined) {
      for (const u of this.byImage.get(`${parsed.repository}:${parsed.tag}`) ?? []) found.add(u);
    }
    for (const d of [parsed.digest, digest]) {
      if (d === undefined) continue;
      for (const u of this.byImage.get(`${parsed.repository}@${d}`) ?? []) found.add(u);
    }
    return [...found].sort(compareUses).map(publicUse);
  }

  /**
   * Workloads running some tag of `repository` whose tag prefix is `tagPrefix` (so GitOps
   * already owns that line of upgrades). `repository` may carry a tag or digest; it is ignored.
   */
  public findPrefix(repository: string, tagPrefix: string): WorkloadImageUse[] {
    const parsed = parseNormalized(repository);
    if (!parsed) return [];
    return [...(this.byPrefix.get(prefixKey(parsed.repository, tagPrefix)) ?? [])]
      .sort(compareUses)
      .map(publicUse);
  }
}

/** The container image uses of one workload object (any of {@link WORKLOAD_KINDS}). */
export function imageUsesOf(kind: WorkloadKind, object: WorkloadObject): WorkloadImageUse[] {
  const meta = object.metadata ?? {};
  const podSpec = podSpecOf(kind, object);
  if (!podSpec) return [];
  const uses: WorkloadImageUse[] = [];
  const add = (containerType: ContainerType, list?: { name: string; image?: string }[]): void => {
    for (const c of list ?? []) {
      if (!c.image) continue;
      uses.push({
        kind,
        namespace: meta.namespace ?? 'default',
        name: meta.name ?? '',
        container: c.name,
        containerType,
        image: c.image,
      });
    }
  };
  add('container', podSpec.containers);
  add('initContainer', podSpec.initContainers);
  add('ephemeralContainer', podSpec.ephemeralContainers);
  return uses;
}

/** The objects the index reads: any workload with metadata and a pod spec somewhere. */
export interface WorkloadObject {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec?: any;
}

function podSpecOf(kind: WorkloadKind, o: WorkloadObject): k8s.V1PodSpec | undefined {
  switch (kind) {
    case 'Pod':
      return o.spec;
    case 'CronJob':
      return o.spec?.jobTemplate?.spec?.template?.spec;
    default:
      return o.spec?.template?.spec;
  }
}

/** One page of a paginated list call. */
export interface WorkloadPage {
  readonly items: readonly WorkloadObject[];
  /** The continue token of the next page; undefined or empty on the last page. */
  readonly continueToken?: string;
}

/** Lists one kind across all namespaces, one page at a time (`limit` + `continue`). */
export type WorkloadLister = (
  kind: WorkloadKind,
  limit: number,
  continueToken?: string,
) => Promise<WorkloadPage>;

/** Result of {@link collectWorkloadImages}. */
export interface CollectedWorkloadImages {
  readonly uses: WorkloadImageUse[];
  /** List calls made (one per page). */
  readonly apiCalls: number;
  /** Objects read, by kind. */
  readonly objects: Record<WorkloadKind, number>;
}

/** Options of {@link collectWorkloadImages}. */
export interface CollectOptions {
  /**
   * Items per list call.
   * @default 500
   */
  readonly pageSize?: number;
}

/**
 * Reads every workload of {@link WORKLOAD_KINDS} through `list`, following continue tokens
 * until the last page. The kinds are listed concurrently, pages of one kind in order. When a
 * continue token has expired (HTTP 410), that kind's listing restarts once from the beginning.
 */
export async function collectWorkloadImages(
  list: WorkloadLister,
  options: CollectOptions = {},
): Promise<CollectedWorkloadImages> {
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new Error(`'pageSize' must be a positive integer, got ${pageSize}`);
  }
  let apiCalls = 0;
  const objects = Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, 0])) as Record<WorkloadKind, number>;
  const listKind = async (kind: WorkloadKind, restarts: number): Promise<WorkloadImageUse[]> => {
    const uses: WorkloadImageUse[] = [];
    let read = 0;
    let token: string | undefined;
    do {
      let page: WorkloadPage;
      try {
        apiCalls++;
        page = await list(kind, pageSize, token);
      } catch (err) {
        if (token !== undefined && isGone(err) && restarts > 0) return listKind(kind, restarts - 1);
        throw new Error(`listing ${kind}s failed: ${errorMessage(err)}`);
      }
      for (const item of page.items) uses.push(...imageUsesOf(kind, item));
      read += page.items.length;
      token = page.continueToken || undefined;
    } while (token !== undefined);
    objects[kind] = read;
    return uses;
  };
  const perKind = await Promise.all(WORKLOAD_KINDS.map((kind) => listKind(kind, 1)));
  return { uses: perKind.flat(), apiCalls, objects };
}

/** The list (and watch) path of each workload kind, across all namespaces. */
export const WORKLOAD_PATHS: Record<WorkloadKind, string> = {
  Deployment: '/apis/apps/v1/deployments',
  StatefulSet: '/apis/apps/v1/statefulsets',
  DaemonSet: '/apis/apps/v1/daemonsets',
  Job: '/apis/batch/v1/jobs',
  CronJob: '/apis/batch/v1/cronjobs',
  Pod: '/api/v1/pods',
};

/** One page of a workload list. */
export type WorkloadListCall = (page?: {
  limit?: number;
  _continue?: string;
}) => Promise<{ items: WorkloadObject[]; metadata?: k8s.V1ListMeta }>;

/** The list call (all namespaces) of each workload kind, on client-node's API clients. */
export function workloadListCalls(
  apps: k8s.AppsV1Api,
  batch: k8s.BatchV1Api,
  core: k8s.CoreV1Api,
): Record<WorkloadKind, WorkloadListCall> {
  return {
    Deployment: (p) => apps.listDeploymentForAllNamespaces(p),
    StatefulSet: (p) => apps.listStatefulSetForAllNamespaces(p),
    DaemonSet: (p) => apps.listDaemonSetForAllNamespaces(p),
    Job: (p) => batch.listJobForAllNamespaces(p),
    CronJob: (p) => batch.listCronJobForAllNamespaces(p),
    Pod: (p) => core.listPodForAllNamespaces(p),
  };
}

/**
 * A {@link WorkloadLister} backed by the Kubernetes API of a kubeconfig (path, `KUBECONFIG`-style
 * list, content or loaded KubeConfig; defaults as kubectl does, see loadKubeConfig).
 */
export function kubeWorkloadLister(kubeconfig?: string | k8s.KubeConfig): WorkloadLister {
  // Loaded on first use: @kubernetes/client-node is an ES module (see loadClientNode).
  const { kubeCall, kubeClient, loadClientNode, loadKubeConfig } =
    require('./io/kube') as typeof import('./io/kube');
  const k = loadClientNode();
  const kc = loadKubeConfig(kubeconfig);
  const listers = workloadListCalls(
    kubeClient(k.AppsV1Api, kc),
    kubeClient(k.BatchV1Api, kc),
    kubeClient(k.CoreV1Api, kc),
  );
  return async (kind, limit, continueToken) => {
    const list = await kubeCall('GET', WORKLOAD_PATHS[kind], () =>
      listers[kind]({ limit, _continue: continueToken }),
    );
    return { items: list.items, continueToken: list.metadata?._continue };
  };
}

/** Options of {@link WorkloadIndexCache}. */
export interface WorkloadIndexCacheOptions extends WorkloadIndexOptions, CollectOptions {
  /**
   * How long a built index is reused, in seconds; 0 rebuilds on every call.
   * @default 300
   */
  readonly cacheTtlSeconds?: number;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** What {@link WorkloadIndexCache.get} returns. */
export interface CachedWorkloadIndex {
  readonly index: WorkloadIndex;
  /** List calls made by this call: 0 when served from the cache. */
  readonly apiCalls: number;
  /** Whether the index came from the cache. */
  readonly cached: boolean;
  /** When the index was built (ms since the epoch). */
  readonly builtAt: number;
}

/**
 * Builds the workload index from a lister and reuses it for `cacheTtlSeconds`. Concurrent
 * callers during a build share the same build; a failed build is not cached.
 */
export class WorkloadIndexCache {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private entry?: { builtAt: number; index: Promise<{ index: WorkloadIndex; apiCalls: number }> };

  constructor(
    private readonly list: WorkloadLister,
    private readonly options: WorkloadIndexCacheOptions = {},
  ) {
    const ttl = options.cacheTtlSeconds ?? 300;
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new Error(`'cacheTtlSeconds' must be a number of seconds of at least 0, got ${ttl}`);
    }
    this.ttlMs = ttl * 1000;
    this.now = options.now ?? Date.now;
  }

  public async get(): Promise<CachedWorkloadIndex> {
    const now = this.now();
    const entry = this.entry;
    if (entry && now - entry.builtAt < this.ttlMs) {
      const { index } = await entry.index;
      return { index, apiCalls: 0, cached: true, builtAt: entry.builtAt };
    }
    const building = collectWorkloadImages(this.list, this.options).then((c) => ({
      index: new WorkloadIndex(c.uses, this.options),
      apiCalls: c.apiCalls,
    }));
    const fresh = { builtAt: now, index: building };
    this.entry = fresh;
    try {
      const built = await building;
      return { index: built.index, apiCalls: built.apiCalls, cached: false, builtAt: now };
    } catch (err) {
      if (this.entry === fresh) this.entry = undefined;
      throw err;
    }
  }

  /** Forgets the cached index. */
  public invalidate(): void {
    this.entry = undefined;
  }
}

function parseNormalized(image: string): { repository: string; tag?: string; digest?: string } | undefined {
  let normalized: string;
  try {
    normalized = canonicalImage(image);
  } catch {
    return undefined;
  }
  let rest = normalized;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

function objectKey(kind: WorkloadKind, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}

function prefixKey(repository: string, prefix: string): string {
  return `${repository}\u0000${prefix}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function compareUses(a: WorkloadImageUse, b: WorkloadImageUse): number {
  return (
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    cmp(a.namespace, b.namespace) ||
    cmp(a.name, b.name) ||
    cmp(a.container, b.container) ||
    cmp(a.containerType, b.containerType)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function publicUse(u: IndexedUse): WorkloadImageUse {
  return {
    kind: u.kind,
    namespace: u.namespace,
    name: u.name,
    container: u.container,
    containerType: u.containerType,
    image: u.image,
  };
}

function isGone(err: unknown): boolean {
  const e = err as { status?: number; code?: number; statusCode?: number };
  return e?.status === 410 || e?.code === 410 || e?.statusCode === 410;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
