// kubectl's kubeconfig semantics against the real kube-apiserver: a two-file KUBECONFIG (cluster
// and user in one file, a context with a namespace in the other) is merged, and the policy sync's
// Lease lands in the context's namespace when no namespace is given. The workload index and the
// node loader read the same merged configuration.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadNodes } from '../../core/load-nodes';
import { PolicySource } from '../../core/policy-sync/policy-source';
import { syncKyvernoPolicies } from '../../core/policy-sync/sync-kyverno-policies';
import { collectWorkloadImages, kubeWorkloadLister } from '../../core/workload-index';
import { e2eEnv } from '../support/e2e-env';
import { applyObject, getJson, kubeRequest } from '../support/kube-api';
import {
  ensureNamespace,
  policyYaml,
  resetPolicies,
  waitForPolicyApi,
} from '../support/policy-sync-fixtures';

const LOCK_NS = 'kubeconfig-lock-ns';
const LEASE = 'jobforge-kyverno-policy-sync';
let admin: string;
let dir: string;
let clusterFile: string;
let contextFile: string;
const saved = { KUBECONFIG: process.env.KUBECONFIG, POD_NAMESPACE: process.env.POD_NAMESPACE };

const source = (...docs: string[]): PolicySource => ({
  description: 'test documents',
  fetchYaml: async () => docs.map((yaml, i) => ({ origin: `doc-${i}`, yaml })),
});

const leaseIn = (ns: string) =>
  getJson<{ spec: { holderIdentity: string } }>(
    admin,
    `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${LEASE}`,
  );

beforeAll(async () => {
  admin = e2eEnv().kubeconfig;
  await waitForPolicyApi(admin);
  await ensureNamespace(admin, LOCK_NS);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-kubeconfig-e2e-'));
  const cfg = parseYaml(fs.readFileSync(admin, 'utf8'));
  clusterFile = path.join(dir, 'cluster-and-user.yaml');
  contextFile = path.join(dir, 'context.yaml');
  fs.writeFileSync(
    clusterFile,
    toYaml({ apiVersion: 'v1', kind: 'Config', clusters: cfg.clusters, users: cfg.users }),
    { mode: 0o600 },
  );
  fs.writeFileSync(
    contextFile,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      contexts: [
        {
          name: 'team',
          context: { cluster: cfg.clusters[0].name, user: cfg.users[0].name, namespace: LOCK_NS },
        },
      ],
      'current-context': 'team',
    }),
  );
});
beforeEach(async () => {
  await resetPolicies(admin);
  await kubeRequest(admin, 'DELETE', `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NS}/leases/${LEASE}`);
  process.env.KUBECONFIG = [contextFile, clusterFile].join(path.delimiter);
  delete process.env.POD_NAMESPACE;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the sync reads a two-file KUBECONFIG and takes its Lease in the context namespace', async () => {
  const seen: (string | undefined)[] = [];
  const result = await syncKyvernoPolicies({
    source: source(policyYaml('kubeconfig-merge')),
    kyvernoCli: false,
    lock: { timeoutMs: 60_000, holderIdentity: 'merge-test' },
    onWrite: async () => {
      seen.push(
        (await leaseIn(LOCK_NS))?.spec.holderIdentity,
        (await leaseIn('default'))?.spec.holderIdentity,
      );
    },
  });
  expect(result).toMatchObject({ success: true, applied: ['kubeconfig-merge'], errors: [] });
  // While the policy was written, the Lease was held in the context's namespace, not in default.
  expect(seen).toEqual(['merge-test', undefined]);
  expect(await leaseIn(LOCK_NS)).toBeUndefined();
});

test('one kubeconfig file whose context sets a namespace: the Lease lands there, not in default', async () => {
  const cfg = parseYaml(fs.readFileSync(admin, 'utf8'));
  cfg.contexts[0].context.namespace = LOCK_NS;
  const single = path.join(dir, 'single.yaml');
  fs.writeFileSync(single, toYaml(cfg), { mode: 0o600 });
  delete process.env.KUBECONFIG;
  const seen: (string | undefined)[] = [];
  const result = await syncKyvernoPolicies({
    source: source(policyYaml('kubeconfig-single')),
    kubeconfig: single,
    kyvernoCli: false,
    lock: { timeoutMs: 60_000, holderIdentity: 'single-file' },
    onWrite: async () => {
      seen.push(
        (await leaseIn(LOCK_NS))?.spec.holderIdentity,
        (await leaseIn('default'))?.spec.holderIdentity,
      );
    },
  });
  expect(result).toMatchObject({ success: true, applied: ['kubeconfig-single'], errors: [] });
  expect(seen).toEqual(['single-file', undefined]);
});

test('a Lease held in the context namespace stops the sync, naming the holder and where', async () => {
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  await applyObject(admin, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LEASE, namespace: LOCK_NS },
    spec: { holderIdentity: 'someone-else', leaseDurationSeconds: 600, acquireTime: now, renewTime: now },
  });
  const result = await syncKyvernoPolicies({
    source: source(policyYaml('kubeconfig-held')),
    kyvernoCli: false,
    lock: { timeoutMs: 600_000 },
  });
  expect(result.success).toBe(false);
  expect(result.errors[0]).toContain(`Lease ${LOCK_NS}/${LEASE} is held by "someone-else"`);
  expect(result.applied).toEqual([]);
});

test('an explicit lock namespace wins over the context namespace', async () => {
  const seen: (string | undefined)[] = [];
  const result = await syncKyvernoPolicies({
    source: source(policyYaml('kubeconfig-explicit')),
    kyvernoCli: false,
    lock: { namespace: 'default', timeoutMs: 60_000, holderIdentity: 'explicit' },
    onWrite: async () => {
      seen.push(
        (await leaseIn('default'))?.spec.holderIdentity,
        (await leaseIn(LOCK_NS))?.spec.holderIdentity,
      );
    },
  });
  expect(result).toMatchObject({ success: true, applied: ['kubeconfig-explicit'] });
  expect(seen).toEqual(['explicit', undefined]);
});

test('the KUBECONFIG list can be passed as the kubeconfig option', async () => {
  delete process.env.KUBECONFIG;
  const result = await syncKyvernoPolicies({
    source: source(policyYaml('kubeconfig-option')),
    kubeconfig: [clusterFile, contextFile].join(path.delimiter),
    kyvernoCli: false,
    lock: { timeoutMs: 60_000 },
  });
  expect(result).toMatchObject({ success: true, applied: ['kubeconfig-option'], errors: [] });
});

test('the workload index and the node loader read the merged KUBECONFIG', async () => {
  const collected = await collectWorkloadImages(kubeWorkloadLister());
  expect(collected.apiCalls).toBeGreaterThanOrEqual(6);
  await expect(loadNodes()).resolves.toEqual(expect.any(Array));
});

test('a KUBECONFIG whose context names a cluster no file defines fails the sync, naming it', async () => {
  process.env.KUBECONFIG = contextFile;
  const result = await syncKyvernoPolicies({ source: source(policyYaml('never')), kyvernoCli: false });
  expect(result.success).toBe(false);
  expect(result.errors[0]).toMatch(
    /^'kubeconfig' context "team" names cluster "[^"]+", which is not defined in /,
  );
});
