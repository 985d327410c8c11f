// An in-memory stand-in for the apiserver, for unit tests of the policy sync's orchestration
// (sync-kyverno-policies, sync-executor, lease-lock). It keeps objects by group, resource,
// namespace and name with resourceVersions and uids, and answers the requests the sync makes as
// the apiserver does: list (all namespaces or one), get, create (409 when taken), update (409 on a
// stale resourceVersion), delete (409 when a precondition fails), `dryRun=All` writing nothing.
// Real-apiserver behaviour is proven by the e2e tests; this only makes the paths reachable.
import {
  KubeApiError,
  KubeList,
  KubeObjectClient,
  KubeResource,
  KubeWriteOptions,
  resourcePath,
} from '../../core/io/kube';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;

/** One request the fake received. */
export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly dryRun: boolean;
  readonly body?: unknown;
}

/** Replaces the fake's answer to one request: return a value to answer it, throw to fail it, undefined to fall through. */
export type Interceptor = (call: FakeCall) => unknown;

const KINDS: Record<string, string> = {
  clusterpolicies: 'ClusterPolicy',
  policies: 'Policy',
  leases: 'Lease',
  validatingpolicies: 'ValidatingPolicy',
  imagevalidatingpolicies: 'ImageValidatingPolicy',
  mutatingpolicies: 'MutatingPolicy',
  generatingpolicies: 'GeneratingPolicy',
  deletingpolicies: 'DeletingPolicy',
  namespacedvalidatingpolicies: 'NamespacedValidatingPolicy',
  namespacedimagevalidatingpolicies: 'NamespacedImageValidatingPolicy',
  namespacedmutatingpolicies: 'NamespacedMutatingPolicy',
  namespacedgeneratingpolicies: 'NamespacedGeneratingPolicy',
  namespaceddeletingpolicies: 'NamespacedDeletingPolicy',
};

