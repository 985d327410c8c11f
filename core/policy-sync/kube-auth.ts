import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type * as YAMLModule from 'yaml';
/** `yaml`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const yamlLib = (): typeof YAMLModule => require('yaml') as typeof YAMLModule;

/** Where the apiserver is and how to authenticate to it, for one request at a time. */
export interface KubeTarget {
  /** The apiserver URL. */
  readonly server: URL;
  /** Adds TLS material and credentials to the request options. */
  apply(opts: https.RequestOptions): Promise<void>;
  /** For messages: context or in-cluster. */
  readonly description: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface NamedCluster {
  name: string;
  cluster: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user?: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context: { cluster: string; user?: string };
}

function fromKubeConfigObject(kc: KubeConfig): KubeTarget {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("'kubeconfig' has no current cluster");
  return {
    server: new URL(cluster.server),
    description: `context ${kc.getCurrentContext()}`,
    apply: async (opts) => {
      await kc.applyToHTTPSOptions(opts);
    },
  };
}

function readMaybe(base: string, file: unknown): Buffer | undefined {
  if (typeof file !== 'string' || file === '') return undefined;
  return fs.readFileSync(path.isAbsolute(file) ? file : path.join(base, file));
}

function b64(v: unknown): Buffer | undefined {
  return typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64') : undefined;
}

/**
 * Resolves the apiserver and credentials of a kubeconfig without @kubernetes/client-node (an ES
 * module that CommonJS test runners cannot load): server, CA, client certificate and key (data or
 * files), bearer token or token file, basic auth, insecure-skip-tls-verify. A user with an `exec`
 * or `auth-provider` plugin is handed to @kubernetes/client-node's KubeConfig, loaded then.
 *
 * @param kubeconfig a path, the YAML content (contains a newline), a loaded KubeConfig, or
 *   undefined: $KUBECONFIG (first file), ~/.kube/config, else the in-cluster service account.
 */
export function resolveKubeTarget(kubeconfig?: string | KubeConfig): KubeTarget {
  if (kubeconfig !== undefined && typeof kubeconfig === 'object') return fromKubeConfigObject(kubeconfig);
  let text: string | undefined;
  let base = process.cwd();
  let origin = 'kubeconfig content';
  if (typeof kubeconfig === 'string' && kubeconfig.includes('\n')) {
    text = kubeconfig;
  } else {
    const file =
      kubeconfig ||
      (process.env.KUBECONFIG ?? '').split(path.delimiter).find((f) => f !== '') ||
      (fs.existsSync(path.join(os.homedir(), '.kube', 'config'))
        ? path.join(os.homedir(), '.kube', 'config')
        : undefined);
    if (file === undefined) return inCluster();
    if (!fs.existsSync(file))
      throw new Error(`'kubeconfig' file does not exist, got ${JSON.stringify(file)}`);
    text = fs.readFileSync(file, 'utf8');
    base = path.dirname(path.resolve(file));
    origin = file;
  }
  const doc = (yamlLib().parse(text) ?? {}) as {
    'current-context'?: string;
    contexts?: NamedContext[];
    clusters?: NamedCluster[];
    users?: NamedUser[];
  };
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']);
  if (!ctx)
    throw new Error(
      `'kubeconfig' has no current context, got ${JSON.stringify(doc['current-context'])} in ${origin}`,
    );
  const cluster = doc.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') {
    throw new Error(
      `'kubeconfig' has no server for cluster ${JSON.stringify(ctx.context.cluster)} in ${origin}`,
    );
  }
  const user = doc.users?.find((u) => u.name === ctx.context.user)?.user ?? {};
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    // Plugins (e.g. `aws eks get-token`): let the official client run them.
    const { loadClientNode } = require('../kube-client') as typeof import('../kube-client');
    const k8s = loadClientNode();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(text);
    return fromKubeConfigObject(kc);
  }
  const ca = b64(cluster['certificate-authority-data']) ?? readMaybe(base, cluster['certificate-authority']);
  const cert = b64(user['client-certificate-data']) ?? readMaybe(base, user['client-certificate']);
  const key = b64(user['client-key-data']) ?? readMaybe(base, user['client-key']);
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  const staticToken = typeof user.token === 'string' ? user.token : undefined;
  const basic =
    typeof user.username === 'string' && typeof user.password === 'string'
      ? `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`
      : undefined;
  return {
    server: new URL(cluster.server),
    description: `context ${ctx.name}`,
    apply: async (opts) => {
      if (ca) opts.ca = ca;
      if (cert) opts.cert = cert;
      if (key) opts.key = key;
      if (insecure) opts.rejectUnauthorized = false;
      const token = tokenFile ? fs.readFileSync(readPath(base, tokenFile), 'utf8').trim() : staticToken;
      const auth = token ? `Bearer ${token}` : basic;
      if (auth) opts.headers = { ...opts.headers, authorization: auth };
    },
  };
}

function readPath(base: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(base, file);
}

function inCluster(): KubeTarget {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host || !fs.existsSync(path.join(SA_DIR, 'token'))) {
    throw new Error(
      "'kubeconfig' not given, got none: no $KUBECONFIG, no ~/.kube/config, and not running in a pod with a service account",
    );
  }
  const ca = fs.readFileSync(path.join(SA_DIR, 'ca.crt'));
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    description: 'in-cluster service account',
    apply: async (opts) => {
      opts.ca = ca;
      // Re-read each time: the kubelet rotates projected tokens.
      opts.headers = {
        ...opts.headers,
        authorization: `Bearer ${fs.readFileSync(path.join(SA_DIR, 'token'), 'utf8').trim()}`,
      };
    },
  };
}
