// KyvernoPolicySyncResource through a real `pulumi up` (Automation API, inline program, real CLI,
// local file backend) against the real apiserver and a local Insights server.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KyvernoPolicySyncResource } from '../../stacks/kyverno-policy-sync';
import { e2eEnv } from '../support/e2e-env';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { kubeRequest } from '../support/kube-api';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';
import {
  clusterPolicies,
  policyYaml,
  resetPolicies,
  waitForPolicyApi,
  resourceVersions,
  yamlStream,
} from '../support/policy-sync-fixtures';

const TOKEN = 'pulumi-insights-token-5f3a';
let insights: InsightsServer;
let handle: PulumiStackHandle;
let kubeconfig: string;

function readAll(dir: string): string {
  let out = '';
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out += e.isDirectory() ? readAll(p) : fs.readFileSync(p, 'utf8');
  }
  return out;
}

beforeAll(async () => {
  kubeconfig = e2eEnv().kubeconfig;
  await waitForPolicyApi(kubeconfig);
  await resetPolicies(kubeconfig);
  insights = await startInsightsServer({ token: TOKEN, organization: 'acme', cluster: 'prod' });
  insights.policies = yamlStream([policyYaml('pulumi-a'), policyYaml('pulumi-b')]);
  handle = await pulumiStack({
    projectName: 'jobforge-e2e-policy-sync',
    envVars: { FAIRWINDS_TOKEN: TOKEN, LOG_LEVEL: 'error' },
    program: async () => {
      const sync = new KyvernoPolicySyncResource('policies', {
        insights: { host: insights.url, organization: 'acme', cluster: 'prod' },
        kubeconfig,
        lockNamespace: 'default',
        lockTimeoutSeconds: 60,
      });
      return { applied: sync.applied, updated: sync.updated, removed: sync.removed, summary: sync.summary };
    },
  });
});
afterAll(async () => {
  await handle?.cleanup();
  await insights?.close();
});

test('pulumi up syncs; a converged stack has no changes; drift and new policies are synced by the next up', async () => {
  const first = await handle.up();
  expect(first.summary.result).toBe('succeeded');
  expect(first.summary.resourceChanges).toEqual({ create: 2 });
  expect(first.outputs.applied.value).toEqual(['pulumi-a', 'pulumi-b']);
  expect(first.outputs.summary.value).toBe('Applied 2, Updated 0, Removed 0, Failed 0');
  expect([...(await clusterPolicies(kubeconfig)).keys()].sort()).toEqual([
    'ClusterPolicy/pulumi-a',
    'ClusterPolicy/pulumi-b',
  ]);

  const same = await handle.up();
  expect(same.summary.resourceChanges).toEqual({ same: 2 });

  // New and changed policies in Insights.
  insights.policies = yamlStream([policyYaml('pulumi-a', { message: 'changed' }), policyYaml('pulumi-c')]);
  const second = await handle.up();
  expect(second.summary.resourceChanges).toEqual({ same: 1, update: 1 });
  expect(second.outputs).toMatchObject({
    applied: { value: ['pulumi-c'] },
    updated: { value: ['pulumi-a'] },
    removed: { value: ['pulumi-b'] },
  });

  // Drift: someone deletes a synced policy; the next up puts it back.
  const del = await kubeRequest(kubeconfig, 'DELETE', '/apis/kyverno.io/v1/clusterpolicies/pulumi-c');
  expect(del.status).toBe(200);
  const preview = await handle.preview();
  expect(preview.changeSummary).toEqual({ same: 1, update: 1 });
  const third = await handle.up();
  expect(third.outputs.applied.value).toEqual(['pulumi-c']);
  const converged = await resourceVersions(kubeconfig);
  expect((await handle.preview()).changeSummary).toEqual({ same: 2 });
  expect(await resourceVersions(kubeconfig)).toEqual(converged);

  // The token never reaches the state.
  expect(readAll(handle.backendDir)).not.toContain(TOKEN);
});

test('a failed sync fails pulumi up and writes nothing', async () => {
  // Every request fails: the dry-run in diff and the sync in update.
  insights.answers.push(...Array(5).fill({ status: 403, body: 'no' }));
  const before = await resourceVersions(kubeconfig);
  insights.policies = yamlStream([policyYaml('pulumi-d')]);
  await expect(handle.up()).rejects.toThrow(/Kyverno policy sync failed: .*HTTP 403 Forbidden/);
  expect(await resourceVersions(kubeconfig)).toEqual(before);
  insights.answers.length = 0;
});

test('destroy leaves the policies (removeOnDelete is off by default)', async () => {
  const before = await resourceVersions(kubeconfig);
  const d = await handle.destroy();
  expect(d.summary.result).toBe('succeeded');
  expect(await resourceVersions(kubeconfig)).toEqual(before);
});

test('with removeOnDelete, destroy removes every owned policy (past the empty-source and ratio guards) and leaves unowned ones', async () => {
  await resetPolicies(kubeconfig);
  insights.answers.length = 0;
  insights.policies = yamlStream([policyYaml('rod-a'), policyYaml('rod-b'), policyYaml('rod-c')]);
  const stack = await pulumiStack({
    projectName: 'jobforge-e2e-policy-sync-remove',
    envVars: { FAIRWINDS_TOKEN: TOKEN, LOG_LEVEL: 'error' },
    program: async () => {
      const sync = new KyvernoPolicySyncResource('policies', {
        insights: { host: insights.url, organization: 'acme', cluster: 'prod' },
        kubeconfig,
        lockNamespace: 'default',
        lockTimeoutSeconds: 60,
        removeOnDelete: true,
      });
      return { applied: sync.applied };
    },
  });
  try {
    const up = await stack.up();
    expect(up.outputs.applied.value).toEqual(['rod-a', 'rod-b', 'rod-c']);
    const theirs = await kubeRequest(kubeconfig, 'POST', '/apis/kyverno.io/v1/clusterpolicies', {
      ...parseYaml(policyYaml('rod-theirs', { annotations: {} })),
    });
    expect(theirs.status).toBe(201);
    const d = await stack.destroy();
    expect(d.summary.result).toBe('succeeded');
    expect([...(await clusterPolicies(kubeconfig)).keys()]).toEqual(['ClusterPolicy/rod-theirs']);
  } finally {
    await stack.cleanup();
    await resetPolicies(kubeconfig);
  }
});
