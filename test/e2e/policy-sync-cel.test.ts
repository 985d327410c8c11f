// Kyverno's CEL policy kinds (policies.kyverno.io: ValidatingPolicy, MutatingPolicy,
// GeneratingPolicy, DeletingPolicy and the namespaced ones) synced against their real CRDs (the
// pinned Kyverno's, installed by the e2e harness) on the real apiserver, with the real Kyverno CLI
// on PATH and the local Insights server: the same ownership, validation, dry-run, lock and
// summary rules as ClusterPolicies.
import { parse as parseYaml } from 'yaml';
import { insightsPolicySource } from '../../core/policy-sync/insights-source';
import {
  syncKyvernoPolicies,
  SyncKyvernoPoliciesOptions,
} from '../../core/policy-sync/sync-kyverno-policies';
import { PolicySyncResult } from '../../core/policy-sync/sync-summary';
import { e2eEnv } from '../support/e2e-env';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { kubeRequest } from '../support/kube-api';
import {
  celPolicies,
  celPolicyYaml,
  celResourceVersions,
  ensureNamespace,
  OWNER_KEY,
  OWNER_VALUE,
  policyYaml,
  resetPolicies,
  resourceVersions,
  waitForPolicyApi,
  yamlStream,
} from '../support/policy-sync-fixtures';

const TOKEN = 'insights-cel-token';
let kubeconfig: string;
let insights: InsightsServer;

