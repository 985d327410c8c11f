// Container resource requests and limits: the props, the default every container gets, the one
// check of them, and their batch/v1 form.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { show } from '../../core/k8s/field-checks';
import { parseQuantity } from '../../core/quantity';

/** CPU, memory and ephemeral storage quantities (`500m`, `256Mi`, ...). */
export interface ResourceQuantities {
  /** @default - none */
  readonly cpu?: string;
  /** @default - none */
  readonly memory?: string;
  /** @default - none */
  readonly ephemeralStorage?: string;
}

/** Container resource requests and limits. */
export interface ContainerResources {
  /** @default - none */
  readonly requests?: ResourceQuantities;
  /** @default - none */
  readonly limits?: ResourceQuantities;
}

/** The resources a container gets when `resources` is not given. */
export const DEFAULT_RESOURCES: ContainerResources = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};

/** Throws unless `resources` sets only cpu, memory and ephemeralStorage, as non-negative quantities, requests within limits. */
export function validateResources(field: string, resources: ContainerResources | undefined): void {
  if (resources === undefined) return;
  for (const kind of ['requests', 'limits'] as const) {
    for (const [res, q] of Object.entries(resources[kind] ?? {})) {
      if (q === undefined) continue;
      if (!['cpu', 'memory', 'ephemeralStorage'].includes(res)) {
        throw new Error(`'${field}.${kind}' may only set cpu, memory and ephemeralStorage, got ${show(res)}`);
      }
      const n = typeof q === 'string' ? parseQuantity(q) : undefined;
      if (n === undefined || n < 0) {
        throw new Error(
          `'${field}.${kind}.${res}' must be a non-negative quantity such as 500m or 256Mi, got ${show(q)}`,
        );
      }
    }
  }
  for (const res of ['cpu', 'memory', 'ephemeralStorage'] as const) {
    const req = resources.requests?.[res];
    const lim = resources.limits?.[res];
    if (req !== undefined && lim !== undefined && parseQuantity(req)! > parseQuantity(lim)!) {
      throw new Error(`'${field}.requests.${res}' must not exceed limits.${res} (${lim}), got ${show(req)}`);
    }
  }
}

function toKubeQuantities(r: ResourceQuantities | undefined): Record<string, k8s.Quantity> | undefined {
  if (r === undefined) return undefined;
  const out: Record<string, k8s.Quantity> = {};
  if (r.cpu !== undefined) out.cpu = k8s.Quantity.fromString(r.cpu);
  if (r.memory !== undefined) out.memory = k8s.Quantity.fromString(r.memory);
  if (r.ephemeralStorage !== undefined)
    out['ephemeral-storage'] = k8s.Quantity.fromString(r.ephemeralStorage);
  return out;
}

/** `resources` (or {@link DEFAULT_RESOURCES}) as a container's batch/v1 resource requirements. */
export function toKubeResources(resources: ContainerResources | undefined): k8s.ResourceRequirements {
  const res = resources ?? DEFAULT_RESOURCES;
  return { requests: toKubeQuantities(res.requests), limits: toKubeQuantities(res.limits) };
}
