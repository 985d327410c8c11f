// The Kyverno policy sync against the real kube-apiserver (Kyverno CRDs installed, no Kyverno
// webhook: policies are stored custom resources), the real Kyverno CLI on PATH, and a local HTTP
// server serving the Fairwinds Insights endpoint.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { insightsPolicySource } from '../../core/policy-sync/insights-source';
import { findKyvernoCli } from '../../core/policy-sync/kyverno-cli';
import {
  syncKyvernoPolicies,
  SyncKyvernoPoliciesOptions,
} from '../../core/policy-sync/sync-kyverno-policies';
import { LogLevel } from '../../core/policy-sync/sync-logger';
import { PolicySyncResult } from '../../core/policy-sync/sync-summary';
import { e2eEnv } from '../support/e2e-env';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { kubeRequest } from '../support/kube-api';
import {
  clusterPolicies,
  createPolicy,
  ensureNamespace,
  OWNER_KEY,
  OWNER_VALUE,
  policyYaml,
  resetPolicies,
  waitForPolicyApi,
  resourceVersions,
  TWO_CHECKS_POLICY,
  yamlStream,
} from '../support/policy-sync-fixtures';
import { waitFor } from '../support/processes';

const REPO = path.resolve(__dirname, '..', '..');
const TOKEN = 'insights-test-token';
let kubeconfig: string;
let insights: InsightsServer;
let logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[];

function sync(over: Partial<SyncKyvernoPoliciesOptions> = {}, token = TOKEN): Promise<PolicySyncResult> {
  return syncKyvernoPolicies({
    source: insightsPolicySource({
      host: insights.url,
      token,
      organization: 'acme',
      cluster: 'prod',
      retries: 2,
      retryDelayMs: 20,
      timeoutMs: 1000,
    }),
    kubeconfig,
    lock: { namespace: 'default', timeoutMs: 60_000 },
    logger: { log: (level, msg, fields) => logs.push({ level, msg, fields }) },
    ...over,
  });
}

const serve = (...docs: string[]): void => {
  insights.policies = yamlStream(docs);
};

beforeAll(async () => {
  kubeconfig = e2eEnv().kubeconfig;
  await waitForPolicyApi(kubeconfig);
  await ensureNamespace(kubeconfig, 'team-a');
  insights = await startInsightsServer({ token: TOKEN, organization: 'acme', cluster: 'prod' });
});
afterAll(() => insights?.close());
beforeEach(async () => {
  logs = [];
  insights.answers.length = 0;
  insights.requests.length = 0;
  serve();
  await resetPolicies(kubeconfig);
});

test('the Kyverno CLI is on PATH (validation runs for real)', () => {
  expect(findKyvernoCli()).toBe(path.join(e2eEnv().binDir, 'kyverno'));
});

test('apply, update, remove; unchanged policies are not written', async () => {
  serve(policyYaml('a'), policyYaml('b'), policyYaml('c', { namespace: 'team-a' }));
  const first = await sync();
  expect(first).toMatchObject({
    success: true,
    applied: ['a', 'b', 'team-a/c'],
    updated: [],
    removed: [],
    failed: [],
  });
  const after1 = await clusterPolicies(kubeconfig);
  expect([...after1.keys()].sort()).toEqual(['ClusterPolicy/a', 'ClusterPolicy/b', 'Policy/team-a/c']);
  expect(after1.get('ClusterPolicy/a')!.annotations[OWNER_KEY]).toBe(OWNER_VALUE);
  expect(after1.get('ClusterPolicy/b')!.spec.rules[0].validate.message).toBe('label team is required (b)');

  serve(policyYaml('b', { message: 'changed' }), policyYaml('c', { namespace: 'team-a' }), policyYaml('d'));
  const second = await sync();
  expect(second).toMatchObject({
    success: true,
    applied: ['d'],
    updated: ['b'],
    removed: ['a'],
    unchanged: ['team-a/c'],
  });
  expect(second.changes).toEqual({ b: ['spec.rules[0].validate.message'] });
  const after2 = await clusterPolicies(kubeconfig);
  expect([...after2.keys()].sort()).toEqual(['ClusterPolicy/b', 'ClusterPolicy/d', 'Policy/team-a/c']);
  expect(after2.get('ClusterPolicy/b')!.spec.rules[0].validate.message).toBe('changed');
  expect(after2.get('Policy/team-a/c')!.resourceVersion).toBe(after1.get('Policy/team-a/c')!.resourceVersion);

  // Converged: a third run changes nothing, though the server added defaults the source never wrote.
  const before3 = await resourceVersions(kubeconfig);
  const third = await sync();
  expect(third).toMatchObject({
    success: true,
    applied: [],
    updated: [],
    removed: [],
    unchanged: ['b', 'd', 'team-a/c'],
  });
  expect(await resourceVersions(kubeconfig)).toEqual(before3);
  // The Lease was released.
  const lease = await kubeRequest(
    kubeconfig,
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/default/leases/jobforge-kyverno-policy-sync',
  );
  expect(lease.status).toBe(404);
});

