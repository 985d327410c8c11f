// The synthesized KyvernoPolicySync and InsightsReportCronJob manifests against the real apiserver:
// every job type is accepted (server-side dry-run), and the least RBAC KyvernoPolicySync grants
// is enough for a real sync run as its ServiceAccount (token from the TokenRequest API), and no more.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { parse as parseYaml, stringify } from 'yaml';
import { KyvernoPolicySync } from '../../constructs/kyverno-policy-sync';
import {
  ON_DEMAND_JOB_TYPES,
  InsightsReportCronJob,
  CLUSTER_READ_ONLY_RULES,
} from '../../constructs/insights-report-cron-job';
import { directoryPolicySource } from '../../core/policy-sync/directory-source';
import { syncKyvernoPolicies } from '../../core/policy-sync/sync-kyverno-policies';
import { e2eEnv } from '../support/e2e-env';
import { applyObject, dryRunObject, ensureNamespace, KubeObject, kubeRequest } from '../support/kube-api';
import {
  clusterPolicies,
  policyYaml,
  resetPolicies,
  waitForPolicyApi,
} from '../support/policy-sync-fixtures';

const NS = 'insights-agent';
let kubeconfig: string;
let dir: string;

beforeAll(async () => {
  kubeconfig = e2eEnv().kubeconfig;
  await waitForPolicyApi(kubeconfig);
  await ensureNamespace(kubeconfig, NS);
  await resetPolicies(kubeconfig);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-rbac-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the report CronJob of every report type is accepted by the apiserver (server-side dry-run)', async () => {
  const chart = Testing.chart();
  for (const jobType of ON_DEMAND_JOB_TYPES) {
    new InsightsReportCronJob(chart, jobType, {
      jobType,
      image: 'quay.io/fairwinds/polaris:9.6',
      insights: { secretName: 'insights-token' },
      namespace: NS,
      clusterRules: jobType === 'kyverno-policy-sync' ? [] : CLUSTER_READ_ONLY_RULES,
    });
  }
  const manifests = Testing.synth(chart) as KubeObject[];
  expect(manifests.filter((m) => m.kind === 'CronJob')).toHaveLength(ON_DEMAND_JOB_TYPES.length);
  for (const m of manifests) await dryRunObject(kubeconfig, m);
});

test('KyvernoPolicySync grants exactly what a sync needs: a real sync as its ServiceAccount succeeds', async () => {
  const chart = Testing.chart();
  new KyvernoPolicySync(chart, 'Sync', {
    runner: 'jobforge',
    image: 'ghcr.io/example/jobforge:0.1.0',
    insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' },
    namespace: NS,
  });
  for (const m of Testing.synth(chart) as KubeObject[]) await applyObject(kubeconfig, m);

  // A token of the sync's ServiceAccount, and a kubeconfig using it.
  const tr = await kubeRequest(
    kubeconfig,
    'POST',
    `/api/v1/namespaces/${NS}/serviceaccounts/kyverno-policy-sync/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  expect(tr.status).toBe(201);
  const admin = parseYaml(fs.readFileSync(kubeconfig, 'utf8'));
  const saKubeconfig = path.join(dir, 'sa.kubeconfig');
  fs.writeFileSync(
    saKubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'sa',
      clusters: [{ name: 'e2e', cluster: admin.clusters[0].cluster }],
      users: [{ name: 'sa', user: { token: tr.json<{ status: { token: string } }>().status.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'e2e', user: 'sa' } }],
    }),
  );

  const policies = path.join(dir, 'policies');
  fs.mkdirSync(policies);
  fs.writeFileSync(path.join(policies, 'a.yaml'), policyYaml('rbac-a'));
  fs.writeFileSync(path.join(policies, 'b.yaml'), policyYaml('rbac-b', { namespace: 'default' }));
  const run = (lockNamespace: string) =>
    syncKyvernoPolicies({
      source: directoryPolicySource(policies),
      kubeconfig: saKubeconfig,
      lock: { namespace: lockNamespace, timeoutMs: 60_000 },
    });

  expect(await run(NS)).toMatchObject({ success: true, applied: ['rbac-a', 'default/rbac-b'] });
  fs.writeFileSync(path.join(policies, 'a.yaml'), policyYaml('rbac-a', { message: 'changed' }));
  fs.rmSync(path.join(policies, 'b.yaml'));
  expect(await run(NS)).toMatchObject({ success: true, updated: ['rbac-a'], removed: ['default/rbac-b'] });
  expect([...(await clusterPolicies(kubeconfig)).keys()]).toEqual(['ClusterPolicy/rbac-a']);

  // No more than that: the Lease only in its own namespace, and no Secrets.
  fs.writeFileSync(path.join(policies, 'c.yaml'), policyYaml('rbac-c'));
  const elsewhere = await run('default');
  expect(elsewhere.success).toBe(false);
  expect(elsewhere.errors[0]).toMatch(/HTTP 403 Forbidden.*leases/);
  expect([...(await clusterPolicies(kubeconfig)).keys()]).toEqual(['ClusterPolicy/rbac-a']);
  const secrets = await kubeRequest(saKubeconfig, 'GET', `/api/v1/namespaces/${NS}/secrets`);
  expect(secrets.status).toBe(403);
});
