// Kyverno's admission controller and background controller (built from the pinned Kyverno module,
// cmd/kyverno and cmd/background-controller) run out of cluster against a live test apiserver, as
// Kyverno's DEVELOPMENT.md "Debugging local code" describes: the CRDs, namespace, ConfigMaps,
// ServiceAccounts and RBAC of Kyverno's own install manifest (config/install-latest-testing.yaml)
// are applied, and the admission controller registers URL webhooks to its local server
// (`--serverIP`). The background controller generates resources (generate rules).
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { kyvernoCrdFiles, kyvernoModuleDir } from './e2e-engines';
import { KubeObject, applyObject, getJson, installCrds, parseManifests, readCrdFiles } from './kube-api';
import { ManagedProcess, freePort, startProcess, waitFor } from './processes';

export const KYVERNO_NAMESPACE = 'kyverno';
/** Kinds taken from Kyverno's install manifest: everything but the workloads, Services and webhooks it runs in cluster. */
const BOOTSTRAP_KINDS = [
  'Namespace',
  'ServiceAccount',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
];

export interface StartKyvernoControllersOptions {
  /** Directory with kyverno-admission-controller and kyverno-background-controller. */
  readonly binDir: string;
  readonly kubeconfig: string;
  /** Where the logs go. */
  readonly dir: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

export interface KyvernoControllers {
  readonly processes: readonly ManagedProcess[];
  stop(): Promise<void>;
}

/** Kyverno's bootstrap objects (no Deployments, Services, webhook configurations or CRDs). */
function bootstrapObjects(): KubeObject[] {
  const file = path.join(kyvernoModuleDir(), 'config', 'install-latest-testing.yaml');
  const objects = parseManifests(fs.readFileSync(file, 'utf8'), file).filter((o) =>
    BOOTSTRAP_KINDS.includes(o.kind),
  );
  return objects.sort((a, b) => (a.kind === 'Namespace' ? -1 : 0) - (b.kind === 'Namespace' ? -1 : 0));
}

function readiness(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/health/readiness', rejectUnauthorized: false, timeout: 5000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Installs Kyverno's CRDs and RBAC, starts both controllers and waits until they serve. */
export async function startKyvernoControllers(
  opts: StartKyvernoControllersOptions,
): Promise<KyvernoControllers> {
  const { kubeconfig, dir } = opts;
  const timeoutMs = opts.timeoutMs ?? 120000;
  await installCrds(kubeconfig, readCrdFiles(kyvernoCrdFiles()), timeoutMs);
  for (const obj of bootstrapObjects()) await applyObject(kubeconfig, obj);

  const env = (serviceAccount: string): NodeJS.ProcessEnv => ({
    ...process.env,
    KYVERNO_NAMESPACE,
    KYVERNO_SERVICEACCOUNT_NAME: serviceAccount,
    KYVERNO_DEPLOYMENT: serviceAccount,
    KYVERNO_POD_NAME: `${serviceAccount}-local`,
    INIT_CONFIG: 'kyverno',
    METRICS_CONFIG: 'kyverno-metrics',
  });
  const procs: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    const [webhookPort, admissionMetrics, backgroundMetrics] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const admission = startProcess(
      'kyverno-admission-controller',
      path.join(opts.binDir, 'kyverno-admission-controller'),
      [
        `--kubeconfig=${kubeconfig}`,
        `--serverIP=127.0.0.1:${webhookPort}`,
        '--webhookServerHost=127.0.0.1',
        `--webhookServerPort=${webhookPort}`,
        `--backgroundServiceAccountName=system:serviceaccount:${KYVERNO_NAMESPACE}:kyverno-background-controller`,
        `--reportsServiceAccountName=system:serviceaccount:${KYVERNO_NAMESPACE}:kyverno-reports-controller`,
        '--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca',
        '--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair',
        '--metricsHost=127.0.0.1',
        `--metricsPort=${admissionMetrics}`,
        '--controllerRuntimeMetricsAddress=0',
      ],
      {
        logFile: path.join(dir, 'kyverno-admission-controller.log'),
        orphanDir: dir,
        env: env('kyverno-admission-controller'),
      },
    );
    procs.push(admission);
    const background = startProcess(
      'kyverno-background-controller',
      path.join(opts.binDir, 'kyverno-background-controller'),
      [
        `--kubeconfig=${kubeconfig}`,
        '--metricsHost=127.0.0.1',
        `--metricsPort=${backgroundMetrics}`,
        '--controllerRuntimeMetricsAddress=0',
      ],
      {
        logFile: path.join(dir, 'kyverno-background-controller.log'),
        orphanDir: dir,
        env: env('kyverno-background-controller'),
      },
    );
    procs.push(background);
    await Promise.all([
      waitFor(
        'Kyverno admission controller: ready, with its webhooks registered',
        async () => {
          if (!admission.running())
            throw new Error(`kyverno-admission-controller exited:\n${admission.logTail()}`);
          if ((await readiness(webhookPort)) !== 200) return undefined;
          const hooks = await getJson<{ items: { metadata: { name: string } }[] }>(
            kubeconfig,
            '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
          );
          return hooks?.items.some((h) => h.metadata.name === 'kyverno-policy-validating-webhook-cfg')
            ? true
            : undefined;
        },
        { timeoutMs, intervalMs: 250, onTimeout: () => admission.logTail() },
      ),
      waitFor(
        'Kyverno background controller: leader',
        async () => {
          if (!background.running())
            throw new Error(`kyverno-background-controller exited:\n${background.logTail()}`);
          const lease = await getJson<{ spec?: { holderIdentity?: string } }>(
            kubeconfig,
            `/apis/coordination.k8s.io/v1/namespaces/${KYVERNO_NAMESPACE}/leases/kyverno-background-controller`,
          );
          return lease?.spec?.holderIdentity ? true : undefined;
        },
        { timeoutMs, intervalMs: 250, onTimeout: () => background.logTail() },
      ),
    ]);
    return { processes: procs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
