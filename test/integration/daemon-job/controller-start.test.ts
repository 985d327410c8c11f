// The DaemonJob controller's start against a local HTTP apiserver stand-in whose DaemonJob list
// first answers 429 ("storage is (re)initializing", as a CRD just installed does): start() must not
// report synced until that list succeeded, and the DaemonJob then gets its Jobs.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DaemonJobController } from '../../../core/io/daemon-job-controller';
import { loadKubeConfig } from '../../../core/io/kube';

const DAEMON_JOB = {
  apiVersion: 'jobforge.io/v1alpha1',
  kind: 'DaemonJob',
  metadata: { name: 'audit', namespace: 'ops', uid: 'u1', generation: 1, resourceVersion: '5' },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1' }] } },
  },
};

test('start() waits for a DaemonJob list refused with 429, then reconciles what it lists', async () => {
  let djLists = 0;
  const created: string[] = [];
  const watches: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watches.push(res);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/nodes') {
      return json(200, {
        kind: 'NodeList',
        metadata: { resourceVersion: '1' },
        items: [{ metadata: { name: 'n1' } }],
      });
    }
    if (req.method === 'GET' && url.pathname === '/apis/jobforge.io/v1alpha1/daemonjobs') {
      djLists++;
      if (djLists === 1) {
        return json(429, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'storage is (re)initializing',
          reason: 'TooManyRequests',
          details: { retryAfterSeconds: 1 },
          code: 429,
        });
      }
      return json(200, { kind: 'DaemonJobList', metadata: { resourceVersion: '5' }, items: [DAEMON_JOB] });
    }
    if (req.method === 'GET' && url.pathname === '/apis/batch/v1/jobs') {
      return json(200, { kind: 'JobList', metadata: { resourceVersion: '1' }, items: [] });
    }
    if (req.method === 'POST' && url.pathname === '/apis/batch/v1/namespaces/ops/jobs') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const job = JSON.parse(body);
        created.push(job.metadata.name);
        json(201, job);
      });
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => json(200, body ? JSON.parse(body) : {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = loadKubeConfig(
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  const controller = new DaemonJobController({ kubeConfig });
  try {
    await controller.start();
    expect(djLists).toBe(2);
    expect(controller.ready).toBe(true);
    await controller.idle();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatch(/^audit-[0-9a-f]{10}-n1$/);
  } finally {
    await controller.stop();
    for (const w of watches) w.end();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}, 30000);
