// A live control plane for e2e tests: etcd + kube-apiserver (kube-cluster.ts) plus
// kube-controller-manager, kube-scheduler and kwok, so Jobs, CronJobs and their pods really run.
// kwok plays the kubelet on fake nodes (Node objects carrying the kwok.x-k8s.io/node=fake
// annotation) and moves pods through the stages in test/e2e/fixtures/kwok: Pending → Running →
// Succeeded for pods owned by a Job, or → Failed with a chosen exit code for pods labelled
// kwok.jobforge.dev/fail-exit-code (see pod-fail.yaml). Kyverno's admission and background
// controllers run out of cluster when asked (kyverno-controllers.ts).
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { KubeObject, applyObject, kubeRequest } from './kube-api';
import { KubeCluster, startKubeCluster } from './kube-cluster';
import { KyvernoControllers, startKyvernoControllers } from './kyverno-controllers';
import { ManagedProcess, freePort, startProcess, waitFor } from './processes';

/** The kwok stage files: node-initialize, node heartbeat, and the pod lifecycle with pod-fail. */
export const KWOK_STAGES_DIR = path.resolve(__dirname, '..', 'e2e', 'fixtures', 'kwok');
/** The annotation (and value) kwok is told to manage nodes by. */
export const KWOK_NODE_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;
/** Pod label: kwok fails the pod (Running → Failed) with this exit code. */
export const FAIL_EXIT_CODE_LABEL = 'kwok.jobforge.dev/fail-exit-code';
/** Pod label, with FAIL_EXIT_CODE_LABEL: only the pod of this completion index fails. */
export const FAIL_INDEX_LABEL = 'kwok.jobforge.dev/fail-index';
/** Pod label, with FAIL_EXIT_CODE_LABEL: how long after it is labelled (and Running) the pod fails (a Go duration). @default 200-300 ms */
export const FAIL_DELAY_LABEL = 'kwok.jobforge.dev/fail-delay';
/** Pod label: how long a Job's pod stays Running before it succeeds (a Go duration, e.g. `8s`). */
export const COMPLETE_DELAY_LABEL = 'kwok.jobforge.dev/complete-delay';

export interface LiveNodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A fake node: kwok makes it Ready; `kubernetes.io/hostname` and `kubernetes.io/os` are added. */
export interface LiveNode {
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly taints?: readonly LiveNodeTaint[];
}

export interface StartLiveClusterOptions {
  /** Directory with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (and, with `kyverno`, Kyverno's controllers). */
  readonly binDir: string;
  /** Nodes to create and wait Ready for before returning. @default - none */
  readonly nodes?: readonly LiveNode[];
  /**
   * Start Kyverno's admission and background controllers out of cluster (Kyverno's CRDs, RBAC
   * and config installed first). @default false
   */
  readonly kyverno?: boolean;
  /** @default 120000 */
  readonly readyTimeoutMs?: number;
}

export interface LiveCluster {
  /** Path of the admin kubeconfig. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Directory holding the PKI, data and every component's log. */
  readonly dir: string;
  /** Seconds each part of the start took, and `total`. */
  readonly timings: Readonly<Record<string, number>>;
  /** Kyverno's controllers, when started. */
  readonly kyverno?: KyvernoControllers;
  /** Creates fake nodes and waits until each one is Ready. */
  addNodes(nodes: readonly LiveNode[]): Promise<void>;
  /** The last lines of each component's log (for failure messages). */
  logTails(lines?: number): string;
  stop(): Promise<void>;
}

/** The Node object kwok manages for `node`. */
export function fakeNodeObject(node: LiveNode): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      annotations: { [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value },
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...node.labels,
      },
    },
    spec: { taints: (node.taints ?? []).map((t) => ({ ...t })) },
  };
}

