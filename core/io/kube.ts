// The one Kubernetes client: @kubernetes/client-node, configured from a kubeconfig the way kubectl
// reads it, with one error shape (KubeApiError) and one retry policy (429) for every call.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { mergeKubeconfigs } from '../kubeconfig-merge';

/**
 * @kubernetes/client-node, loaded on first use. It is an ES module: Node 20.19+ `require`s it
 * natively, but a test runner's own module system may not (jest without
 * `--experimental-vm-modules` cannot). So it is required through Node's own `require`
 * (`process.getBuiltinModule`, which jest does not replace), and requiring jobforge never loads it.
 */
export function loadClientNode(): typeof k8s {
  const nodeModule = process.getBuiltinModule?.('node:module');
  const nodeRequire = nodeModule ? nodeModule.createRequire(__filename) : require;
  return nodeRequire('@kubernetes/client-node') as typeof k8s;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What a kubeconfig value was, for messages: never its content (it may hold credentials). */
function originOf(kubeconfig: string | undefined, files: readonly string[]): string {
  if (kubeconfig !== undefined && kubeconfig.includes('\n')) return 'the kubeconfig content';
  return files.length === 1 ? JSON.stringify(files[0]) : `the KUBECONFIG files ${JSON.stringify(files)}`;
}

/** One kubeconfig file loaded by client-node: relative certificate paths resolved against its directory. */
function loadFile(k: typeof k8s, file: string, setting: string): k8s.KubeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `'${setting}' file ${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const kc = loadText(k, text, `'${setting}' file ${JSON.stringify(file)}`);
  kc.makePathsAbsolute(path.dirname(path.resolve(file)));
  withTokenFiles(kc, text, path.dirname(path.resolve(file)));
  return kc;
}

function loadText(k: typeof k8s, text: string, what: string): k8s.KubeConfig {
  const kc = new k.KubeConfig();
  try {
    kc.loadFromString(text.trim() === '' ? '{}' : text);
  } catch (err) {
    throw new Error(`${what} is not a valid kubeconfig: ${(err as Error).message}`);
  }
  return kc;
}

/**
 * kubectl's `tokenFile` user field (a bearer token read from a file; client-node reads only
 * `token-file`): the token is read, trimmed, when the kubeconfig is loaded.
 */
function withTokenFiles(kc: k8s.KubeConfig, text: string, base: string): void {
  if (!text.includes('tokenFile')) return;
  const yaml = require('yaml') as typeof import('yaml');
  const doc = (yaml.parse(text) ?? {}) as { users?: { name?: string; user?: { tokenFile?: unknown } }[] };
  const files = new Map(
    (doc.users ?? [])
      .filter((u) => typeof u.user?.tokenFile === 'string' && u.user.tokenFile !== '')
      .map((u) => [u.name, path.resolve(base, u.user!.tokenFile as string)]),
  );
  if (files.size === 0) return;
  const read = (user: string, file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new Error(
        `'kubeconfig' user ${JSON.stringify(user)}: tokenFile ${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  kc.loadFromOptions({
    clusters: kc.getClusters(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
    users: kc
      .getUsers()
      .map((u) =>
        files.has(u.name) && !u.token && !u.authProvider && !u.exec
          ? { ...u, token: read(u.name, files.get(u.name)!) }
          : u,
      ),
  });
}

/**
 * The one place jobforge turns a kubeconfig into a client configuration, with kubectl's rules:
 * every file of a `KUBECONFIG` list is merged (the first file that sets `current-context` decides
 * it, the first definition of a name wins, missing files are skipped); the current context's
 * namespace is kept (see {@link contextNamespace}); `exec` and `auth-provider` users run through
 * client-node. Throws naming the file and the missing entry when the current context, its cluster
 * or its user is not defined.
 *
 * @param kubeconfig a loaded KubeConfig; a path to a kubeconfig file; a `KUBECONFIG`-style list of
 *   paths; or the kubeconfig's YAML itself (a value that contains a newline is taken as content).
 *   When omitted: $KUBECONFIG, ~/.kube/config, else the in-cluster service account.
 */
export function loadKubeConfig(kubeconfig?: string | k8s.KubeConfig): k8s.KubeConfig {
  const k = loadClientNode();
  if (kubeconfig instanceof k.KubeConfig) return checked(kubeconfig, 'the given KubeConfig');
  const given = kubeconfig === '' ? undefined : kubeconfig;
  if (given !== undefined && given.includes('\n')) {
    return checked(loadText(k, given, 'the kubeconfig content'), 'the kubeconfig content');
  }
  if (given !== undefined && !given.includes(path.delimiter)) {
    if (!fs.existsSync(given)) {
      throw new Error(`'kubeconfig' file does not exist, got ${JSON.stringify(given)}`);
    }
    return checked(loadFile(k, given, 'kubeconfig'), originOf(given, [given]));
  }
  const setting = given !== undefined ? 'kubeconfig' : 'KUBECONFIG';
  const list = (given ?? process.env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f !== '');
  if (list.length > 0) {
    const present = list.filter((f) => fs.existsSync(f));
    if (present.length === 0) {
      throw new Error(
        `'${setting}' names no existing file, got ${JSON.stringify(list.join(path.delimiter))}`,
      );
    }
    const merged = mergeKubeconfigs(
      present.map((f) => {
        const kc = loadFile(k, f, setting);
        return {
          clusters: kc.getClusters(),
          users: kc.getUsers(),
          contexts: kc.getContexts(),
          currentContext: kc.getCurrentContext() || undefined,
        };
      }),
    );
    const kc = new k.KubeConfig();
    kc.loadFromOptions(merged);
    return checked(kc, originOf(undefined, present));
  }
  const home = path.join(os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return checked(loadFile(k, home, 'kubeconfig'), JSON.stringify(home));
  if (!process.env.KUBERNETES_SERVICE_HOST || !fs.existsSync(path.join(SA_DIR, 'token'))) {
    throw new Error(
      "'kubeconfig' not given, got none: no $KUBECONFIG, no ~/.kube/config, and not running in a pod with a service account",
    );
  }
  const kc = new k.KubeConfig();
  kc.loadFromCluster();
  return kc;
}

function checked(kc: k8s.KubeConfig, origin: string): k8s.KubeConfig {
  const name = kc.getCurrentContext();
  if (!name) throw new Error(`'kubeconfig' has no current-context in ${origin}`);
  const ctx = kc.getContextObject(name);
  if (!ctx) {
    throw new Error(`'kubeconfig' current-context ${JSON.stringify(name)} is not defined in ${origin}`);
  }
  if (!kc.getCluster(ctx.cluster)) {
    throw new Error(
      `'kubeconfig' context ${JSON.stringify(name)} names cluster ${JSON.stringify(ctx.cluster)}, which is not defined in ${origin}`,
    );
  }
  if (ctx.user && !kc.getUser(ctx.user)) {
    throw new Error(
      `'kubeconfig' context ${JSON.stringify(name)} names user ${JSON.stringify(ctx.user)}, which is not defined in ${origin}`,
    );
  }
  return kc;
}

/** The current context's namespace (in a pod: the service account's), or undefined when it sets none. */
export function contextNamespace(kc: k8s.KubeConfig): string | undefined {
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace?.trim();
  return ns || undefined;
}

/** An apiserver answer that is not 2xx: the one error shape of every Kubernetes call jobforge makes. */
export class KubeApiError extends Error {
  constructor(
    public readonly method: string,
    public readonly path: string,
    public readonly status: number,
    /** The Status `reason` (`NotFound`, `Conflict`, `Invalid`, ...), when the server sent one. */
    public readonly reason: string,
    /** The Status `message`, or the raw body. */
    public readonly detail: string,
    /** The Status `details.retryAfterSeconds` or the Retry-After header, when sent. */
    public readonly retryAfterSeconds?: number,
    /** The Status `details.causes` (the fields a 422 names). */
    public readonly causes: readonly { readonly field?: string; readonly message?: string }[] = [],
  ) {
    super(`${method} ${path}: HTTP ${status}${reason ? ` ${reason}` : ''}: ${detail}`);
    this.name = 'KubeApiError';
  }
}

/** True when `err` is a {@link KubeApiError} with this status. */
export function isStatus(err: unknown, status: number): err is KubeApiError {
  return err instanceof KubeApiError && err.status === status;
}

/** Attempts of one call while the apiserver answers 429 ("retry later"). */
export const KUBE_MAX_ATTEMPTS = 5;
/** The longest wait between two attempts, whatever Retry-After says. */
export const KUBE_MAX_RETRY_WAIT_SECONDS = 10;

/** client-node's ApiException (or anything shaped like it) as a {@link KubeApiError}; other errors named after the call. */
export function toKubeError(method: string, apiPath: string, err: unknown): Error {
  if (err instanceof KubeApiError) return err;
  const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; name?: string };
  if (typeof e?.code === 'number' && e.headers !== undefined && typeof e.headers === 'object') {
    const text = typeof e.body === 'string' ? e.body : Buffer.isBuffer(e.body) ? e.body.toString('utf8') : '';
    let st: {
      reason?: string;
      message?: string;
      details?: { retryAfterSeconds?: number; causes?: { field?: string; message?: string }[] };
    } = {};
    try {
      st = text
        ? JSON.parse(text)
        : typeof e.body === 'object' && e.body !== null
          ? (e.body as typeof st)
          : {};
    } catch {
      st = {};
    }
    const header = Number(e.headers['retry-after']);
    return new KubeApiError(
      method,
      apiPath,
      e.code,
      st.reason ?? (e.code === 401 ? 'Unauthorized' : ''),
      st.message ?? text.slice(0, 300),
      st.details?.retryAfterSeconds ?? (Number.isFinite(header) && header >= 0 ? header : undefined),
      Array.isArray(st.details?.causes) ? st.details.causes : [],
    );
  }
  if (e?.name === 'AbortError')
    return new Error(`${method} ${apiPath}: no answer within ${KUBE_TIMEOUT_MS} ms`);
  // A transport error may quote the Authorization header (an invalid header value): never echo it.
  const message = (err instanceof Error ? err.message : String(err)).replace(
    /\b(Bearer|Basic)\s+\S+/g,
    '$1 <redacted>',
  );
  return new Error(`${method} ${apiPath}: ${message}`);
}

/**
 * Runs one apiserver call: its failure becomes a {@link KubeApiError} (or an Error naming the
 * call), and a 429 (e.g. while a CRD's storage initializes) is retried after its Retry-After
 * (at most {@link KUBE_MAX_RETRY_WAIT_SECONDS}), up to {@link KUBE_MAX_ATTEMPTS} attempts.
 */
export async function kubeCall<T>(method: string, apiPath: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let error: Error;
    try {
      return await call();
    } catch (err) {
      error = toKubeError(method, apiPath, err);
    }
    if (!isStatus(error, 429) || attempt >= KUBE_MAX_ATTEMPTS) throw error;
    const wait = Math.min(error.retryAfterSeconds ?? 1, KUBE_MAX_RETRY_WAIT_SECONDS);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

/** How long one request may take before it is abandoned. */
export const KUBE_TIMEOUT_MS = 60_000;

/** An API client of the given kind (CoreV1Api, BatchV1Api, CustomObjectsApi, ...) for a kubeconfig. */
export function kubeClient<T>(
  api: new (config: k8s.Configuration) => T,
  kubeconfig?: string | k8s.KubeConfig,
): T {
  const k = loadClientNode();
  const kc = loadKubeConfig(kubeconfig);
  const cluster = kc.getCurrentCluster()!;
  const config = k.createConfiguration({
    baseServer: new k.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          ctx.setSignal(AbortSignal.timeout(KUBE_TIMEOUT_MS));
          return ctx;
        },
        post: async (res) => res,
      },
    ],
  });
  return new api(config);
}