test('50 expected policies: applied in one run, the next run writes nothing', async () => {
  const names = Array.from({ length: 50 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
  serve(...names.map((n) => policyYaml(n)));
  const first = await sync();
  expect(first.success).toBe(true);
  expect(first.applied).toEqual(names);
  const before = await resourceVersions(kubeconfig);
  const second = await sync();
  expect(second).toMatchObject({ success: true, applied: [], updated: [], removed: [] });
  expect(second.unchanged).toHaveLength(50);
  expect(await resourceVersions(kubeconfig)).toEqual(before);
  process.stdout.write(
    `[policy-sync] 50 policies: first sync ${first.durationMs} ms, no-op sync ${second.durationMs} ms\n`,
  );
});

test('formatting and key order are not changes', async () => {
  serve(policyYaml('a'));
  await sync();
  const before = await resourceVersions(kubeconfig);
  const reformatted = JSON.stringify({
    spec: {
      rules: [
        {
          validate: {
            pattern: { metadata: { labels: { team: '?*' } } },
            message: 'label team is required (a)',
          },
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          name: 'require-team',
        },
      ],
      background: true,
      validationFailureAction: 'Audit',
    },
    metadata: { annotations: { [OWNER_KEY]: OWNER_VALUE }, name: 'a' },
    kind: 'ClusterPolicy',
    apiVersion: 'kyverno.io/v1',
  });
  serve(reformatted);
  expect(await sync()).toMatchObject({ success: true, unchanged: ['a'], updated: [] });
  expect(await resourceVersions(kubeconfig)).toEqual(before);
});

test('50 unowned policies are never touched', async () => {
  for (let i = 0; i < 50; i++) {
    const annotations: Record<string, string> =
      i % 3 === 0
        ? {}
        : i % 3 === 1
          ? { [OWNER_KEY]: 'someone else' }
          : { 'team.example.com/owner': 'platform' };
    const doc = parseYaml(policyYaml(`unowned-${i}`, { annotations }));
    if (i >= 45) doc.kind = 'Policy';
    if (i >= 45) doc.metadata.namespace = 'team-a';
    await createPolicy(kubeconfig, doc);
  }
  const seeded = await resourceVersions(kubeconfig);
  expect(Object.keys(seeded)).toHaveLength(50);

  serve(policyYaml('owned-1'), policyYaml('owned-2'));
  expect(await sync()).toMatchObject({ success: true, applied: ['owned-1', 'owned-2'] });
  serve(); // Insights now expects nothing (allowed and forced): only the owned ones go.
  expect(await sync({ allowEmptySource: true, force: true })).toMatchObject({
    success: true,
    removed: ['owned-1', 'owned-2'],
    conflicts: [],
  });
  expect(await resourceVersions(kubeconfig)).toEqual(seeded);
});

test('a same-name unowned policy is a conflict, left alone', async () => {
  await createPolicy(
    kubeconfig,
    parseYaml(policyYaml('shared', { annotations: { owner: 'team-b' }, message: 'theirs' })),
  );
  const before = await resourceVersions(kubeconfig);
  serve(policyYaml('shared', { message: 'ours' }), policyYaml('mine'));
  const r = await sync();
  expect(r).toMatchObject({
    success: true,
    applied: ['mine'],
    conflicts: ['shared'],
    updated: [],
    removed: [],
  });
  expect(logs.find((l) => l.msg === 'Policy name taken by an unowned object')?.fields?.reason).toMatch(
    /ClusterPolicy\/shared exists and is not owned by the sync \(annotation insights.fairwinds.com\/owned-by is absent/,
  );
  const after = await clusterPolicies(kubeconfig);
  expect(after.get('ClusterPolicy/shared')!.resourceVersion).toBe(before['ClusterPolicy/shared']);
  expect(after.get('ClusterPolicy/shared')!.spec.rules[0].validate.message).toBe('theirs');
});

test('DRY_RUN computes the plan and writes nothing (resourceVersions and no Lease)', async () => {
  serve(policyYaml('keep'), policyYaml('change'), policyYaml('drop'));
  await sync();
  const before = await resourceVersions(kubeconfig);
  serve(policyYaml('keep'), policyYaml('change', { message: 'new' }), policyYaml('add'));
  const r = await sync({ dryRun: true });
  expect(r).toMatchObject({
    success: true,
    dryRun: true,
    applied: ['add'],
    updated: ['change'],
    removed: ['drop'],
    unchanged: ['keep'],
  });
  expect(await resourceVersions(kubeconfig)).toEqual(before);
  const leases = await kubeRequest(
    kubeconfig,
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/default/leases',
  );
  expect(leases.json<{ items: unknown[] }>().items).toEqual([]);
});

describe('lock', () => {
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
  const holdLease = async (renewedMsAgo: number): Promise<void> => {
    const t = new Date(Date.now() - renewedMsAgo).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const res = await kubeRequest(kubeconfig, 'POST', leasePath, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'jobforge-kyverno-policy-sync', namespace: 'default' },
      spec: { holderIdentity: 'other-run-1234', leaseDurationSeconds: 5, acquireTime: t, renewTime: t },
    });
    expect(res.status).toBe(201);
  };

  test('a second run fails fast while the lock is held, and writes nothing', async () => {
    await holdLease(0);
    serve(policyYaml('a'));
    // Had it waited for the lock to go stale (5 s), it would have taken it over and succeeded.
    const r = await sync({ lock: { namespace: 'default', timeoutMs: 5000 } });
    expect(r.success).toBe(false);
    expect(r.errors[0]).toMatch(
      /^another policy sync is running: Lease default\/jobforge-kyverno-policy-sync is held by "other-run-1234" \(last renewed .*\); it is taken over once stale, at .* \(LOCK_TIMEOUT 5s\)$/,
    );
    expect(await resourceVersions(kubeconfig)).toEqual({});
    // The holder's Lease is untouched.
    const lease = await kubeRequest(kubeconfig, 'GET', `${leasePath}/jobforge-kyverno-policy-sync`);
    expect(lease.json<{ spec: { holderIdentity: string } }>().spec.holderIdentity).toBe('other-run-1234');
  });

  test('a lock left by a crashed run is taken over after LOCK_TIMEOUT', async () => {
    await holdLease(6000);
    serve(policyYaml('a'));
    const r = await sync({ lock: { namespace: 'default', timeoutMs: 5000 } });
    expect(r).toMatchObject({ success: true, applied: ['a'] });
    expect(logs.find((l) => l.msg === 'Took over a stale policy sync lock')?.fields).toMatchObject({
      previousHolder: 'other-run-1234',
    });
    expect((await kubeRequest(kubeconfig, 'GET', `${leasePath}/jobforge-kyverno-policy-sync`)).status).toBe(
      404,
    );
  });

  test("a run whose lock was taken over stops writing and leaves the new holder's Lease", async () => {
    serve(...['l1', 'l2', 'l3', 'l4'].map((n) => policyYaml(n)));
    let writes = 0;
    const r = await sync({
      lock: { namespace: 'default', timeoutMs: 1500 },
      onWrite: async () => {
        if (++writes !== 1) return;
        // Another run takes the Lease over (as if this one had stalled past LOCK_TIMEOUT).
        const cur = await kubeRequest(kubeconfig, 'GET', `${leasePath}/jobforge-kyverno-policy-sync`);
        const lease = cur.json<{ spec: Record<string, unknown> }>();
        lease.spec.holderIdentity = 'intruder';
        expect(
          (await kubeRequest(kubeconfig, 'PUT', `${leasePath}/jobforge-kyverno-policy-sync`, lease)).status,
        ).toBe(200);
        // A renewal (every 500 ms) runs and finds out: wait for it, however loaded the machine
        // is (a fixed 1200 ms was not always enough for one renewal round trip under load).
        await waitFor(
          'the lock to notice the takeover',
          async () => (logs.some((l) => l.msg === 'Lost the policy sync lock') ? true : undefined),
          { timeoutMs: 30_000 },
        );
      },
    });
    expect(r.success).toBe(false);
    expect(r.applied).toEqual(['l1']);
    expect(r.errors).toEqual([
      'the policy sync lock Lease default/jobforge-kyverno-policy-sync was taken over or deleted by another run',
    ]);
    expect(Object.keys(await resourceVersions(kubeconfig))).toEqual(['ClusterPolicy/l1']);
    const lease = await kubeRequest(kubeconfig, 'GET', `${leasePath}/jobforge-kyverno-policy-sync`);
    expect(lease.json<{ spec: { holderIdentity: string } }>().spec.holderIdentity).toBe('intruder');
  });

  test('two concurrent runs: one syncs, the other fails fast', async () => {
    serve(policyYaml('a'), policyYaml('b'));
    const [r1, r2] = await Promise.all([sync(), sync()]);
    const ok = [r1, r2].filter((r) => r.success);
    const held = [r1, r2].filter((r) => !r.success);
    expect(ok).toHaveLength(1);
    expect(held).toHaveLength(1);
    expect(held[0].errors[0]).toMatch(/^another policy sync is running/);
    expect(ok[0].applied).toEqual(['a', 'b']);
  });
});

test('what a run reports as Applied or Updated has a new resourceVersion; the rest keep theirs', async () => {
  const key = (n: string): string => (n.includes('/') ? `Policy/${n}` : `ClusterPolicy/${n}`);
  // The invariant, checked on every run below, whatever it reports.
  const syncChecked = async (): Promise<PolicySyncResult> => {
    const before = await resourceVersions(kubeconfig);
    const r = await sync();
    const after = await resourceVersions(kubeconfig);
    for (const n of [...r.applied, ...r.updated]) {
      expect({ [n]: after[key(n)] }).toEqual({ [n]: expect.stringMatching(/^\d+$/) });
      expect(after[key(n)]).not.toBe(before[key(n)]);
    }
    for (const n of r.unchanged) expect(after[key(n)]).toBe(before[key(n)]);
    return r;
  };
  serve(policyYaml('stay'), policyYaml('change'), policyYaml('change-ns', { namespace: 'team-a' }));
  expect((await syncChecked()).applied).toEqual(['change', 'stay', 'team-a/change-ns']);
  serve(
    policyYaml('stay'),
    policyYaml('change', { message: 'v2' }),
    policyYaml('change-ns', { namespace: 'team-a', message: 'v2' }),
    policyYaml('new'),
  );
  expect(await syncChecked()).toMatchObject({
    success: true,
    applied: ['new'],
    updated: ['change', 'team-a/change-ns'],
  });
  // An apiVersion that once sent the write to the discovery endpoint (which answers 200).
  const sneaky = parseYaml(policyYaml('sneaky'));
  sneaky.apiVersion = 'kyverno.io/v1#x';
  const stay = parseYaml(policyYaml('stay', { message: 'v3' }));
  stay.apiVersion = 'kyverno.io/v1?x=';
  serve(`${JSON.stringify(stay)}\n`, policyYaml('change', { message: 'v2' }), `${JSON.stringify(sneaky)}\n`);
  expect((await syncChecked()).success).toBe(false);
});

describe('a malformed apiVersion is rejected before any request', () => {
  test.each(['kyverno.io/v1#x', 'kyverno.io/v1?x=', 'kyverno.io/v1/../v1', 'kyverno.io/v1 '])(
    '%s: the run fails, naming it, and writes nothing',
    async (apiVersion) => {
      serve(policyYaml('existing'), policyYaml('other'));
      expect((await sync()).success).toBe(true);
      const before = await resourceVersions(kubeconfig);
      const bad = parseYaml(policyYaml('sneaky'));
      bad.apiVersion = apiVersion;
      serve(policyYaml('existing', { message: 'changed' }), JSON.stringify(bad));
      const r = await sync();
      expect(r).toMatchObject({ success: false, applied: [], updated: [], removed: [] });
      expect(r.errors).toEqual([
        expect.stringContaining(
          `document 2: 'apiVersion' of a ClusterPolicy must be one of kyverno.io/v1, kyverno.io/v2beta1, got ${JSON.stringify(apiVersion)}`,
        ),
      ]);
      expect(await resourceVersions(kubeconfig)).toEqual(before);
    },
  );
});

describe('an empty source while owned policies exist', () => {
  test.each([
    ['an empty body', ''],
    ['a lone ---', '---\n'],
    ['a List without items', 'apiVersion: v1\nkind: List\nitems: []\n'],
  ])('%s is refused; the owned policies stay', async (_what, body) => {
    serve(policyYaml('owned-1'), policyYaml('owned-2', { namespace: 'team-a' }));
    expect((await sync()).success).toBe(true);
    const before = await resourceVersions(kubeconfig);
    insights.policies = body;
    const r = await sync();
    expect(r).toMatchObject({ success: false, removed: [] });
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^empty source: Fairwinds Insights http:\/\/127.0.0.1:\d+\/\S+ has no policies while 2 owned policies exist; nothing written\. Check the source, or allow it with allowEmptySource \(--allow-empty-source, ALLOW_EMPTY_SOURCE=true\)/,
      ),
    ]);
    expect(await resourceVersions(kubeconfig)).toEqual(before);
  });
});