function sync(over: Partial<SyncKyvernoPoliciesOptions> = {}): Promise<PolicySyncResult> {
  return syncKyvernoPolicies({
    source: insightsPolicySource({
      host: insights.url,
      token: TOKEN,
      organization: 'acme',
      cluster: 'prod',
      retries: 0,
    }),
    kubeconfig,
    lock: { namespace: 'default', timeoutMs: 60_000 },
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
afterAll(async () => {
  await insights?.close();
  await resetPolicies(kubeconfig); // the other suites share the cluster
});
beforeEach(async () => {
  serve();
  await resetPolicies(kubeconfig);
});

test('apply, update, remove; Applied/Updated changed the resourceVersion; unchanged not written; unowned left alone', async () => {
  // An unowned ValidatingPolicy someone else manages.
  const theirs = parseYaml(celPolicyYaml('ValidatingPolicy', 'theirs', { annotations: { owner: 'team-b' } }));
  const created = await kubeRequest(
    kubeconfig,
    'POST',
    '/apis/policies.kyverno.io/v1/validatingpolicies',
    theirs,
  );
  expect(created.status).toBe(201);

  serve(
    celPolicyYaml('ValidatingPolicy', 'vp'),
    celPolicyYaml('ValidatingPolicy', 'vp-drop'),
    celPolicyYaml('NamespacedValidatingPolicy', 'nvp', { namespace: 'team-a' }),
    celPolicyYaml('MutatingPolicy', 'mp'),
    celPolicyYaml('GeneratingPolicy', 'gp'),
    celPolicyYaml('DeletingPolicy', 'dp', { apiVersion: 'policies.kyverno.io/v1beta1' }),
    celPolicyYaml('NamespacedDeletingPolicy', 'ndp', { namespace: 'team-a' }),
    celPolicyYaml('ImageValidatingPolicy', 'ivp'),
    celPolicyYaml('NamespacedImageValidatingPolicy', 'nivp', { namespace: 'team-a' }),
    celPolicyYaml('NamespacedMutatingPolicy', 'nmp', { namespace: 'team-a' }),
    // The Kyverno CLI panics on this kind: the server-side dry-run validates it.
    celPolicyYaml('NamespacedGeneratingPolicy', 'ngp', { namespace: 'team-a' }),
    policyYaml('classic'),
  );
  const first = await sync();
  expect(first).toMatchObject({
    success: true,
    applied: [
      'classic',
      'DeletingPolicy/dp',
      'GeneratingPolicy/gp',
      'ImageValidatingPolicy/ivp',
      'MutatingPolicy/mp',
      'NamespacedDeletingPolicy/team-a/ndp',
      'NamespacedGeneratingPolicy/team-a/ngp',
      'NamespacedImageValidatingPolicy/team-a/nivp',
      'NamespacedMutatingPolicy/team-a/nmp',
      'NamespacedValidatingPolicy/team-a/nvp',
      'ValidatingPolicy/vp',
      'ValidatingPolicy/vp-drop',
    ],
    failed: [],
  });
  const after1 = await celPolicies(kubeconfig);
  expect([...after1.keys()].sort()).toEqual([
    'DeletingPolicy/dp',
    'GeneratingPolicy/gp',
    'ImageValidatingPolicy/ivp',
    'MutatingPolicy/mp',
    'NamespacedDeletingPolicy/team-a/ndp',
    'NamespacedGeneratingPolicy/team-a/ngp',
    'NamespacedImageValidatingPolicy/team-a/nivp',
    'NamespacedMutatingPolicy/team-a/nmp',
    'NamespacedValidatingPolicy/team-a/nvp',
    'ValidatingPolicy/theirs',
    'ValidatingPolicy/vp',
    'ValidatingPolicy/vp-drop',
  ]);
  expect(after1.get('MutatingPolicy/mp')!.annotations[OWNER_KEY]).toBe(OWNER_VALUE);
  const theirsRv = after1.get('ValidatingPolicy/theirs')!.resourceVersion;

  // Converged: a second run writes nothing, though the server added defaults the source never wrote.
  const rvs1 = await celResourceVersions(kubeconfig);
  expect(await sync()).toMatchObject({ success: true, applied: [], updated: [], removed: [] });
  expect(await celResourceVersions(kubeconfig)).toEqual(rvs1);

  serve(
    celPolicyYaml('ValidatingPolicy', 'vp', { message: 'changed' }),
    celPolicyYaml('NamespacedValidatingPolicy', 'nvp', { namespace: 'team-a', message: 'changed too' }),
    celPolicyYaml('MutatingPolicy', 'mp'),
    celPolicyYaml('GeneratingPolicy', 'gp'),
    celPolicyYaml('DeletingPolicy', 'dp', { apiVersion: 'policies.kyverno.io/v1beta1' }),
    celPolicyYaml('NamespacedDeletingPolicy', 'ndp', { namespace: 'team-a' }),
    celPolicyYaml('ImageValidatingPolicy', 'ivp'),
    celPolicyYaml('NamespacedImageValidatingPolicy', 'nivp', { namespace: 'team-a' }),
    celPolicyYaml('NamespacedMutatingPolicy', 'nmp', { namespace: 'team-a', message: 'changed' }),
    celPolicyYaml('NamespacedGeneratingPolicy', 'ngp', { namespace: 'team-a' }),
    celPolicyYaml('ValidatingPolicy', 'theirs', { message: 'ours' }),
    policyYaml('classic'),
  );
  const second = await sync();
  expect(second).toMatchObject({
    success: true,
    applied: [],
    updated: [
      'NamespacedMutatingPolicy/team-a/nmp',
      'NamespacedValidatingPolicy/team-a/nvp',
      'ValidatingPolicy/vp',
    ],
    removed: ['ValidatingPolicy/vp-drop'],
    conflicts: ['ValidatingPolicy/theirs'],
  });
  expect(second.changes['ValidatingPolicy/vp']).toEqual(['spec.validations[0].message']);
  const after2 = await celPolicies(kubeconfig);
  expect(after2.get('ValidatingPolicy/vp')!.spec.validations[0].message).toBe('changed');
  expect(after2.has('ValidatingPolicy/vp-drop')).toBe(false);
  // What the summary calls Updated has a new resourceVersion; what it does not, the same one.
  for (const key of [
    'ValidatingPolicy/vp',
    'NamespacedValidatingPolicy/team-a/nvp',
    'NamespacedMutatingPolicy/team-a/nmp',
  ])
    expect(after2.get(key)!.resourceVersion).not.toBe(rvs1[key]);
  for (const key of [
    'MutatingPolicy/mp',
    'GeneratingPolicy/gp',
    'DeletingPolicy/dp',
    'ImageValidatingPolicy/ivp',
    'NamespacedGeneratingPolicy/team-a/ngp',
    'NamespacedImageValidatingPolicy/team-a/nivp',
  ])
    expect(after2.get(key)!.resourceVersion).toBe(rvs1[key]);
  expect(after2.get('ValidatingPolicy/theirs')!.resourceVersion).toBe(theirsRv);
  expect(after2.get('ValidatingPolicy/theirs')!.spec.validations[0].message).toBe(
    'label team is required (theirs)',
  );
});

test('a dry run writes nothing (resourceVersions, no Lease)', async () => {
  serve(
    celPolicyYaml('ValidatingPolicy', 'keep'),
    celPolicyYaml('MutatingPolicy', 'drop'),
    celPolicyYaml('ValidatingPolicy', 'drop-2'),
    celPolicyYaml('ValidatingPolicy', 'keep-2'),
  );
  expect((await sync()).success).toBe(true);
  const before = await celResourceVersions(kubeconfig);
  serve(
    celPolicyYaml('ValidatingPolicy', 'keep', { message: 'new' }),
    celPolicyYaml('ValidatingPolicy', 'keep-2'),
    celPolicyYaml('NamespacedValidatingPolicy', 'add', { namespace: 'team-a' }),
  );
  const r = await sync({ dryRun: true });
  expect(r).toMatchObject({
    success: true,
    dryRun: true,
    applied: ['NamespacedValidatingPolicy/team-a/add'],
    updated: ['ValidatingPolicy/keep'],
    removed: ['MutatingPolicy/drop', 'ValidatingPolicy/drop-2'],
    unchanged: ['ValidatingPolicy/keep-2'],
  });
  expect(await celResourceVersions(kubeconfig)).toEqual(before);
  const leases = await kubeRequest(
    kubeconfig,
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/default/leases',
  );
  expect(leases.json<{ items: unknown[] }>().items).toEqual([]);
});

test('one CEL policy the CRD rejects: no writes at all, the summary names it', async () => {
  serve(celPolicyYaml('ValidatingPolicy', 'fine'));
  expect((await sync()).success).toBe(true);
  const before = { ...(await celResourceVersions(kubeconfig)), ...(await resourceVersions(kubeconfig)) };
  serve(
    celPolicyYaml('ValidatingPolicy', 'fine', { message: 'changed' }),
    policyYaml('classic'),
    `apiVersion: policies.kyverno.io/v1
kind: DeletingPolicy
metadata:
  name: no-schedule
spec:
  conditions:
    - name: x
      expression: "true"
`,
  );
  const r = await sync();
  expect(r).toMatchObject({
    success: false,
    applied: [],
    updated: [],
    failed: ['DeletingPolicy/no-schedule'],
  });
  expect(r.errors[0]).toBe('validation failed for 1 policy, nothing written');
  expect(r.errors[1]).toMatch(/^DeletingPolicy\/no-schedule: .*schedule/);
  expect({ ...(await celResourceVersions(kubeconfig)), ...(await resourceVersions(kubeconfig)) }).toEqual(
    before,
  );
});

test('a CEL expression that does not compile is rejected by the Kyverno CLI: no writes at all', async () => {
  serve(celPolicyYaml('MutatingPolicy', 'fine'));
  expect((await sync()).success).toBe(true);
  const before = await celResourceVersions(kubeconfig);
  serve(
    celPolicyYaml('MutatingPolicy', 'fine', { message: 'changed' }),
    celPolicyYaml('ValidatingPolicy', 'good'),
    celPolicyYaml('ValidatingPolicy', 'bad-cel').replace(
      "has(object.metadata.labels) && 'team' in object.metadata.labels",
      'object.metadata.labels.((',
    ),
  );
  const r = await sync();
  expect(r).toMatchObject({ success: false, applied: [], updated: [], failed: ['ValidatingPolicy/bad-cel'] });
  expect(r.errors[1]).toMatch(
    /^ValidatingPolicy\/bad-cel: Kyverno CLI rejected it: .*failed to compile policy bad-cel.*Syntax error/,
  );
  expect(await celResourceVersions(kubeconfig)).toEqual(before);
});

test('the deletion guards and the empty-source rule count CEL policies too', async () => {
  serve(
    celPolicyYaml('ValidatingPolicy', 'a'),
    celPolicyYaml('ValidatingPolicy', 'b'),
    celPolicyYaml('MutatingPolicy', 'c'),
  );
  expect((await sync()).success).toBe(true);
  const before = await celResourceVersions(kubeconfig);
  serve();
  const empty = await sync();
  expect(empty.errors[0]).toMatch(
    /^empty source: .* has no policies while 3 owned policies exist; nothing written/,
  );
  serve(celPolicyYaml('ValidatingPolicy', 'a'));
  const ratio = await sync();
  expect(ratio.errors[0]).toMatch(
    /^deletion guard: the plan removes 2 of the 3 owned policies, more than the allowed share 0.5/,
  );
  expect(await celResourceVersions(kubeconfig)).toEqual(before);
  expect(await sync({ force: true })).toMatchObject({
    success: true,
    removed: ['MutatingPolicy/c', 'ValidatingPolicy/b'],
  });
});
