import type * as k8s from '@kubernetes/client-node';
import { NodeInfo, NodeTaint } from './node-inventory';

/**
 * Reads the node inventory (name, labels, taints) of a live cluster, for apps that synthesize a
 * DaemonJob against it. Await it before building the chart: constructs never do I/O.
 *
 * @param kubeconfig a kubeconfig path, `KUBECONFIG`-style list, content or loaded KubeConfig;
 *   defaults as kubectl does (see loadKubeConfig).
 * @returns the nodes sorted by name, so synthesized output is stable.
 */
export async function loadNodes(kubeconfig?: string | k8s.KubeConfig): Promise<NodeInfo[]> {
  // Loaded on first use: @kubernetes/client-node is an ES module (see loadClientNode).
  const { kubeCall, kubeClient, loadClientNode } = require('./io/kube') as typeof import('./io/kube');
  const api = kubeClient(loadClientNode().CoreV1Api, kubeconfig);
  const nodes: NodeInfo[] = [];
  let _continue: string | undefined;
  do {
    const page = await kubeCall('GET', '/api/v1/nodes', () => api.listNode({ limit: 500, _continue }));
    for (const node of page.items) nodes.push(toNodeInfo(node));
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  return nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The inventory view of a core/v1 Node. */
export function toNodeInfo(node: k8s.V1Node): NodeInfo {
  const name = node.metadata?.name;
  if (!name) throw new Error(`node has no metadata.name, got ${JSON.stringify(node.metadata)}`);
  return {
    name,
    labels: { ...(node.metadata?.labels ?? {}) },
    taints: (node.spec?.taints ?? []).map((t): NodeTaint => ({
      key: t.key,
      value: t.value ?? '',
      effect: t.effect as NodeTaint['effect'],
    })),
  };
}
