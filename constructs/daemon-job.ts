import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import {
  validateAnnotations,
  validateDnsLabel,
  validateDnsSubdomain,
  validateLabels,
} from '../core/dns-name';
import {
  NodeInfo,
  NodeSelectorTermInfo,
  matchesNodeSelector,
  matchesNodeSelectorTerms,
  selectNodes,
  untoleratedTaints,
} from '../core/node-inventory';
import {
  DAEMON_JOB_LABEL,
  DAEMON_JOB_NODE_ANNOTATION,
  perNodeJob,
  perNodeJobName,
  pinAffinity,
} from '../core/daemon-job/per-node-job';
import {
  PodWorkload,
  WorkloadPod,
  addJobSupport,
  defaultWorkloadName,
  buildJobSpec,
  validateJobWorkload,
  workloadLabels,
} from './pod';
import { DaemonJobResourceProps, addDaemonJobResource } from './daemon-job-resource';

export {
  DAEMON_JOB_LABEL,
  DAEMON_JOB_NODE_LABEL,
  DAEMON_JOB_NODE_ANNOTATION,
} from '../core/daemon-job/per-node-job';

/**
 * How a DaemonJob covers its nodes.
 *
 * - `perNode`: one Job per matching node, pinned to it with required node affinity on
 *   `metadata.name` (as the DaemonSet controller pins pods). Each node gets exactly one successful
 *   run; adding a node adds one Job and leaves the others untouched.
 * - `fanOut`: one Job with completions = parallelism = the number of matching nodes, pods kept
 *   apart by required pod anti-affinity on `kubernetes.io/hostname`. CAVEAT: this does not
 *   guarantee one successful run per node. A retried pod may land on a node whose pod already
 *   succeeded (anti-affinity only sees running pods), leaving another node without a run. Use it
 *   only for compatibility with manifests built that way.
 * - `controller`: no Job at synth time: a `jobforge.io/v1alpha1` DaemonJob custom resource that
 *   the DaemonJob controller (`jobforge controller daemonjob`) follows, giving nodes that join
 *   later their Job too. Needs the DaemonJobCrd and a DaemonJobController in the cluster.
 */
export type DaemonJobMode = 'perNode' | 'fanOut' | 'controller';

/** Props of a {@link DaemonJob}: the shared container/job model, less parallelism and completions. */
export interface DaemonJobProps extends DaemonJobResourceProps {
  /**
   * The cluster's nodes (see loadNodes). Matching is on labels (`nodeSelector`, required node
   * affinity) and taints (`tolerations`). Required unless `mode` is controller (which ignores it).
   */
  readonly nodes?: NodeInfo[];
  /** @default 'perNode' */
  readonly mode?: DaemonJobMode;
  /**
   * Build the DaemonJob (with no Job) when no node of `nodes` matches. Otherwise that is an error
   * saying why the first nodes do not match.
   * @default false
   */
  readonly allowNoMatchingNodes?: boolean;
}

/** A Job that runs to completion once on every matching node. */
export class DaemonJob extends PodWorkload {
  /** The Jobs' namespace (undefined: the chart's, or the one they are applied to). */
  public readonly namespace?: string;
  /** The DaemonJob's name (the value of the `jobforge.io/daemon-job` label). */
  public readonly name: string;
  /** The names of the Jobs, in node order (one per node for perNode, one for fanOut, none without nodes). */
  public readonly jobNames: string[];
  /** The matching nodes' names, in inventory order. */
  public readonly nodeNames: string[];
  /** The batch/v1 Jobs, in the order of jobNames. */
  public readonly jobs: k8s.KubeJob[];
  /** The DaemonJob custom resource (mode controller only). */
  public readonly resource?: ApiObject;
  protected readonly pod: WorkloadPod;

