import * as fs from 'node:fs';
import type * as k8s from '@kubernetes/client-node';

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

/**
 * The one place jobforge turns a kubeconfig into a client configuration.
 *
 * @param kubeconfig a path to a kubeconfig file, or the kubeconfig's YAML itself (a value that
 *   contains a newline is taken as content). When omitted: $KUBECONFIG, ~/.kube/config, or the
 *   in-cluster service account, as kubectl does.
 */
export function loadKubeConfig(kubeconfig?: string): k8s.KubeConfig {
  const kc = new (loadClientNode().KubeConfig)();
  if (kubeconfig === undefined || kubeconfig === '') {
    kc.loadFromDefault();
  } else if (kubeconfig.includes('\n')) {
    kc.loadFromString(kubeconfig);
  } else {
    if (!fs.existsSync(kubeconfig)) {
      throw new Error(`'kubeconfig' file does not exist, got ${JSON.stringify(kubeconfig)}`);
    }
    kc.loadFromFile(kubeconfig);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`'kubeconfig' has no current cluster, got ${JSON.stringify(kubeconfig ?? 'default')}`);
  }
  return kc;
}

/** An API client of the given kind (CoreV1Api, BatchV1Api, CustomObjectsApi, ...) for a kubeconfig. */
export function kubeClient<T extends k8s.ApiType>(
  api: new (config: k8s.Configuration) => T,
  kubeconfig?: string | k8s.KubeConfig,
): T {
  const kc = kubeconfig instanceof loadClientNode().KubeConfig ? kubeconfig : loadKubeConfig(kubeconfig);
  return kc.makeApiClient(api as unknown as k8s.ApiConstructor<T>);
}
