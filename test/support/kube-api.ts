// The harness's access to the test apiserver: raw requests to any API path (discovery,
// server-side apply with fieldValidation=Strict, /readyz) sent through @kubernetes/client-node's
// own transport and authentication (core/io/kube), so tests and code share one client.
import * as fs from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { loadClientNode, loadKubeConfig } from '../../core/io/kube';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const configs = new Map<string, k8s.KubeConfig>();

/** The loaded kubeconfig, reloaded when the file changes (a cluster restarted on a new port). */
function kubeConfig(kubeconfig: string): k8s.KubeConfig {
  const st = fs.statSync(kubeconfig);
  const key = `${kubeconfig}\u0000${st.mtimeMs}\u0000${st.size}`;
  let kc = configs.get(key);
  if (!kc) {
    kc = loadKubeConfig(kubeconfig);
    configs.set(key, kc);
  }
  return kc;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request to the cluster of `kubeconfig` (path), as its current user, through client-node. */
export async function kubeRequest(
  kubeconfig: string,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const k = loadClientNode();
  const kc = kubeConfig(kubeconfig);
  const url = new URL(urlPath, kc.getCurrentCluster()!.server);
  const req = new k.RequestContext(url.toString(), method as k8s.HttpMethod);
  req.setHeaderParam('Accept', 'application/json');
  if (body !== undefined) {
    req.setHeaderParam('Content-Type', contentType);
    req.setBody(typeof body === 'string' ? body : JSON.stringify(body));
  }
  req.setSignal(AbortSignal.timeout(30000));
  await kc.applySecurityAuthentication(req);
  let res: k8s.ResponseContext;
  try {
    res = await new k.IsomorphicFetchHttpLibrary().send(req).toPromise();
  } catch (err) {
    throw new Error(`${method} ${url}: ${(err as Error).message}`);
  }
  const text = await res.body.text();
  return { status: res.httpStatusCode, body: text, json: () => JSON.parse(text) };
}

/** Every document of a multi-document YAML string, skipping empty ones. */
export function parseManifests(text: string, source = 'manifest'): KubeObject[] {
  return parseAllDocuments(text)
    .map((d, i) => {
      if (d.errors.length) throw new Error(`${source}: document ${i}: ${d.errors[0].message}`);
      return d.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

async function resourceFor(kubeconfig: string, obj: KubeObject): Promise<ApiResource> {
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const res = await kubeRequest(kubeconfig, 'GET', base);
  if (res.status !== 200) {
    throw new Error(
      `apiVersion ${obj.apiVersion} is not served (GET ${base}: ${res.status} ${res.body.trim()})`,
    );
  }
  const found = res
    .json<{ resources: ApiResource[] }>()
    .resources.find((r) => r.kind === obj.kind && !r.name.includes('/'));
  if (!found) throw new Error(`kind ${obj.kind} is not served in ${obj.apiVersion}`);
  return found;
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.apiVersion} ${obj.kind} ${ns}${obj.metadata?.name}`;
}

export interface ApplyOptions {
  /** Server-side dry run: validated and admitted, never stored. @default false */
  readonly dryRun?: boolean;
  /** @default 'jobforge-e2e' */
  readonly fieldManager?: string;
}

function errorMessage(res: KubeResponse): string {
  try {
    return res.json<{ message: string }>().message;
  } catch {
    return res.body;
  }
}

function objectPath(obj: KubeObject, r: ApiResource, withName: boolean): string {
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  const name = withName ? `/${encodeURIComponent(obj.metadata.name ?? '')}` : '';
  return `${base}${ns}/${r.name}${name}`;
}

/**
 * Server-side apply with `fieldValidation=Strict` (unknown or duplicate fields are errors, not
 * warnings). Throws an Error naming the object and quoting the apiserver's message.
 */
export async function applyObject(
  kubeconfig: string,
  obj: KubeObject,
  opts: ApplyOptions = {},
): Promise<KubeObject> {
  if (!obj.metadata?.name) throw new Error(`object has no metadata.name: ${describe(obj)}`);
  const r = await resourceFor(kubeconfig, obj);
  const q = new URLSearchParams({
    fieldManager: opts.fieldManager ?? 'jobforge-e2e',
    fieldValidation: 'Strict',
    force: 'true',
  });
  if (opts.dryRun) q.set('dryRun', 'All');
  const res = await kubeRequest(
    kubeconfig,
    'PATCH',
    `${objectPath(obj, r, true)}?${q}`,
    obj,
    'application/apply-patch+yaml',
  );
  if (res.status >= 300) throw new Error(`${describe(obj)} rejected (${res.status}): ${errorMessage(res)}`);
  return res.json<KubeObject>();
}

/**
 * What `kubectl create --dry-run=server --validate=strict` does: POST with `dryRun=All` and
 * `fieldValidation=Strict`, so the object goes through decoding, defaulting, validation and
 * admission but is never stored. An object that already exists (409) is checked with a dry-run
 * server-side apply instead. Throws an Error naming the object and quoting the apiserver.
 */
export async function dryRunObject(kubeconfig: string, obj: KubeObject): Promise<KubeObject> {
  if (!obj.metadata?.name) throw new Error(`object has no metadata.name: ${describe(obj)}`);
  const r = await resourceFor(kubeconfig, obj);
  const q = new URLSearchParams({ dryRun: 'All', fieldValidation: 'Strict', fieldManager: 'jobforge-e2e' });
  const res = await kubeRequest(kubeconfig, 'POST', `${objectPath(obj, r, false)}?${q}`, obj);
  if (res.status === 409) return applyObject(kubeconfig, obj, { dryRun: true });
  if (res.status >= 300) throw new Error(`${describe(obj)} rejected (${res.status}): ${errorMessage(res)}`);
  return res.json<KubeObject>();
}

/** Creates the namespace for real if it does not exist. */
export async function ensureNamespace(kubeconfig: string, name: string): Promise<void> {
  await applyObject(kubeconfig, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Applies CustomResourceDefinitions for real and waits until each one is Established. */
export async function installCrds(
  kubeconfig: string,
  crds: readonly KubeObject[],
  timeoutMs = 60000,
): Promise<void> {
  for (const crd of crds) {
    if (crd.kind !== 'CustomResourceDefinition') throw new Error(`not a CRD: ${describe(crd)}`);
    await applyObject(kubeconfig, crd);
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const res = await kubeRequest(
        kubeconfig,
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      const conds = (res.json<{ status?: { conditions?: { type: string; status: string }[] } }>().status
        ?.conditions ?? []) as { type: string; status: string }[];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Reads every CustomResourceDefinition from YAML files (other kinds are ignored). */
export function readCrdFiles(files: readonly string[]): KubeObject[] {
  return files.flatMap((f) =>
    parseManifests(fs.readFileSync(f, 'utf8'), f).filter((o) => o.kind === 'CustomResourceDefinition'),
  );
}

/** GET of an API path as JSON; undefined when it is not found (404). */
export async function getJson<T = KubeObject>(kubeconfig: string, urlPath: string): Promise<T | undefined> {
  const res = await kubeRequest(kubeconfig, 'GET', urlPath);
  if (res.status === 404) return undefined;
  if (res.status >= 300) throw new Error(`GET ${urlPath} failed (${res.status}): ${errorMessage(res)}`);
  return res.json<T>();
}

/** The items of a list path (e.g. /api/v1/namespaces/x/pods), optionally filtered by a label selector. */
export async function listItems<T = KubeObject>(
  kubeconfig: string,
  urlPath: string,
  labelSelector?: string,
): Promise<T[]> {
  const q = labelSelector ? `?${new URLSearchParams({ labelSelector })}` : '';
  const list = await getJson<{ items: T[] }>(kubeconfig, `${urlPath}${q}`);
  return list?.items ?? [];
}

/** A JSON merge patch of the object at an API path. */
export async function mergePatch(kubeconfig: string, urlPath: string, patch: unknown): Promise<KubeObject> {
  const res = await kubeRequest(kubeconfig, 'PATCH', urlPath, patch, 'application/merge-patch+json');
  if (res.status >= 300) throw new Error(`PATCH ${urlPath} failed (${res.status}): ${errorMessage(res)}`);
  return res.json<KubeObject>();
}
