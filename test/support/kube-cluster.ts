// A real control plane for tests: etcd + kube-apiserver on free 127.0.0.1 ports, started the way
// controller-runtime's envtest starts them, with a generated PKI and an admin kubeconfig (client
// certificate in group system:masters). There is no controller-manager or scheduler: objects are
// stored and validated, nothing runs, namespaces never finish deleting.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestPki, generatePki } from './certs';
import { kubeRequest } from './kube-api';
import { ManagedProcess, freePort, makeTempDir, startProcess, waitFor } from './processes';

export interface KubeCluster {
  /** Path of the admin kubeconfig. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly etcdUrl: string;
  /** Directory holding the PKI, data and logs. */
  readonly dir: string;
  /** The cluster's CA, serving, admin and service-account keys (files under dir). */
  readonly pki: TestPki;
  readonly processes: readonly ManagedProcess[];
  stop(): Promise<void>;
}

export interface StartKubeClusterOptions {
  /** Directory with `etcd` and `kube-apiserver`. */
  readonly binDir: string;
  /** @default 120000 */
  readonly readyTimeoutMs?: number;
}

async function startEtcd(binDir: string, dir: string): Promise<{ proc: ManagedProcess; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const dataDir = path.join(dir, `etcd-data-${attempt}`);
    const proc = startProcess(
      'etcd',
      path.join(binDir, 'etcd'),
      [
        '--name=jobforge',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=jobforge=${peer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      { logFile: path.join(dir, 'etcd.log'), orphanDir: dir },
    );
    try {
      await waitFor(
        'etcd /health',
        async () => {
          if (!proc.running()) throw new Error(`etcd exited:\n${proc.logTail()}`);
          const res = await fetch(`${url}/health`);
          const body = (await res.json()) as { health?: string };
          return body.health === 'true' ? true : undefined;
        },
        { timeoutMs: 30000 },
      );
      return { proc, url };
    } catch (e) {
      await proc.stop();
      // A port taken between freePort() and bind: try again with new ports.
      if (attempt < 3 && /address already in use/.test(proc.logTail(200))) continue;
      throw e;
    }
  }
}

function writeKubeconfig(file: string, server: string, ca: string, cert: string, key: string): void {
  const b64 = (p: string): string => fs.readFileSync(p).toString('base64');
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: jobforge-e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(ca)}`,
    'users:',
    '- name: jobforge-admin',
    '  user:',
    `    client-certificate-data: ${b64(cert)}`,
    `    client-key-data: ${b64(key)}`,
    'contexts:',
    '- name: jobforge-e2e',
    '  context:',
    '    cluster: jobforge-e2e',
    '    user: jobforge-admin',
    '    namespace: default',
    'current-context: jobforge-e2e',
    '',
  ].join('\n');
  fs.writeFileSync(file, yaml, { mode: 0o600 });
}

/** Starts etcd and kube-apiserver and waits until /readyz answers ok. */
export async function startKubeCluster(opts: StartKubeClusterOptions): Promise<KubeCluster> {
  const dir = makeTempDir('kube');
  const pki = generatePki(path.join(dir, 'pki'));
  const etcd = await startEtcd(opts.binDir, dir);
  const procs: ManagedProcess[] = [etcd.proc];
  const stopAll = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await p.stop();
  };
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const server = `https://127.0.0.1:${port}`;
      const apiserver = startProcess(
        'kube-apiserver',
        path.join(opts.binDir, 'kube-apiserver'),
        [
          `--etcd-servers=${etcd.url}`,
          `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
          `--tls-cert-file=${pki.servingCert}`,
          `--tls-private-key-file=${pki.servingKey}`,
          `--client-ca-file=${pki.caCert}`,
          `--secure-port=${port}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--disable-admission-plugins=ServiceAccount',
          '--authorization-mode=RBAC',
          `--service-account-issuer=${server}`,
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          '--profiling=false',
          '--v=1',
        ],
        { logFile: path.join(dir, `kube-apiserver-${attempt}.log`), orphanDir: dir },
      );
      procs.push(apiserver);
      const kubeconfig = path.join(dir, 'kubeconfig');
      writeKubeconfig(kubeconfig, server, pki.caCert, pki.adminCert, pki.adminKey);
      try {
        await waitFor(
          'kube-apiserver /readyz',
          async () => {
            if (!apiserver.running()) throw new Error(`kube-apiserver exited:\n${apiserver.logTail()}`);
            const res = await kubeRequest(kubeconfig, 'GET', '/readyz');
            return res.status === 200 ? true : undefined;
          },
          { timeoutMs: opts.readyTimeoutMs ?? 120000, intervalMs: 250, onTimeout: () => apiserver.logTail() },
        );
      } catch (e) {
        await apiserver.stop();
        procs.pop();
        if (attempt < 3 && /address already in use/.test(apiserver.logTail(200))) continue;
        throw e;
      }
      return {
        kubeconfig,
        server,
        etcdUrl: etcd.url,
        dir,
        pki,
        processes: procs,
        async stop() {
          await stopAll();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
}
