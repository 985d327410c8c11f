// KubeRest against a local HTTP server: what is sent, and paths it refuses to send.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApiError, KubeRest } from '../../../core/policy-sync/kube-rest';

let server: http.Server;
let seen: string[];
let rest: KubeRest;

beforeAll(async () => {
  seen = [];
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' });
    res.end(
      req.url?.startsWith('/missing')
        ? JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not here' })
        : JSON.stringify({ kind: 'Thing' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  rest = new KubeRest({
    server: new URL(`http://127.0.0.1:${port}`),
    apply: async () => undefined,
    description: 'test',
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

test('sends the path as given and the query from req.query', async () => {
  expect(
    await rest.request('GET', '/apis/kyverno.io/v1/clusterpolicies', {
      query: { limit: '5', continue: undefined },
    }),
  ).toEqual({ kind: 'Thing' });
  expect(seen).toEqual(['GET /apis/kyverno.io/v1/clusterpolicies?limit=5']);
});

test('a non-2xx answer is a KubeApiError with the Status reason and message', async () => {
  await expect(rest.request('GET', '/missing/x')).rejects.toThrow(
    new KubeApiError('GET', '/missing/x', 404, 'NotFound', 'not here'),
  );
});

test.each([
  '/apis/kyverno.io/v1#x/clusterpolicies',
  '/apis/kyverno.io/v1?x=/clusterpolicies',
  '/apis/kyverno.io/v1/../v1/clusterpolicies',
  '/apis/kyverno.io/v1/./clusterpolicies',
  '/apis//kyverno.io/v1/clusterpolicies',
  '/apis/kyverno.io/v1 /clusterpolicies',
  'apis/kyverno.io/v1/clusterpolicies',
])('refuses the path %j without sending anything', async (path) => {
  await expect(rest.request('POST', path, { body: {} })).rejects.toThrow(
    `POST ${JSON.stringify(path)}: not a plain API path (no '?', '#', '//', '.' or '..' segments); nothing sent`,
  );
  expect(seen).toEqual([]);
});