const PATH = /^\/apis\/([a-z0-9.]+)\/(v[0-9a-z]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

function status(method: string, path: string, code: number, reason: string, message: string): KubeApiError {
  return new KubeApiError(method, path, code, reason, message);
}

export class FakeKubeClient implements KubeObjectClient {
  /** Stored objects by `group/resource/namespace/name`. */
  readonly objects = new Map<string, Obj>();
  /** Every request, in order. */
  readonly calls: FakeCall[] = [];
  /** Resources (plural) the fake answers 404 for, as a cluster without their CRD. */
  readonly missing = new Set<string>();
  /** Consulted first for every request. */
  intercept: Interceptor | undefined;
  private rv = 100;
  private uid = 0;

  /** Stores an object as if created earlier; returns it with its resourceVersion and uid. */
  seed(obj: Obj): Obj {
    const [group] = String(obj.apiVersion).split('/');
    const plural = Object.keys(KINDS).find((p) => KINDS[p] === obj.kind)!;
    const stored = {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv), uid: `uid-${++this.uid}` },
    };
    this.objects.set(this.key(group, plural, obj.metadata.namespace, obj.metadata.name), stored);
    return stored;
  }

  /** Stored objects of one resource (plural), e.g. `clusterpolicies`. */
  stored(plural: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.split('/')[1] === plural).map(([, v]) => v);
  }

  /** The writes (not dry-run) received: POST, PUT, DELETE. */
  writes(): FakeCall[] {
    return this.calls.filter((c) => c.method !== 'GET' && !c.dryRun);
  }

  private key(group: string, plural: string, ns: string | undefined, name: string): string {
    return `${group}/${plural}/${ns ?? ''}/${name}`;
  }

  list<T>(r: KubeResource): Promise<KubeList<T>> {
    return this.request('GET', resourcePath(r));
  }

  get<T>(r: KubeResource, name: string): Promise<T> {
    return this.request('GET', resourcePath(r, name));
  }

  create<T>(r: KubeResource, body: object, o: KubeWriteOptions = {}): Promise<T> {
    return this.request('POST', resourcePath(r), body, o.dryRun);
  }

  replace<T>(r: KubeResource, name: string, body: object, o: KubeWriteOptions = {}): Promise<T> {
    return this.request('PUT', resourcePath(r, name), body, o.dryRun);
  }

  delete<T>(r: KubeResource, name: string, body?: object): Promise<T> {
    return this.request('DELETE', resourcePath(r, name), body);
  }

  private async request<T>(method: string, path: string, body?: unknown, dryRun = false): Promise<T> {
    const call: FakeCall = { method, path, dryRun, body };
    this.calls.push(call);
    const intercepted = this.intercept?.(call);
    if (intercepted !== undefined) return (await intercepted) as T;
    return this.answer(call) as T;
  }

  private answer({ method, path, dryRun, body }: FakeCall): unknown {
    const m = PATH.exec(path);
    if (!m) throw status(method, path, 404, 'NotFound', `the server could not find the requested resource`);
    const [, group, version, ns, plural, rawName] = m;
    if (this.missing.has(plural) || !(plural in KINDS))
      throw status(method, path, 404, 'NotFound', 'the server could not find the requested resource');
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    const kind = KINDS[plural];
    if (method === 'GET' && name === undefined) {
      const items = [...this.objects.entries()]
        .filter(([k]) => {
          const [g, p, n] = k.split('/');
          return g === group && p === plural && (ns === undefined || n === ns);
        })
        .map(([, v]) => ({ ...v, kind: undefined, apiVersion: undefined }));
      return { apiVersion: `${group}/${version}`, kind: `${kind}List`, metadata: {}, items };
    }
    const b = body as Obj;
    const key = this.key(
      group,
      plural,
      ns ?? (method === 'POST' ? b?.metadata?.namespace : undefined),
      name ?? b?.metadata?.name,
    );
    const current = this.objects.get(key);
    const notFound = (): KubeApiError =>
      status(method, path, 404, 'NotFound', `${plural}.${group} "${name ?? b?.metadata?.name}" not found`);
    switch (method) {
      case 'GET':
        if (!current) throw notFound();
        return { ...current, apiVersion: `${group}/${version}` };
      case 'POST': {
        if (current)
          throw status(
            method,
            path,
            409,
            'AlreadyExists',
            `${plural}.${group} "${b.metadata.name}" already exists`,
          );
        const obj = {
          ...b,
          apiVersion: `${group}/${version}`,
          kind,
          metadata: {
            ...b.metadata,
            ...(ns ? { namespace: ns } : {}),
            uid: dryRun ? undefined : `uid-${++this.uid}`,
            resourceVersion: dryRun ? undefined : String(++this.rv),
          },
        };
        if (!dryRun) this.objects.set(key, obj);
        return obj;
      }
      case 'PUT': {
        if (!current) throw notFound();
        const want = b?.metadata?.resourceVersion;
        if (want !== undefined && want !== current.metadata.resourceVersion) {
          throw status(
            method,
            path,
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${plural}.${group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        const obj = {
          ...b,
          apiVersion: `${group}/${version}`,
          kind,
          metadata: {
            ...b.metadata,
            uid: current.metadata.uid,
            resourceVersion: dryRun ? current.metadata.resourceVersion : String(++this.rv),
          },
        };
        if (!dryRun) this.objects.set(key, obj);
        return obj;
      }
      case 'DELETE': {
        if (!current) throw notFound();
        const pre = b?.preconditions ?? {};
        if (
          (pre.uid !== undefined && pre.uid !== current.metadata.uid) ||
          (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
        ) {
          throw status(method, path, 409, 'Conflict', `Precondition failed: UID or resourceVersion mismatch`);
        }
        this.objects.delete(key);
        return { ...current, apiVersion: `${group}/${version}` };
      }
      default:
        throw status(method, path, 405, 'MethodNotAllowed', `${method} is not allowed`);
    }
  }
}
