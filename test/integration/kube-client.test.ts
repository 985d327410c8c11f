// The one Kubernetes client (@kubernetes/client-node through core/io/kube) against a local HTTP
// server: the requests it sends, its one error shape, its one retry policy (429), and the users
// kubectl supports (token, tokenFile, exec plugin).
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeApiError, kubeObjectClient, KubeResource } from '../../core/io/kube';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

let server: http.Server;
let url: string;
let seen: Seen[];
let answer: (req: Seen) => { status: number; body?: unknown; headers?: Record<string, string> };
let dir: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answer = () => ({ status: 200, body: { kind: 'Thing' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-kube-client-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function kubeconfig(user: string[], server = url): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain HTTP unless TLS verification is off.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: me',
    '  user:',
    ...user.map((l) => `    ${l}`),
    'contexts:',
    '- name: local',
    '  context: {cluster: local, user: me}',
    'current-context: local',
    '',
  ].join('\n');
}

const POLICIES: KubeResource = { group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies' };
const LEASES: KubeResource = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'ops',
};

test('writes carry dryRun, fieldManager and fieldValidation; lists carry limit and continue', async () => {
  const kube = kubeObjectClient(kubeconfig(['token: abc']));
  await kube.create(
    POLICIES,
    { metadata: { name: 'a' } },
    {
      dryRun: true,
      fieldManager: 'jobforge-policy-sync',
      fieldValidation: 'Strict',
    },
  );
  await kube.replace(LEASES, 'lock', { metadata: { name: 'lock' } }, { fieldManager: 'm' });
  await kube.list(POLICIES, { limit: 500, continue: 'tok' });
  await kube.get(LEASES, 'a b');
  await kube.delete(LEASES, 'lock', { kind: 'DeleteOptions', preconditions: { resourceVersion: '7' } });
  expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
    'POST /apis/kyverno.io/v1/clusterpolicies?dryRun=All&fieldManager=jobforge-policy-sync&fieldValidation=Strict',
    'PUT /apis/coordination.k8s.io/v1/namespaces/ops/leases/lock?fieldManager=m',
    'GET /apis/kyverno.io/v1/clusterpolicies?continue=tok&limit=500',
    'GET /apis/coordination.k8s.io/v1/namespaces/ops/leases/a%20b',
    'DELETE /apis/coordination.k8s.io/v1/namespaces/ops/leases/lock',
  ]);
  expect(JSON.parse(seen[0].body)).toEqual({ metadata: { name: 'a' } });
  expect(JSON.parse(seen[4].body)).toEqual({
    kind: 'DeleteOptions',
    preconditions: { resourceVersion: '7' },
  });
  expect(seen.every((s) => s.authorization === 'Bearer abc')).toBe(true);
});

test('a non-2xx answer is a KubeApiError with the Status reason and message', async () => {
  answer = () => ({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'not here' } });
  const kube = kubeObjectClient(kubeconfig(['token: abc']));
  const err = await kube.get(POLICIES, 'x').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KubeApiError);
  expect(err).toMatchObject({ status: 404, reason: 'NotFound', detail: 'not here' });
  expect((err as Error).message).toBe(
    'GET /apis/kyverno.io/v1/clusterpolicies/x: HTTP 404 NotFound: not here',
  );
});

test('a 429 is retried after its Retry-After, then succeeds', async () => {
  let n = 0;
  answer = () =>
    ++n < 3
      ? {
          status: 429,
          body: { kind: 'Status', reason: 'TooManyRequests', message: 'later' },
          headers: { 'retry-after': '0' },
        }
      : { status: 200, body: { kind: 'Thing' } };
  expect(await kubeObjectClient(kubeconfig(['token: abc'])).get(POLICIES, 'x')).toEqual({ kind: 'Thing' });
  expect(seen).toHaveLength(3);
});

test('a 429 that persists fails after 5 attempts with the same error shape', async () => {
  answer = () => ({
    status: 429,
    body: { kind: 'Status', reason: 'TooManyRequests', message: 'later', details: { retryAfterSeconds: 0 } },
  });
  await expect(kubeObjectClient(kubeconfig(['token: abc'])).list(POLICIES)).rejects.toThrow(
    new KubeApiError('GET', '/apis/kyverno.io/v1/clusterpolicies', 429, 'TooManyRequests', 'later', 0),
  );
  expect(seen).toHaveLength(5);
});