/** GET https://127.0.0.1:port/healthz of a component serving a self-signed certificate. */
function healthz(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 5000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function waitHealthy(proc: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  await waitFor(
    `${proc.name} /healthz`,
    async () => {
      if (!proc.running()) throw new Error(`${proc.name} exited:\n${proc.logTail()}`);
      return (await healthz(port)) === 200 ? true : undefined;
    },
    { timeoutMs, intervalMs: 250, onTimeout: () => proc.logTail() },
  );
}

/** Ready, and the node lifecycle controller has lifted the not-ready taint (pods can land). */
async function nodeReady(kubeconfig: string, name: string): Promise<boolean> {
  const res = await kubeRequest(kubeconfig, 'GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (res.status !== 200) return false;
  const node = res.json<{
    spec?: { taints?: { key: string }[] };
    status?: { conditions?: { type: string; status: string }[] };
  }>();
  const ready = (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return ready && !(node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready');
}

/** Every stage file of the fixture directory, as one multi-document kwok config. */
function writeKwokConfig(file: string): void {
  const docs = fs
    .readdirSync(KWOK_STAGES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => fs.readFileSync(path.join(KWOK_STAGES_DIR, f), 'utf8'));
  fs.writeFileSync(file, docs.join('\n---\n'));
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (flags as measured
 * in TOOLCHAIN-NOTES), creates `nodes` and waits until they are Ready and the controller-manager
 * has made the default ServiceAccount (its controllers run).
 */
export async function startLiveCluster(opts: StartLiveClusterOptions): Promise<LiveCluster> {
  const t0 = Date.now();
  const timeoutMs = opts.readyTimeoutMs ?? 120000;
  const timings: Record<string, number> = {};
  const mark = (label: string, since: number): void => {
    timings[label] = (Date.now() - since) / 1000;
  };
  const cluster: KubeCluster = await startKubeCluster({ binDir: opts.binDir, readyTimeoutMs: timeoutMs });
  mark('etcd+apiserver', t0);
  const { kubeconfig, dir, pki } = cluster;
  const procs: ManagedProcess[] = [];
  let kyverno: KyvernoControllers | undefined;
  const stop = async (): Promise<void> => {
    await kyverno?.stop();
    await Promise.all(procs.map((p) => p.stop()));
    await cluster.stop();
  };
  const bin = (name: string): string => path.join(opts.binDir, name);
  const logFile = (name: string): string => path.join(dir, `${name}.log`);
  try {
    const t1 = Date.now();
    const [cmPort, schedPort, kwokPort] = [await freePort(), await freePort(), await freePort()];
    const controllerManager = startProcess(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      [
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${cmPort}`,
        `--cert-dir=${path.join(dir, 'controller-manager-certs')}`,
        '--controllers=*',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        '--v=1',
      ],
      { logFile: logFile('kube-controller-manager'), orphanDir: dir },
    );
    procs.push(controllerManager);
    const scheduler = startProcess(
      'kube-scheduler',
      bin('kube-scheduler'),
      [
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        `--cert-dir=${path.join(dir, 'scheduler-certs')}`,
        '--v=1',
      ],
      { logFile: logFile('kube-scheduler'), orphanDir: dir },
    );
    procs.push(scheduler);
    const kwokConfig = path.join(dir, 'kwok-stages.yaml');
    writeKwokConfig(kwokConfig);
    const kwok = startProcess(
      'kwok',
      bin('kwok'),
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${kwokConfig}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value}`,
        '--node-ip=127.0.0.1',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
      ],
      // kwok reads ~/.kwok/kwok.yaml when present: give it a home of its own.
      { logFile: logFile('kwok'), orphanDir: dir, env: { ...process.env, HOME: dir } },
    );
    procs.push(kwok);
    await Promise.all([
      waitHealthy(controllerManager, cmPort, timeoutMs),
      waitHealthy(scheduler, schedPort, timeoutMs),
      waitFor(
        'kwok /healthz',
        async () => {
          if (!kwok.running()) throw new Error(`kwok exited:\n${kwok.logTail()}`);
          const res = await fetch(`http://127.0.0.1:${kwokPort}/healthz`);
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs, intervalMs: 250, onTimeout: () => kwok.logTail() },
      ),
    ]);
    // The controllers run once the ServiceAccount controller has made `default/default`.
    await waitFor(
      'the default ServiceAccount',
      async () =>
        (await kubeRequest(kubeconfig, 'GET', '/api/v1/namespaces/default/serviceaccounts/default'))
          .status === 200
          ? true
          : undefined,
      { timeoutMs, intervalMs: 200, onTimeout: () => controllerManager.logTail() },
    );
    mark('controllers', t1);

    const addNodes = async (nodes: readonly LiveNode[]): Promise<void> => {
      for (const node of nodes) await applyObject(kubeconfig, fakeNodeObject(node));
      await waitFor(
        `nodes ${nodes.map((n) => n.name).join(', ')} Ready`,
        async () => {
          const ready = await Promise.all(nodes.map((n) => nodeReady(kubeconfig, n.name)));
          return ready.every(Boolean) ? true : undefined;
        },
        { timeoutMs, intervalMs: 200, onTimeout: () => kwok.logTail() },
      );
    };
    const t2 = Date.now();
    if (opts.nodes?.length) await addNodes(opts.nodes);
    mark('nodes', t2);
    if (opts.kyverno) {
      const t3 = Date.now();
      kyverno = await startKyvernoControllers({ binDir: opts.binDir, kubeconfig, dir, timeoutMs });
      mark('kyverno', t3);
    }
    mark('total', t0);
    const all = (): ManagedProcess[] => [...cluster.processes, ...procs, ...(kyverno?.processes ?? [])];
    return {
      kubeconfig,
      server: cluster.server,
      dir,
      timings,
      kyverno,
      addNodes,
      logTails: (lines = 20) =>
        all()
          .map((p) => `--- ${p.name}\n${p.logTail(lines)}`)
          .join('\n'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