test('deletion guard: more removals than allowed removes nothing unless forced', async () => {
  serve(...['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => policyYaml(n)));
  await sync();
  const before = await resourceVersions(kubeconfig);
  serve(policyYaml('p1'));
  const guarded = await sync({ maxRemovals: 3 });
  expect(guarded.success).toBe(false);
  expect(guarded.removed).toEqual([]);
  expect(guarded.errors[0]).toMatch(
    /^deletion guard: the plan removes 4 policies, more than the allowed 3 \(p2, p3, p4, p5\); nothing written/,
  );
  expect(await resourceVersions(kubeconfig)).toEqual(before);
  const forced = await sync({ maxRemovals: 3, force: true });
  expect(forced).toMatchObject({ success: true, removed: ['p2', 'p3', 'p4', 'p5'], unchanged: ['p1'] });
});

describe('Insights API failures write nothing', () => {
  beforeEach(async () => {
    serve(policyYaml('existing'));
    expect((await sync()).success).toBe(true);
    logs = [];
    insights.requests.length = 0;
  });

  test.each([
    [
      '401 (bad token)',
      (): void => undefined,
      'wrong-token',
      /refused the token \(HTTP 401 Unauthorized\)/,
      1,
    ],
    [
      '403',
      (): void => void insights.answers.push({ status: 403, body: 'no' }),
      TOKEN,
      /refused the token \(HTTP 403 Forbidden\)/,
      1,
    ],
    [
      '404 (unknown org/cluster)',
      (): void => void insights.answers.push({ status: 404, body: 'not found' }),
      TOKEN,
      /does not know organization "acme", cluster "prod" \(HTTP 404/,
      1,
    ],
    [
      '5xx, retried then fail',
      (): void => void insights.answers.push(...Array(3).fill({ status: 503, body: 'down' })),
      TOKEN,
      /HTTP 503 Service Unavailable.*gave up after 3 attempts/,
      3,
    ],
    [
      'timeouts, retried then fail',
      (): void => void insights.answers.push('hang', 'hang', 'hang'),
      TOKEN,
      /no answer within 1000 ms.*gave up after 3 attempts/,
      3,
    ],
    [
      'malformed YAML',
      (): void =>
        void insights.answers.push({
          status: 200,
          body: 'apiVersion: kyverno.io/v1\nkind: [ClusterPolicy\n',
        }),
      TOKEN,
      /^malformed YAML in http:\/\/127.0.0.1:\d+\/v0\/organizations\/acme\/clusters\/prod\/kyverno-policies\/with-app-groups-applied\/yaml document 1/,
      1,
    ],
    [
      'a response over the 10 MiB limit',
      (): void => void insights.answers.push({ status: 200, body: Buffer.alloc(10 * 1024 * 1024 + 1, '#') }),
      TOKEN,
      /^Insights API response from http:\/\/127.0.0.1:\d+\/\S+ is larger than 10485760 bytes; refused \(raise INSIGHTS_MAX_RESPONSE_BYTES/,
      1,
    ],
    [
      'invalid UTF-8',
      (): void =>
        void insights.answers.push({
          status: 200,
          body: Buffer.concat([
            Buffer.from(policyYaml('existing', { message: 'caf' })),
            Buffer.from([0xc3, 0x28]),
          ]),
        }),
      TOKEN,
      /^Insights API response from http:\/\/127.0.0.1:\d+\/\S+ is not valid UTF-8: byte 0xc3 at offset \d+ \(line 22, column 1\)$/,
      1,
    ],
    [
      'an HTML page',
      (): void =>
        void insights.answers.push({
          status: 200,
          body: '<html>maintenance</html>',
          contentType: 'text/html',
        }),
      TOKEN,
      /document 1 is not a Kubernetes object/,
      1,
    ],
  ])('%s', async (_what, arrange, token, message, requests) => {
    const before = await resourceVersions(kubeconfig);
    arrange();
    const r = await sync({}, token);
    expect(r.success).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
    expect(r.removed).toEqual([]);
    expect(insights.requests).toHaveLength(requests);
    expect(await resourceVersions(kubeconfig)).toEqual(before);
  });
});

describe('validation before any write', () => {
  const schemaInvalid = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: wrong-shape
spec:
  rules: "not a list"
`;

  test('one policy the Kyverno CLI rejects: no writes at all; the summary names it and why', async () => {
    serve(policyYaml('fine'), policyYaml('drop-me'));
    await sync();
    const before = await resourceVersions(kubeconfig);
    serve(
      policyYaml('good-1'),
      TWO_CHECKS_POLICY,
      policyYaml('good-2'),
      policyYaml('fine', { message: 'changed' }),
    );
    const r = await sync();
    expect(r).toMatchObject({
      success: false,
      applied: [],
      updated: [],
      removed: [],
      failed: ['bad-policy'],
    });
    expect(r.errors).toEqual([
      'validation failed for 1 policy, nothing written',
      expect.stringMatching(
        /^bad-policy: Kyverno CLI rejected it: .*only one of pattern, anyPattern, deny, foreach, cel can be specified/,
      ),
    ]);
    expect(await resourceVersions(kubeconfig)).toEqual(before);
  });

  test('one policy the apiserver rejects (schema): no writes at all', async () => {
    serve(policyYaml('good-1'), schemaInvalid);
    const r = await sync();
    expect(r).toMatchObject({ success: false, applied: [], failed: ['wrong-shape'] });
    expect(r.errors[1]).toMatch(/^wrong-shape: server-side dry-run rejected it: .*spec.rules/);
    expect(await resourceVersions(kubeconfig)).toEqual({});
  });

  test('without validation, only the invalid policy fails', async () => {
    serve(policyYaml('good-1'), schemaInvalid);
    const r = await sync({ validate: false });
    expect(r).toMatchObject({ success: false, applied: ['good-1'], failed: ['wrong-shape'] });
    expect(Object.keys(await resourceVersions(kubeconfig))).toEqual(['ClusterPolicy/good-1']);
  });
});

test('a sync killed midway converges on the next run (after its lock goes stale)', async () => {
  const names = Array.from({ length: 8 }, (_, i) => `converge-${i}`);
  serve(...names.map((n) => policyYaml(n)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-crash-'));
  const script = path.join(dir, 'crash.ts');
  fs.writeFileSync(
    script,
    `import { syncKyvernoPolicies } from ${JSON.stringify(path.join(REPO, 'core/policy-sync/sync-kyverno-policies'))};
import { insightsPolicySource } from ${JSON.stringify(path.join(REPO, 'core/policy-sync/insights-source'))};
let writes = 0;
void syncKyvernoPolicies({
  source: insightsPolicySource({ host: ${JSON.stringify(insights.url)}, token: ${JSON.stringify(TOKEN)}, organization: 'acme', cluster: 'prod' }),
  kubeconfig: ${JSON.stringify(kubeconfig)},
  lock: { namespace: 'default', timeoutMs: 3000, holderIdentity: 'crashing-run' },
  onWrite: () => { if (++writes === 3) process.kill(process.pid, 'SIGKILL'); },
});
`,
  );
  const code = await new Promise<string | null>((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), script],
      {
        cwd: REPO,
        stdio: 'inherit',
        env: {
          ...process.env,
          TS_NODE_SKIP_PROJECT: 'true',
          TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","esModuleInterop":true}',
        },
      },
    );
    child.on('exit', (_c, signal) => resolve(signal));
  });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(code).toBe('SIGKILL');
  const partial = await clusterPolicies(kubeconfig);
  expect(partial.size).toBe(3);

  // The crashed run's Lease is still there: an immediate run fails fast...
  const blocked = await sync({ lock: { namespace: 'default', timeoutMs: 3000 } });
  expect(blocked.errors[0]).toMatch(/held by "crashing-run"/);
  // ...and once it is stale, the next run takes over and converges.
  await new Promise((r) => setTimeout(r, 3200));
  const r = await sync({ lock: { namespace: 'default', timeoutMs: 3000 } });
  expect(r.success).toBe(true);
  expect(r.applied).toHaveLength(5);
  expect(r.unchanged).toHaveLength(3);
  expect([...(await clusterPolicies(kubeconfig)).keys()].sort()).toEqual(
    names.map((n) => `ClusterPolicy/${n}`).sort(),
  );
});

describe('jobforge policy-sync (the CLI)', () => {
  const runCli = (
    env: Record<string, string>,
    args: string[] = [],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          require.resolve('ts-node/register/transpile-only'),
          path.join(REPO, 'bin/jobforge.ts'),
          'policy-sync',
          ...args,
        ],
        {
          cwd: REPO,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: os.tmpdir(),
            KUBECONFIG: kubeconfig,
            LOCK_NAMESPACE: 'default',
            ...env,
          },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const insightsEnv = (): Record<string, string> => ({
    FAIRWINDS_INSIGHTS_HOST: insights.url,
    FAIRWINDS_TOKEN: TOKEN,
    FAIRWINDS_ORG: 'acme',
    FAIRWINDS_CLUSTER: 'prod',
  });

  test('prints one JSON summary line on stdout, logs on stderr, exits 0', async () => {
    serve(policyYaml('cli-a'), policyYaml('cli-b'));
    const r = await runCli({ ...insightsEnv(), LOG_LEVEL: 'debug' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      success: true,
      summary: 'Applied 2, Updated 0, Removed 0, Failed 0',
      applied: ['cli-a', 'cli-b'],
      updated: [],
      removed: [],
      failed: [],
    });
    expect(JSON.parse(lines[0]).duration).toMatch(/^\d+(\.\d+)?m?s$/);
    const logLines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logLines.some((l) => l.level === 'debug')).toBe(true);
    expect(r.stderr).not.toContain(TOKEN);
  });

  test('DRY_RUN=true writes nothing; a failure exits non-zero', async () => {
    serve(policyYaml('cli-a'));
    const dry = await runCli({ ...insightsEnv(), DRY_RUN: 'true' });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      applied: ['cli-a'],
      summary: 'Applied 1, Updated 0, Removed 0, Failed 0 (dry run, nothing written)',
    });
    expect(await resourceVersions(kubeconfig)).toEqual({});

    const bad = await runCli({ ...insightsEnv(), FAIRWINDS_TOKEN: 'nope', LOG_LEVEL: 'error' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      success: false,
      summary: 'Applied 0, Updated 0, Removed 0, Failed 0',
    });
    expect(JSON.parse(bad.stdout).errors[0]).toContain('HTTP 401');
  });

  test('missing settings and bad values are errors naming the variable', async () => {
    const r = await runCli({ ...insightsEnv(), FAIRWINDS_ORG: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`'FAIRWINDS_ORG' (or --org) is required, got ""`);
    const t = await runCli({ ...insightsEnv(), LOCK_TIMEOUT: 'soon' });
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`'LOCK_TIMEOUT' must be a duration like 30m, 90s or 1h30m, got "soon"`);
    const d = await runCli({ ...insightsEnv(), DRY_RUN: 'maybe' });
    expect(d.stderr).toContain(`'DRY_RUN' must be true or false, got "maybe"`);
  });

  test('the token is never printed, even when the Insights server echoes it', async () => {
    insights.answers.push({ status: 500, body: `{"error":"token ${TOKEN} is not valid for acme"}` });
    const err = await runCli({ ...insightsEnv(), INSIGHTS_RETRIES: '0', LOG_LEVEL: 'debug' });
    expect(err.code).toBe(1);
    expect(JSON.parse(err.stdout).errors[0]).toMatch(/HTTP 500 .*token \[REDACTED\] is not valid for acme/);
    insights.answers.push({ status: 200, body: `token ${TOKEN} expired` });
    const parse = await runCli({ ...insightsEnv(), LOG_LEVEL: 'debug' });
    expect(parse.code).toBe(1);
    expect(JSON.parse(parse.stdout).errors[0]).toMatch(
      /is not a Kubernetes object, got "token \[REDACTED\] expired"/,
    );
    for (const r of [err, parse]) {
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    }
  });

  test('credentials in FAIRWINDS_INSIGHTS_HOST are refused and not echoed', async () => {
    const r = await runCli({
      ...insightsEnv(),
      FAIRWINDS_INSIGHTS_HOST: insights.url.replace('http://', 'http://robot:pw-s3cret@'),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `'host' must not contain credentials (user:password@; the token is FAIRWINDS_TOKEN), got "http://***@127.0.0.1:`,
    );
    expect(r.stdout + r.stderr).not.toContain('pw-s3cret');
    expect(insights.requests).toEqual([]);
  });

  test('the guards and limits are read from the environment and flags', async () => {
    serve(...['g1', 'g2', 'g3', 'g4'].map((n) => policyYaml(n)));
    expect((await runCli(insightsEnv())).code).toBe(0);
    const before = await resourceVersions(kubeconfig);
    serve(policyYaml('g1'));
    const refused = await runCli({ ...insightsEnv(), LOG_LEVEL: 'error' });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).errors[0]).toContain(
      'allow it with force (--force, FORCE_REMOVALS=true) or a higher maxRemovalRatio (--max-removal-ratio 0.75, MAX_REMOVAL_RATIO=0.75)',
    );
    const small = await runCli({ ...insightsEnv(), INSIGHTS_MAX_RESPONSE_BYTES: '100', LOG_LEVEL: 'error' });
    expect(JSON.parse(small.stdout).errors[0]).toMatch(/is larger than 100 bytes; refused/);
    const bad = await runCli({ ...insightsEnv(), MAX_REMOVAL_RATIO: '1.5' });
    expect(bad.stderr).toContain(`'MAX_REMOVAL_RATIO' must be a number from 0 to 1, got "1.5"`);
    expect(await resourceVersions(kubeconfig)).toEqual(before);
    const ratio = await runCli({ ...insightsEnv(), MAX_REMOVAL_RATIO: '0.75' });
    expect(JSON.parse(ratio.stdout)).toMatchObject({ success: true, removed: ['g2', 'g3', 'g4'] });

    insights.policies = '';
    const empty = await runCli({ ...insightsEnv(), LOG_LEVEL: 'error' });
    expect(JSON.parse(empty.stdout).errors[0]).toContain(
      'allowEmptySource (--allow-empty-source, ALLOW_EMPTY_SOURCE=true)',
    );
    const allowed = await runCli({ ...insightsEnv(), ALLOW_EMPTY_SOURCE: 'true' }, ['--force']);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ success: true, removed: ['g1'] });
    expect(await resourceVersions(kubeconfig)).toEqual({});
  });

  test('--from-dir syncs a directory of YAML files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-policies-'));
    fs.mkdirSync(path.join(dir, 'nested'));
    fs.writeFileSync(path.join(dir, 'one.yaml'), policyYaml('dir-one', { annotations: {} }));
    fs.writeFileSync(
      path.join(dir, 'nested', 'two.yml'),
      policyYaml('dir-two', { namespace: 'team-a', annotations: {} }),
    );
    fs.writeFileSync(path.join(dir, 'README.md'), 'not a policy');
    try {
      const r = await runCli({}, ['--from-dir', dir]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ applied: ['dir-one', 'team-a/dir-two'] });
      // The sync set its ownership annotation on what it created.
      expect((await clusterPolicies(kubeconfig)).get('ClusterPolicy/dir-one')!.annotations[OWNER_KEY]).toBe(
        OWNER_VALUE,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