test('an apiserver that cannot be reached is an error naming the call, never the token', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const err = (await kubeObjectClient(kubeconfig(['token: s3cret'], `http://127.0.0.1:${port}`))
    .list(POLICIES)
    .catch((e: unknown) => e)) as Error;
  expect(err.message).toMatch(/^GET \/apis\/kyverno\.io\/v1\/clusterpolicies: .*ECONNREFUSED/);
  expect(err.message).not.toContain('s3cret');
});

test("kubectl's tokenFile user: the token is read from the file", async () => {
  fs.writeFileSync(path.join(dir, 'token'), 'from-file\n');
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, kubeconfig(['tokenFile: token']));
  await kubeObjectClient(file).get(POLICIES, 'x');
  expect(seen[0].authorization).toBe('Bearer from-file');
});

test('an exec plugin user: client-node runs the command and sends its token', async () => {
  const plugin = path.join(dir, 'get-token');
  fs.writeFileSync(
    plugin,
    '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token"}}\'\n',
    { mode: 0o755 },
  );
  const kube = kubeObjectClient(
    kubeconfig(['exec:', '  apiVersion: client.authentication.k8s.io/v1beta1', `  command: ${plugin}`]),
  );
  await kube.get(POLICIES, 'x');
  expect(seen[0].authorization).toBe('Bearer exec-token');
});

test('a transport error quoting the Authorization header never echoes the token', async () => {
  const err = (await kubeObjectClient(kubeconfig(['token: "s3cret\\nx"']))
    .get(POLICIES, 'x')
    .catch((e: unknown) => e)) as Error;
  expect(err.message).toMatch(/^GET \/apis\/kyverno\.io\/v1\/clusterpolicies\/x: /);
  expect(err.message).not.toContain('s3cret');
});

test('an unreadable tokenFile is an error naming the user and the file', () => {
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, kubeconfig(['tokenFile: missing-token']));
  expect(() => kubeObjectClient(file)).toThrow(
    `'kubeconfig' user "me": tokenFile ${JSON.stringify(path.join(dir, 'missing-token'))} cannot be read: ENOENT`,
  );
});

test('an auth-provider user (oidc with a current id-token): client-node sends the id-token', async () => {
  const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const idToken = `${b64url({ alg: 'none' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
  const kube = kubeObjectClient(
    kubeconfig([
      'auth-provider:',
      '  name: oidc',
      '  config:',
      '    client-id: jobforge',
      `    id-token: ${idToken}`,
      '    idp-issuer-url: https://issuer.invalid',
    ]),
  );
  await kube.get(POLICIES, 'x');
  expect(seen[0].authorization).toBe(`Bearer ${idToken}`);
});

test.each(['../x', 'a?b=c', 'a#b', 'a/b', '%2e%2e'])(
  'a name is always one encoded path segment (%j cannot reach another path)',
  async (name) => {
    await kubeObjectClient(kubeconfig(['token: abc'])).get(POLICIES, name);
    expect(seen.map((s) => s.url)).toEqual([
      `/apis/kyverno.io/v1/clusterpolicies/${encodeURIComponent(name)}`,
    ]);
  },
);

test.each([
  ['get', '.'],
  ['delete', '..'],
  ['replace', ''],
] as const)('%s of the name %j is refused before anything is sent', async (op, name) => {
  const kube = kubeObjectClient(kubeconfig(['token: abc']));
  const call =
    op === 'get'
      ? kube.get(POLICIES, name)
      : op === 'delete'
        ? kube.delete(POLICIES, name)
        : kube.replace(POLICIES, name, {});
  await expect(call).rejects.toThrow(`name ${JSON.stringify(name)} is not a valid object name; nothing sent`);
  expect(seen).toEqual([]);
});

test('a namespace of ".." is refused before anything is sent', async () => {
  await expect(
    kubeObjectClient(kubeconfig(['token: abc'])).list({ ...LEASES, namespace: '..' }),
  ).rejects.toThrow(
    `GET /apis/coordination.k8s.io/v1/namespaces/../leases: namespace ".." is not a valid object namespace; nothing sent`,
  );
  expect(seen).toEqual([]);
});

test('a 422 keeps the fields the Status names (details.causes)', async () => {
  const causes = [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }];
  answer = () => ({
    status: 422,
    body: { kind: 'Status', reason: 'Invalid', message: 'Job "x" is invalid', details: { causes } },
  });
  await expect(kubeObjectClient(kubeconfig(['token: abc'])).create(POLICIES, {})).rejects.toMatchObject({
    status: 422,
    reason: 'Invalid',
    detail: 'Job "x" is invalid',
    causes,
  });
});
