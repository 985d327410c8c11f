import { App, Chart } from 'cdk8s';

/** A Kubernetes object as a cdk8s construct synthesizes it (JSON). */
export interface KubeObjectJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [field: string]: unknown;
}

/**
 * The objects a cdk8s construct synthesizes: `build` adds it to a fresh in-memory chart, whose
 * JSON (what `cdk8s synth` writes, in the same order) is returned. Nothing is written to disk.
 * The Pulumi components render through this, so one model makes the objects for both.
 */
export function synthObjects<T>(build: (chart: Chart) => T): { objects: KubeObjectJson[]; construct: T } {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'jobforge');
  const construct = build(chart);
  return { objects: chart.toJson() as KubeObjectJson[], construct };
}
