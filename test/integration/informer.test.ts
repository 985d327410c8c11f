// The informer loop (core/io/informer.ts) against a local HTTP server that plays the apiserver's
// watch: what stop() releases.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInformer } from '../../core/io/informer';
import { loadKubeConfig } from '../../core/io/kube';
import { waitFor } from '../support/processes';

let server: http.Server;
let url: string;
/** Watch requests the server holds: `open` until the client goes away. */
let watches: { open: boolean; answer: () => void }[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (!/[?&]watch=true/.test(req.url ?? '')) {
      res.writeHead(404).end();
      return;
    }
    // A watch: the headers go out when the test says so, then the stream stays open (as the
    // apiserver's does) until the client closes it.
    const w = {
      open: true,
      answer: () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
      },
    };
    res.on('close', () => (w.open = false));
    watches.push(w);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => (watches = []));

function kubeConfig() {
  return loadKubeConfig(
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: me',
      '  user: {token: abc}',
      'contexts:',
      '- name: local',
      '  context: {cluster: local, user: me}',
      'current-context: local',
      '',
    ].join('\n'),
  );
}

const openWatches = (): number => watches.filter((w) => w.open).length;

test('stop() while the watch request is on its way: the watch is closed once it connects', async () => {
  // client-node's ListWatch aborts only a watch it already holds: one still connecting when
  // stop() ran used to stay open (a socket keeping the process alive) until the apiserver ended it.
  const informer = startInformer(kubeConfig(), '/api/v1/namespaces', async () => ({ items: [] }), {});
  await waitFor('the watch request', async () => (watches.length === 1 ? true : undefined), {
    timeoutMs: 5_000,
  });
  await informer.stop();
  watches[0].answer();
  await waitFor('the watch to be closed', async () => (openWatches() === 0 ? true : undefined), {
    timeoutMs: 3_000,
  });
  expect(watches).toHaveLength(1);
});

test('stop() while the list is in flight: no watch is opened after it', async () => {
  let release!: () => void;
  const listed = new Promise<void>((r) => (release = r));
  let lists = 0;
  const informer = startInformer(
    kubeConfig(),
    '/api/v1/namespaces',
    async () => {
      lists++;
      await listed;
      return { items: [] };
    },
    {},
  );
  await waitFor('the list call', async () => (lists === 1 ? true : undefined), { timeoutMs: 5_000 });
  await informer.stop();
  release();
  // A watch that the old loop opened after stop() arrives within these round trips.
  for (let i = 0; i < 20 && watches.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  for (const w of watches) w.answer();
  await waitFor('no watch left open', async () => (openWatches() === 0 ? true : undefined), {
    timeoutMs: 3_000,
  });
});
