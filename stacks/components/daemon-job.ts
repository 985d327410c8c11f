import * as pulumi from '@pulumi/pulumi';
import { DaemonJob as DaemonJobConstruct, DaemonJobProps } from '../../constructs/daemon-job';
import { loadNodes } from '../../core/load-nodes';
import { NodeInfo } from '../../core/node-inventory';
import { DeepInput, isPlainInput } from './deep-input';
import { InputProps, JobAwaitArgs, awaitAnnotations } from './input-props';
import { ObjectsComponent } from './objects-component';
import { Rendering } from './rendering';
import { KubeObjectJson, synthObjects } from './synth-objects';

/**
 * Args of {@link DaemonJob}: the props of the cdk8s `DaemonJob` as Inputs, with `name` defaulting
 * to the component's name and `nodes` read from the cluster at every `pulumi up` and preview.
 */
export interface DaemonJobArgs extends InputProps<Omit<DaemonJobProps, 'nodes'>>, JobAwaitArgs {
  /**
   * The nodes to run on (mode perNode or fanOut). @default - the live node list of the cluster,
   * read at every `pulumi up` and preview from `kubeconfig` (none with mode controller)
   */
  readonly nodes?: DeepInput<NodeInfo[]>;
  /**
   * The kubeconfig (a path, or the YAML itself) of the cluster the nodes are read from: the
   * cluster the Jobs' provider targets. Give the same one as to an explicit provider.
   * @default - what the default provider uses: the `kubernetes:kubeconfig` stack config, else
   * $KUBECONFIG, else ~/.kube/config (its current context)
   */
  readonly kubeconfig?: DeepInput<string>;
}

interface Rendered {
  readonly objects: KubeObjectJson[];
  readonly namespace?: string;
  readonly name: string;
  readonly jobNames: string[];
  readonly nodeNames: string[];
}

/** The props the DaemonJob component renders with (the nodes come apart). */
type DaemonJobRenderProps = Omit<DaemonJobProps, 'nodes'> & { readonly skipAwait?: boolean };

/** The objects of the cdk8s DaemonJob for `props` and `nodes`. */
export function renderDaemonJob(name: string, props: DaemonJobRenderProps, nodes: NodeInfo[]): Rendered {
  const { skipAwait, ...rest } = props;
  const { objects, construct } = synthObjects(
    (chart) =>
      new DaemonJobConstruct(chart, name, {
        ...rest,
        nodes,
        name: rest.name ?? name,
        annotations: awaitAnnotations(rest.annotations, skipAwait),
      }),
  );
  return {
    objects,
    namespace: construct.namespace,
    name: construct.name,
    jobNames: construct.jobNames,
    nodeNames: construct.nodeNames,
  };
}

/** True when `kubeconfig` is the YAML or JSON itself rather than a path. */
function isContent(kubeconfig: string): boolean {
  return kubeconfig.includes('\n') || /^\s*(\{|apiVersion:)/.test(kubeconfig);
}

/** How the kubeconfig was given, for messages (never its content: it may hold credentials). */
function describeKubeconfig(kubeconfig: string | undefined): string {
  if (kubeconfig === undefined || kubeconfig === '') return 'the default kubeconfig';
  return isContent(kubeconfig)
    ? 'the kubeconfig given as content'
    : `kubeconfig ${JSON.stringify(kubeconfig)}`;
}

/** The cluster's nodes, or an error naming the DaemonJob and the kubeconfig (never its content). */
export async function readClusterNodes(name: string, kubeconfig: string | undefined): Promise<NodeInfo[]> {
  try {
    return await loadNodes(kubeconfig || undefined);
  } catch (err) {
    let why = (err as Error).message;
    // The client's message may quote the kubeconfig: never its content (tokens, keys).
    if (kubeconfig !== undefined && isContent(kubeconfig)) {
      why = why.split(JSON.stringify(kubeconfig)).join('<content>').split(kubeconfig).join('<content>');
    }
    throw new Error(
      `DaemonJob ${JSON.stringify(name)} could not read the nodes of the cluster (${describeKubeconfig(kubeconfig)}): ${why}`,
    );
  }
}

/**
 * A Job that runs to completion once on every matching node, rendered by the cdk8s `DaemonJob`
 * and created with @pulumi/kubernetes. The node list is read from the live cluster during each
 * `pulumi up` (and preview): a node added adds one Job, a node removed deletes its Job, the other
 * Jobs are unchanged. `pulumi up` waits for every Job to complete unless `skipAwait`.
 */
export class DaemonJob extends ObjectsComponent {
  /** The Jobs' namespace (undefined: the provider's default namespace). */
  public readonly namespace: pulumi.Output<string | undefined>;
  /** The DaemonJob's name (the `jobforge.io/daemon-job` label). */
  public readonly daemonJobName: pulumi.Output<string>;
  /** The Jobs' names, in node order. */
  public readonly jobNames: pulumi.Output<string[]>;
  /** The matching nodes' names. */
  public readonly nodeNames: pulumi.Output<string[]>;

  public constructor(name: string, args: DaemonJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const { nodes, kubeconfig, ...props } = args;
    // Plain args are checked before anything is registered (a bad value throws here); the node
    // matching too when the nodes are given.
    if (isPlainInput(props)) {
      const p = props as Omit<DaemonJobProps, 'nodes'>;
      if (nodes !== undefined && isPlainInput(nodes)) renderDaemonJob(name, p, nodes as NodeInfo[]);
      else renderDaemonJob(name, { ...p, allowNoMatchingNodes: true }, []);
    }
    super('jobforge:batch:DaemonJob', name, {}, opts);
    // The default provider's kubeconfig (often a secret config value: read as one).
    const defaultKubeconfig = new pulumi.Config('kubernetes').getSecret('kubeconfig');
    const rendered = new Rendering(
      { props, nodes, kubeconfig: kubeconfig ?? defaultKubeconfig },
      async (plain: { props: DaemonJobRenderProps; nodes?: NodeInfo[]; kubeconfig?: string }) =>
        renderDaemonJob(
          name,
          plain.props,
          // Mode controller leaves the nodes to the in-cluster controller: nothing to read.
          plain.nodes ??
            (plain.props.mode === 'controller' ? [] : await readClusterNodes(name, plain.kubeconfig)),
        ),
    );
    const outputs = this.createChildren(name, rendered, {
      namespace: (r) => r.namespace,
      daemonJobName: (r) => r.name,
      jobNames: (r) => r.jobNames,
      nodeNames: (r) => r.nodeNames,
    });
    this.namespace = outputs.namespace;
    this.daemonJobName = outputs.daemonJobName;
    this.jobNames = outputs.jobNames;
    this.nodeNames = outputs.nodeNames;
    this.registerOutputs(outputs);
  }
}