  public constructor(scope: Construct, id: string, props: DaemonJobProps) {
    super(scope, id);
    const name = props.name ?? defaultWorkloadName(this, 63);
    const mode = props.mode ?? 'perNode';
    if (mode !== 'perNode' && mode !== 'fanOut' && mode !== 'controller') {
      throw new Error(`'mode' must be perNode, fanOut or controller, got ${JSON.stringify(props.mode)}`);
    }
    const p = props as DaemonJobProps & { parallelism?: unknown; completions?: unknown };
    for (const field of ['parallelism', 'completions'] as const) {
      if (p[field] !== undefined) {
        throw new Error(
          `'${field}' is not a DaemonJob prop (the nodes decide it), got ${JSON.stringify(p[field])}`,
        );
      }
    }
    validateDnsLabel('name', name);
    if (mode === 'controller') {
      this.name = name;
      const parts = addDaemonJobResource(this, props, name);
      this.resource = parts.resource;
      this.pod = parts.pod;
      this.jobs = [];
      this.jobNames = [];
      this.nodeNames = [];
      this.namespace = props.namespace ?? Chart.of(this).namespace;
      return;
    }
    if (props.nodeRemovalPolicy !== undefined) {
      throw new Error(
        `'nodeRemovalPolicy' only applies with mode controller, got ${JSON.stringify(props.nodeRemovalPolicy)}`,
      );
    }
    validateNodes(props.nodes);
    const nodes = props.nodes!;
    const requiredTerms =
      props.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    const matched = selectNodes(nodes, {
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      requiredTerms: requiredTerms as NodeSelectorTermInfo[] | undefined,
    });
    if (matched.length === 0 && props.allowNoMatchingNodes !== true) {
      throw new Error(noMatchMessage(props, requiredTerms as NodeSelectorTermInfo[] | undefined));
    }
    const count = mode === 'fanOut' ? matched.length : 1;
    validateJobWorkload(props, name, {
      completionsGiven: count,
      completions: count,
      parallelism: count,
      maxNameLength: 63,
    });

    // Every name is decided (and checked) before anything is created.
    const perNodeNames =
      mode === 'perNode'
        ? matched.map((node) => perNodeJobName(name, node.name, { completionMode: props.completionMode }))
        : [];
    // Each per-node Job also carries the node's name as an annotation: within the 256 KiB too.
    const longest =
      mode === 'perNode' ? matched.reduce((a, n) => (n.name.length > a.length ? n.name : a), '') : '';
    if (longest !== '' && props.annotations !== undefined) {
      validateAnnotations('annotations', { ...props.annotations, [DAEMON_JOB_NODE_ANNOTATION]: longest });
    }
    const seen = new Map<string, string>();
    perNodeNames.forEach((jobName, i) => {
      const clash = seen.get(jobName);
      if (clash !== undefined) {
        throw new Error(
          `'nodes' ${JSON.stringify(clash)} and ${JSON.stringify(matched[i].name)} map to the same Job name ${JSON.stringify(jobName)}`,
        );
      }
      seen.set(jobName, matched[i].name);
    });

    const support = addJobSupport(this, props, name);
    const labels = { ...workloadLabels(name, props.labels), [DAEMON_JOB_LABEL]: name };
    this.pod = new WorkloadPod(props, support);
    // Job specs are built at synthesis, so containers, volumes and variables added later land in them.
    const jobs: k8s.KubeJob[] = [];
    const jobNames: string[] = [];
    const namespace = props.namespace;

    if (mode === 'perNode') {
      const jobTemplate = () => ({
        name,
        namespace,
        metadata: { labels, annotations: props.annotations },
        spec: buildJobSpec(props, this.pod.template(labels), {
          completions: 1,
          parallelism: 1,
          suspend: props.suspend,
        }),
      });
      for (const node of matched) {
        const job = perNodeJob(jobTemplate(), node.name);
        jobs.push(
          new k8s.KubeJob(this, `Job-${node.name}`, {
            metadata: job.metadata,
            spec: Lazy.any({ produce: () => perNodeJob(jobTemplate(), node.name).spec }),
          }),
        );
        jobNames.push(job.metadata.name);
      }
    } else if (matched.length > 0) {
      const pinned = pinAffinity(
        props.affinity,
        matched.map((n) => n.name),
      );
      const antiAffinity: k8s.PodAffinityTerm = {
        labelSelector: { matchLabels: { [DAEMON_JOB_LABEL]: name } },
        topologyKey: 'kubernetes.io/hostname',
      };
      const user = props.affinity?.podAntiAffinity;
      const affinity: k8s.Affinity = {
        ...pinned,
        podAntiAffinity: {
          ...user,
          requiredDuringSchedulingIgnoredDuringExecution: [
            ...(user?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
            antiAffinity,
          ],
        },
      };
      jobs.push(
        new k8s.KubeJob(this, 'Resource', {
          metadata: { name, namespace, labels, annotations: props.annotations },
          spec: Lazy.any({
            produce: () =>
              buildJobSpec(props, this.pod.template(labels, affinity), {
                completions: matched.length,
                parallelism: matched.length,
                suspend: props.suspend,
              }),
          }),
        }),
      );
      jobNames.push(name);
    }

    this.name = name;
    this.jobs = jobs;
    this.jobNames = jobNames;
    this.nodeNames = matched.map((n) => n.name);
    this.namespace = namespace ?? Chart.of(this).namespace;
  }
}

/** Why no node matches: the selection and, for the first nodes, what keeps each one out. */
function noMatchMessage(props: DaemonJobProps, requiredTerms: NodeSelectorTermInfo[] | undefined): string {
  const nodes = props.nodes ?? [];
  const why = nodes.slice(0, 3).map((node) => {
    if (!matchesNodeSelector(node, props.nodeSelector)) return `${JSON.stringify(node.name)}: nodeSelector`;
    if (!matchesNodeSelectorTerms(node, requiredTerms)) return `${JSON.stringify(node.name)}: affinity`;
    const taints = untoleratedTaints(node, props.tolerations).map((t) => `${t.key}:${t.effect}`);
    return `${JSON.stringify(node.name)}: untolerated taints ${JSON.stringify(taints)}`;
  });
  const more = nodes.length > 3 ? `, and ${nodes.length - 3} more` : '';
  return (
    `'nodes' has no node the DaemonJob matches (nodeSelector ${JSON.stringify(props.nodeSelector ?? {})}, ` +
    `${props.tolerations?.length ?? 0} tolerations), got ${nodes.length} nodes` +
    (why.length > 0 ? ` (${why.join('; ')}${more})` : '') +
    '; set allowNoMatchingNodes: true to build it without Jobs'
  );
}

function validateNodes(nodes: NodeInfo[] | undefined): asserts nodes is NodeInfo[] {
  if (!Array.isArray(nodes)) throw new Error(`'nodes' must be a list of nodes, got ${JSON.stringify(nodes)}`);
  const names = new Set<string>();
  nodes.forEach((node, i) => {
    validateDnsSubdomain(`nodes[${i}].name`, node?.name);
    if (names.has(node.name))
      throw new Error(`'nodes' must have unique names, got ${JSON.stringify(node.name)} twice`);
    names.add(node.name);
    validateLabels(`nodes[${i}].labels`, node.labels as Record<string, string> | undefined);
    for (const taint of node.taints ?? []) {
      if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect)) {
        throw new Error(
          `'nodes[${i}].taints' effect must be NoSchedule, PreferNoSchedule or NoExecute, got ${JSON.stringify(taint.effect)}`,
        );
      }
    }
  });
}
