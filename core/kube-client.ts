import * as fs from 'node:fs';
import * as k8s from '@kubernetes/client-node';

/**
 * The one place jobforge turns a kubeconfig into a client configuration.
 *
 * @param kubeconfig a path to a kubeconfig file, or the kubeconfig's YAML itself (a value that
 *   contains a newline is taken as content). When omitted: $KUBECONFIG, ~/.kube/config, or the
 *   in-cluster service account, as kubectl does.
 */
export function loadKubeConfig(kubeconfig?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
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
  const kc = kubeconfig instanceof k8s.KubeConfig ? kubeconfig : loadKubeConfig(kubeconfig);
  return kc.makeApiClient(api as unknown as k8s.ApiConstructor<T>);
}
