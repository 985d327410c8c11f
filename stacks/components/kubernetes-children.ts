// The @pulumi/kubernetes resources a jobforge component creates for the objects its construct
// renders: one child per object, typed by the object's apiVersion and kind, its fields read from
// the one rendering (so the children keep the dependencies of the component's inputs, and a field
// showing a secret input is secret), created in tiers so a Namespace or a CRD exists before what
// goes in it.
import * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';
import type { Rendering } from './rendering';
import type { KubeObjectJson } from './synth-objects';

/** A @pulumi/kubernetes resource class (`k8s.batch.v1.Job`, ...). */
type KubernetesResourceClass = new (
  name: string,
  args: Record<string, unknown>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** Kinds that run pods: created after every other child of the component (ConfigMaps, Secrets, ServiceAccounts, RBAC). */
const WORKLOAD_KINDS = new Set([
  'Job',
  'CronJob',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Pod',
]);

/** Creation order: CRDs and Namespaces, then other objects, then custom resources and workloads. */
function tierOf(o: KubeObjectJson, builtIn: boolean): number {
  if (o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') return 0;
  if (!builtIn || WORKLOAD_KINDS.has(o.kind)) return 2;
  return 1;
}

/** `kind/namespace/name`: an object's identity within one rendering. */
export function objectKey(o: KubeObjectJson): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/**
 * The @pulumi/kubernetes class of a built-in `apiVersion`/`kind` (`batch/v1` Job →
 * `k8s.batch.v1.Job`; `rbac.authorization.k8s.io/v1` → `k8s.rbac.v1`), or undefined for a kind
 * from a CRD (created as a `k8s.apiextensions.CustomResource`).
 */
export function kubernetesClass(
  lib: typeof k8s,
  apiVersion: string,
  kind: string,
): KubernetesResourceClass | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  // Built-in groups have no dot (apps, batch) or end in .k8s.io; anything else comes from a CRD.
  if (group.includes('.') && !group.endsWith('.k8s.io')) return undefined;
  const module = group === '' ? 'core' : group.split('.')[0];
  const namespace = (lib as unknown as Record<string, Record<string, Record<string, unknown>>>)[module];
  const cls = namespace?.[version]?.[kind];
  return typeof cls === 'function' ? (cls as KubernetesResourceClass) : undefined;
}

/**
 * The value of `output` once it resolves, or undefined when it is unknown (during a preview, when
 * it depends on a resource not created yet). Rejects when the Output does (a construct's error).
 */
export async function knownValue<T>(output: pulumi.Output<T>): Promise<{ value: T } | undefined> {
  // Output's isKnown and promise() are left out of its typings but are what `apply` runs on.
  const o = output as unknown as { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<T> };
  if (!(await o.isKnown)) return undefined;
  return { value: await o.promise() };
}

const byKey = new WeakMap<readonly KubeObjectJson[], Map<string, KubeObjectJson>>();

/**
 * The objects of a rendering by {@link objectKey}, built once per rendering: every field of every
 * child reads its object from it (a search per field was quadratic in the number of objects).
 */
function objectsByKey(objects: readonly KubeObjectJson[]): Map<string, KubeObjectJson> {
  let map = byKey.get(objects);
  if (map === undefined) {
    map = new Map(objects.map((o) => [objectKey(o), o]));
    byKey.set(objects, map);
  }
  return map;
}

/** The Pulumi name of the child for `o`: the component's name, then the object's namespace and name. */
export function childName(component: string, o: KubeObjectJson): string {
  const ns = o.metadata.namespace;
  return `${component}-${ns ? `${ns}/` : ''}${o.metadata.name ?? o.kind.toLowerCase()}`;
}

/**
 * Creates one @pulumi/kubernetes child of `parent` per object of `rendering`, once it is known.
 * Jobs are replaced delete-first (their spec is immutable and their name fixed). Resolves to the
 * children by {@link objectKey}; to no child when the rendering is unknown (a preview whose inputs
 * depend on resources not created yet: the children then show in `pulumi up`).
 */
export async function createKubernetesChildren(
  parent: pulumi.ComponentResource,
  name: string,
  rendering: Rendering<{ readonly objects: KubeObjectJson[] }>,
): Promise<Map<string, pulumi.CustomResource>> {
  // The program must not end while the rendering (which may read the cluster) is under way.
  const done = pulumi.runtime.rpcKeepAlive();
  try {
    return await createChildren(parent, name, rendering);
  } finally {
    done();
  }
}

async function createChildren(
  parent: pulumi.ComponentResource,
  name: string,
  rendering: Rendering<{ readonly objects: KubeObjectJson[] }>,
): Promise<Map<string, pulumi.CustomResource>> {
  const known = await knownValue(rendering.value);
  const children = new Map<string, pulumi.CustomResource>();
  if (known === undefined) {
    pulumi.log.info(
      `the objects of ${name} depend on values not known yet: they are created by pulumi up`,
      parent,
    );
    return children;
  }
  // Loaded here, not with the module: jobforge/pulumi works without @pulumi/kubernetes installed
  // for programs that use only the other components.
  const lib = require('@pulumi/kubernetes') as typeof k8s;
  const tiers: pulumi.CustomResource[][] = [[], [], []];
  const objects = known.value.objects;
  const seen = new Set<string>();
  const ordered = objects
    .map((o) => ({ o, cls: kubernetesClass(lib, o.apiVersion, o.kind) }))
    .map((e) => ({ ...e, tier: tierOf(e.o, e.cls !== undefined) }))
    .sort((a, b) => a.tier - b.tier);
  for (const { o, cls, tier } of ordered) {
    const key = objectKey(o);
    if (seen.has(key)) throw new Error(`${name} renders ${key} twice`);
    seen.add(key);
    const field = (f: string): pulumi.Output<unknown> =>
      rendering.field((r) => objectsByKey(r.objects).get(key)?.[f]);
    const args: Record<string, unknown> = {};
    for (const f of Object.keys(o)) if (f !== 'apiVersion' && f !== 'kind') args[f] = field(f);
    const opts: pulumi.CustomResourceOptions = {
      parent,
      dependsOn: tiers.slice(0, tier).flat(),
      ...(o.kind === 'Job' && o.apiVersion === 'batch/v1' ? { deleteBeforeReplace: true } : {}),
    };
    const child = cls
      ? new cls(childName(name, o), args, opts)
      : new lib.apiextensions.CustomResource(
          childName(name, o),
          { apiVersion: o.apiVersion, kind: o.kind, ...args },
          opts,
        );
    tiers[tier].push(child);
    children.set(key, child);
  }
  return children;
}

/**
 * `value` as an Output that also depends on `children` (their URNs): a resource taking it as an
 * input waits for them, as it would for a child's own output.
 */
export function afterChildren<T>(
  children: Promise<Map<string, pulumi.CustomResource>>,
  value: pulumi.Output<T>,
): pulumi.Output<T> {
  let list: pulumi.CustomResource[] = [];
  const created = children.then((map) => {
    list = [...map.values()];
    return true;
  });
  // An Output returned by apply is lifted with its resources: the result depends on the children.
  return pulumi.output(created).apply(() => pulumi.all(list.map((c) => c.urn)).apply(() => value));
}