/** A collection of objects: API group (`''` for the core group), version, plural and namespace. */
export interface KubeResource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Set for one namespace of a namespaced resource; unset for cluster-scoped ones or all namespaces. */
  readonly namespace?: string;
}

/** The REST path of a collection, or of one object in it (for messages and request logs). */
export function resourcePath(r: KubeResource, name?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespace !== undefined ? `/namespaces/${encodeURIComponent(r.namespace)}` : '';
  return `${base}${ns}/${r.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Options of a write. */
export interface KubeWriteOptions {
  /** Server-side dry-run (`dryRun=All`): validated and admitted, never stored. */
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  /** `Strict`: unknown or duplicate fields are errors. */
  readonly fieldValidation?: 'Strict';
}

/** One page of a list. */
export interface KubeList<T> {
  readonly items?: T[];
  readonly metadata?: { readonly continue?: string; readonly resourceVersion?: string };
}

/**
 * What the policy sync and the Lease lock need from the apiserver: list, get, create, replace and
 * delete of objects of any API group, as JSON. Every failure is a {@link KubeApiError}.
 */
export interface KubeObjectClient {
  list<T = unknown>(
    resource: KubeResource,
    page?: { limit?: number; continue?: string },
  ): Promise<KubeList<T>>;
  get<T = unknown>(resource: KubeResource, name: string): Promise<T>;
  create<T = unknown>(resource: KubeResource, body: object, options?: KubeWriteOptions): Promise<T>;
  replace<T = unknown>(
    resource: KubeResource,
    name: string,
    body: object,
    options?: KubeWriteOptions,
  ): Promise<T>;
  /** Deletes with a DeleteOptions body (preconditions); answers the deleted object or a Status. */
  delete<T = unknown>(resource: KubeResource, name: string, body?: object): Promise<T>;
}

/** A {@link KubeObjectClient} on client-node's CustomObjectsApi (any `/apis/<group>` resource). */
export function kubeObjectClient(kubeconfig?: string | k8s.KubeConfig): KubeObjectClient {
  const api = kubeClient(loadClientNode().CustomObjectsApi, kubeconfig);
  const write = (o: KubeWriteOptions = {}) => ({
    dryRun: o.dryRun ? 'All' : undefined,
    fieldManager: o.fieldManager,
    fieldValidation: o.fieldValidation,
  });
  // Runs inside kubeCall, which prefixes the method and path to a refusal.
  const where = (r: KubeResource, name?: string) => {
    if (r.group === '') throw new Error('the core API group is not served by this client; nothing sent');
    // '', '.' and '..' would be resolved away by the URL (`…/clusterpolicies/.` is the collection).
    for (const [what, v] of [
      ['namespace', r.namespace],
      ['name', name],
    ] as const) {
      if (v === '' || v === '.' || v === '..') {
        throw new Error(`${what} ${JSON.stringify(v)} is not a valid object ${what}; nothing sent`);
      }
    }
    return { group: r.group, version: r.version, plural: r.plural };
  };
  return {
    list: (r, page = {}) =>
      kubeCall('GET', resourcePath(r), () => {
        const q = { ...where(r), limit: page.limit, _continue: page.continue };
        return r.namespace === undefined
          ? api.listClusterCustomObject(q)
          : api.listNamespacedCustomObject({ ...q, namespace: r.namespace });
      }),
    get: (r, name) =>
      kubeCall('GET', resourcePath(r, name), () =>
        r.namespace === undefined
          ? api.getClusterCustomObject({ ...where(r, name), name })
          : api.getNamespacedCustomObject({ ...where(r, name), namespace: r.namespace, name }),
      ),
    create: (r, body, o) =>
      kubeCall('POST', resourcePath(r), () =>
        r.namespace === undefined
          ? api.createClusterCustomObject({ ...where(r), body, ...write(o) })
          : api.createNamespacedCustomObject({ ...where(r), namespace: r.namespace, body, ...write(o) }),
      ),
    replace: (r, name, body, o) =>
      kubeCall('PUT', resourcePath(r, name), () =>
        r.namespace === undefined
          ? api.replaceClusterCustomObject({ ...where(r, name), name, body, ...write(o) })
          : api.replaceNamespacedCustomObject({
              ...where(r, name),
              namespace: r.namespace,
              name,
              body,
              ...write(o),
            }),
      ),
    delete: (r, name, body) =>
      kubeCall('DELETE', resourcePath(r, name), () =>
        r.namespace === undefined
          ? api.deleteClusterCustomObject({ ...where(r, name), name, body })
          : api.deleteNamespacedCustomObject({ ...where(r, name), namespace: r.namespace, name, body }),
      ),
  };
}
