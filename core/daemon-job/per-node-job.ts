import { shortHash, toDnsLabel, toLabelValue } from '../dns-name';
import { NodeSelectorTermInfo } from '../node-inventory';

/** Label on every Job (and pod) of a DaemonJob: the DaemonJob's name. */
export const DAEMON_JOB_LABEL = 'jobforge.io/daemon-job';
/** Label on every per-node Job (and pod): the node's name (hash-suffixed when not a valid label value). */
export const DAEMON_JOB_NODE_LABEL = 'jobforge.io/node';
/** Annotation on every per-node Job: the node's full name. */
export const DAEMON_JOB_NODE_ANNOTATION = 'jobforge.io/node-name';
/** Label on every per-node Job (and pod) the controller makes: the hash of the Job template (the round). */
export const DAEMON_JOB_TEMPLATE_HASH_LABEL = 'jobforge.io/template-hash';

/** A node selector term, with the `matchFields` the pin is added to. */
interface PinnableNodeSelectorTerm extends NodeSelectorTermInfo {
  readonly matchFields?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** The part of a pod's affinity the pin touches; the rest is kept as given. */
interface PinnableAffinity {
  readonly nodeAffinity?: {
    readonly requiredDuringSchedulingIgnoredDuringExecution?: {
      readonly nodeSelectorTerms: readonly PinnableNodeSelectorTerm[];
    };
  };
}

/** The object metadata the per-node Job model reads and writes. */
export interface TemplateMetadata {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What the per-node Job model reads of a Job spec (less parallelism and completions); the rest is kept as given. */
export interface JobSpecShape {
  readonly completionMode?: string;
  readonly template: { readonly metadata?: TemplateMetadata; readonly spec?: object };
}

/** What every per-node Job of one DaemonJob is made from. */
export interface DaemonJobTemplate<Spec extends JobSpecShape> {
  /** The DaemonJob's name: the head of each Job's name and the value of its `jobforge.io/daemon-job` label. */
  readonly name: string;
  /** @default - none (the namespace the Jobs are applied to) */
  readonly namespace?: string;
  /** Labels and annotations of every Job (the pods get the pod template's). */
  readonly metadata?: TemplateMetadata;
  readonly spec: Spec;
  /**
   * The round the Jobs belong to: part of each Job's name and its `jobforge.io/template-hash`
   * label, so a changed template gives every node a new Job. See {@link daemonJobTemplateHash}.
   * @default - none: the Job name is the DaemonJob's and the node's (the construct's synth-time Jobs)
   */
  readonly templateHash?: string;
}

/** A batch/v1 Job as the per-node Job model makes it (plain data). */
export interface PerNodeJob<Spec extends JobSpecShape> {
  readonly apiVersion: 'batch/v1';
  readonly kind: 'Job';
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly spec: Omit<Spec, 'template'> & {
    readonly completions: 1;
    readonly parallelism: 1;
    readonly template: {
      readonly metadata: TemplateMetadata & { readonly labels: Record<string, string> };
      readonly spec: NonNullable<Spec['template']['spec']>;
    };
  };
}

/**
 * The name of the per-node Job of DaemonJob `name` on `nodeName`: `<name>[-<templateHash>]-<node>`
 * as a DNS label, hash-suffixed when lossy or too long (see toDnsLabel). An Indexed Job keeps two
 * characters for its pod hostname (`<job>-0`).
 */
export function perNodeJobName(
  name: string,
  nodeName: string,
  options: { templateHash?: string; completionMode?: string } = {},
): string {
  const maxLength = (options.completionMode ?? 'NonIndexed') === 'Indexed' ? 61 : 63;
  const parts =
    options.templateHash === undefined ? [name, nodeName] : [name, options.templateHash, nodeName];
  return toDnsLabel(parts, maxLength);
}

/** JSON with object keys sorted: the same value always gives the same text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The round of a DaemonJob: a 10-character hash of everything that shapes its Jobs (the Job
 * template, the node selection inside it, the Jobs' labels and annotations). Key order and
 * undefined fields do not change it.
 */
export function daemonJobTemplateHash(template: {
  readonly metadata?: TemplateMetadata;
  readonly spec: unknown;
}): string {
  return shortHash(stableJson({ metadata: template.metadata ?? {}, spec: template.spec }), 10);
}

/**
 * `affinity` with its required node affinity narrowed to `nodeNames`, the way the DaemonSet
 * controller pins pods: a `metadata.name In [node]` matchFields requirement (the apiserver allows
 * one value per node field requirement) added to every user term, one term per node (terms are
 * ORed), or terms with only the pin when the user has none.
 */
export function pinAffinity<A extends object>(affinity: A | undefined, nodeNames: readonly string[]): A {
  const given = affinity as PinnableAffinity | undefined;
  const required = given?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const userTerms: readonly PinnableNodeSelectorTerm[] =
    required && required.nodeSelectorTerms.length > 0 ? required.nodeSelectorTerms : [{}];
  const terms: PinnableNodeSelectorTerm[] = [];
  for (const node of nodeNames) {
    const pin = { key: 'metadata.name', operator: 'In', values: [node] };
    for (const t of userTerms) terms.push({ ...t, matchFields: [...(t.matchFields ?? []), pin] });
  }
  return {
    ...given,
    nodeAffinity: {
      ...given?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
    },
  } as A;
}

/**
 * The Job of DaemonJob `template` for the node `nodeName`: completions = parallelism = 1, pinned
 * to the node by required node affinity on `metadata.name`, named by {@link perNodeJobName},
 * labelled with the DaemonJob, the node (and the round, when there is one) and annotated with the
 * node's full name. The same function renders the construct's synth-time Jobs and the
 * controller's.
 */
export function perNodeJob<Spec extends JobSpecShape>(
  template: DaemonJobTemplate<Spec>,
  nodeName: string,
): PerNodeJob<Spec> {
  const hash = template.templateHash;
  const extra: Record<string, string> = {
    [DAEMON_JOB_LABEL]: template.name,
    [DAEMON_JOB_NODE_LABEL]: toLabelValue(nodeName),
    ...(hash === undefined ? {} : { [DAEMON_JOB_TEMPLATE_HASH_LABEL]: hash }),
  };
  const podSpec = (template.spec.template.spec ?? {}) as { affinity?: object };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: perNodeJobName(template.name, nodeName, {
        templateHash: hash,
        completionMode: template.spec.completionMode,
      }),
      namespace: template.namespace,
      labels: { ...template.metadata?.labels, ...extra },
      annotations: { ...template.metadata?.annotations, [DAEMON_JOB_NODE_ANNOTATION]: nodeName },
    },
    spec: {
      ...template.spec,
      completions: 1,
      parallelism: 1,
      template: {
        metadata: {
          ...template.spec.template.metadata,
          labels: { ...template.spec.template.metadata?.labels, ...extra },
        },
        spec: {
          ...podSpec,
          affinity: pinAffinity(podSpec.affinity, [nodeName]),
        },
      },
    } as PerNodeJob<Spec>['spec'],
  };
}
