// The image resource controller's managers as `jobforge controller …` child processes (ts-node),
// against the e2e apiserver and moto, with their /metrics and probe ports read from their logs.
import * as http from 'node:http';
import { REPO_ROOT } from './pulumi';
import { ManagedProcess, startProcess, waitFor } from './processes';
import { kubeRequest } from './kube-api';

export interface RunningManager {
  readonly process: ManagedProcess;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Every JSON log line so far. */
  logs(): Array<Record<string, unknown>>;
}

let counter = 0;

/** Starts `jobforge controller <which>` with `args`; resolves once it logged its ports. */
export async function startManager(
  which: 'image-detection' | 'image-creation',
  kubeconfig: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningManager> {
  const proc = startProcess(
    `${which}-${++counter}`,
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      'bin/jobforge.ts',
      'controller',
      which,
      '--kubeconfig',
      kubeconfig,
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env } },
  );
  const logs = (): Array<Record<string, unknown>> =>
    proc
      .logTail(100000)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  const started = await waitFor(
    `${which} manager to start`,
    async () => {
      if (!proc.running()) throw new Error(`${which} exited:\n${proc.logTail()}`);
      return logs().find((l) => typeof l.metricsPort === 'number');
    },
    { timeoutMs: 60_000, onTimeout: () => proc.logTail() },
  );
  return {
    process: proc,
    metricsPort: started.metricsPort as number,
    healthPort: started.healthPort as number,
    logs,
  };
}

/** GET http://127.0.0.1:port/path → status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** The value of a Prometheus sample (sum over the samples matching `name` and every label given). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const API = '/apis/automation.gitops.io/v1beta1';

/** Creates (or replaces the spec of) a custom resource. */
export async function applyCustomResource(
  kubeconfig: string,
  plural: string,
  namespace: string,
  body: { metadata: { name: string } } & Record<string, unknown>,
): Promise<void> {
  const base = `${API}/namespaces/${namespace}/${plural}`;
  const res = await kubeRequest(kubeconfig, 'POST', base, body);
  if (res.status === 409) {
    const patch = await kubeRequest(
      kubeconfig,
      'PATCH',
      `${base}/${body.metadata.name}`,
      { spec: body.spec },
      'application/merge-patch+json',
    );
    if (patch.status >= 300) throw new Error(`PATCH ${plural}: ${patch.status} ${patch.body}`);
    return;
  }
  if (res.status >= 300) throw new Error(`POST ${plural}: ${res.status} ${res.body}`);
}

/** The custom resources of a kind in a namespace. */
export async function listCustomResources<T = Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
  kubeconfig: string,
  plural: string,
  namespace: string,
): Promise<T[]> {
  const res = await kubeRequest(kubeconfig, 'GET', `${API}/namespaces/${namespace}/${plural}`);
  if (res.status >= 300) throw new Error(`GET ${plural}: ${res.status} ${res.body}`);
  return res.json<{ items: T[] }>().items;
}

/** One custom resource, or undefined. */
export async function getCustomResource<T = Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
  kubeconfig: string,
  plural: string,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  const res = await kubeRequest(kubeconfig, 'GET', `${API}/namespaces/${namespace}/${plural}/${name}`);
  if (res.status === 404) return undefined;
  if (res.status >= 300) throw new Error(`GET ${plural}/${name}: ${res.status} ${res.body}`);
  return res.json<T>();
}

/** Events about one object. */
export async function eventsFor(
  kubeconfig: string,
  namespace: string,
  name: string,
): Promise<Array<{ reason: string; message: string; type: string; involvedObject: { kind: string } }>> {
  const q = new URLSearchParams({ fieldSelector: `involvedObject.name=${name}` });
  const res = await kubeRequest(kubeconfig, 'GET', `/api/v1/namespaces/${namespace}/events?${q}`);
  return res.json<{
    items: Array<{ reason: string; message: string; type: string; involvedObject: { kind: string } }>;
  }>().items;
}
