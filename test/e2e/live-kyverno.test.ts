// UniqueJobPerImagePolicy and the Kyverno policy sync with Kyverno's real admission and background
// controllers (out of cluster, see test/support/kyverno-controllers.ts) on a live control plane:
// the Job controller runs the generated Jobs, kwok their pods.
import { Testing } from 'cdk8s';
import {
  GENERATED_BY_LABEL,
  GENERATED_BY_VALUE,
  UniqueJobPerImagePolicy,
  UniqueJobPerImagePolicyProps,
} from '../../constructs/unique-job-per-image-policy';
import { insightsPolicySource } from '../../core/policy-sync/insights-source';
import { syncKyvernoPolicies } from '../../core/policy-sync/sync-kyverno-policies';
import { uniqueJobName } from '../../core/unique-job-name';
import { e2eEnv } from '../support/e2e-env';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { KubeObject, applyObject, ensureNamespace, getJson, listItems } from '../support/kube-api';
import { LiveCluster, startLiveCluster } from '../support/live-cluster';
import { LiveJob } from '../support/live-jobs';
import { policyYaml, yamlStream } from '../support/policy-sync-fixtures';
import { waitFor } from '../support/processes';

const SCANNER = 'ghcr.io/acme/scanner:1.4';

interface PolicyStatus {
  readonly status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

describe('with Kyverno’s admission and background controllers on a live control plane', () => {
  let live: LiveCluster;

  beforeAll(async () => {
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [{ name: 'worker-1' }, { name: 'worker-2' }],
      kyverno: true,
    });
    const parts = Object.entries(live.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ');
    process.stderr.write(`[live] control plane with Kyverno up: ${parts}\n`);
  });

  afterAll(async () => {
    await live?.stop();
  });

  /** Waits until Kyverno reports the ClusterPolicy (or namespaced Policy) Ready. */
  async function waitForPolicyReady(name: string, namespace?: string): Promise<void> {
    const url = namespace
      ? `/apis/kyverno.io/v1/namespaces/${namespace}/policies/${name}`
      : `/apis/kyverno.io/v1/clusterpolicies/${name}`;
    await waitFor(
      `Kyverno to report policy ${namespace ? `${namespace}/` : ''}${name} Ready`,
      async () => {
        const p = await getJson<PolicyStatus>(live.kubeconfig, url);
        return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? true
          : undefined;
      },
      { timeoutMs: 90000, intervalMs: 500, onTimeout: () => live.logTails() },
    );
  }

  /**
   * Applies the policy's ClusterRole, waits until the controller-manager has aggregated it into
   * Kyverno's background controller role (Kyverno refuses a generate policy it may not carry out),
   * then the ClusterPolicy, and waits until Kyverno reports it Ready.
   */
  async function installPolicy(props: UniqueJobPerImagePolicyProps): Promise<UniqueJobPerImagePolicy> {
    const chart = Testing.chart();
    const policy = new UniqueJobPerImagePolicy(chart, 'Policy', props);
    const objects = Testing.synth(chart) as KubeObject[];
    for (const o of objects.filter((x) => x.kind === 'ClusterRole')) await applyObject(live.kubeconfig, o);
    await waitFor(
      'the Job permissions aggregated into kyverno:background-controller',
      async () => {
        const role = await getJson<{
          rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
        }>(live.kubeconfig, '/apis/rbac.authorization.k8s.io/v1/clusterroles/kyverno:background-controller');
        const ok = (role?.rules ?? []).some(
          (r) =>
            r.apiGroups?.includes('batch') && r.resources?.includes('jobs') && r.verbs?.includes('create'),
        );
        return ok ? true : undefined;
      },
      { timeoutMs: 60000, intervalMs: 250 },
    );
    for (const ns of props.namespaces ?? ['default']) await ensureNamespace(live.kubeconfig, ns);
    for (const o of objects.filter((x) => x.kind === 'ClusterPolicy')) await applyObject(live.kubeconfig, o);
    await waitForPolicyReady(policy.policyName);
    return policy;
  }

  let podCount = 0;
  async function createPod(ns: string, images: string[], initImages: string[] = []): Promise<string> {
    const name = `pod-${++podCount}`;
    await applyObject(live.kubeconfig, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        initContainers: initImages.length
          ? initImages.map((image, i) => ({ name: `init-${i}`, image }))
          : undefined,
        containers: images.map((image, i) => ({ name: `c-${i}`, image })),
      },
    });
    return name;
  }

  const jobNames = async (ns: string): Promise<string[]> =>
    (await listItems<LiveJob>(live.kubeconfig, `/apis/batch/v1/namespaces/${ns}/jobs`))
      .map((j) => j.metadata.name!)
      .sort();

  /** Waits until the namespace has exactly the Jobs `names` (sorted), and returns them. */
  const waitForJobs = (ns: string, names: string[]): Promise<string[]> =>
    waitFor(
      `Jobs ${names.join(', ')} in ${ns}`,
      async () => {
        const now = await jobNames(ns);
        return names.every((n) => now.includes(n)) ? now : undefined;
      },
      { timeoutMs: 90000, intervalMs: 300, onTimeout: () => live.logTails() },
    );

  /**
   * Kyverno handles one Pod at a time: a sentinel Pod with an image of its own, created last, gets
   * its Job only after the Pods before it were handled. Then the namespace's Jobs are final.
   */
  async function settle(ns: string, policy: UniqueJobPerImagePolicy, sentinel: string): Promise<string[]> {
    await createPod(ns, [sentinel]);
    return waitForJobs(ns, [policy.jobName(sentinel)]);
  }

  describe('UniqueJobPerImagePolicy', () => {
    let policy: UniqueJobPerImagePolicy;
    const NS = 'uj-seed';

    beforeAll(async () => {
      policy = await installPolicy({
        policyName: 'unique-job-seed',
        namespaces: [NS, 'uj-normalize'],
        jobContainer: { image: SCANNER, command: ['scan'] },
      });
    });

    it('three pods with nginx:1.21 create one Job, named uniqueJobName(nginx:1.21)', async () => {
      for (let i = 0; i < 3; i++) await createPod(NS, ['nginx:1.21']);
      const names = await settle(NS, policy, 'busybox:sentinel-1');
      expect(names).toEqual([uniqueJobName('nginx:1.21'), uniqueJobName('busybox:sentinel-1')].sort());
    });

    it('redis:7.0 and postgres:14 pods make it three; a fourth nginx pod creates none', async () => {
      await createPod(NS, ['redis:7.0']);
      await createPod(NS, ['postgres:14']);
      await createPod(NS, ['nginx:1.21']);
      const names = await settle(NS, policy, 'busybox:sentinel-2');
      expect(names).toEqual(
        [
          uniqueJobName('nginx:1.21'),
          uniqueJobName('redis:7.0'),
          uniqueJobName('postgres:14'),
          uniqueJobName('busybox:sentinel-1'),
          uniqueJobName('busybox:sentinel-2'),
        ].sort(),
      );
      const job = await getJson<LiveJob>(
        live.kubeconfig,
        `/apis/batch/v1/namespaces/${NS}/jobs/${uniqueJobName('redis:7.0')}`,
      );
      expect(job?.metadata.annotations).toMatchObject({ 'original-image': 'redis:7.0' });
    });

    it('nginx and docker.io/library/nginx:latest share one Job', async () => {
      await createPod('uj-normalize', ['nginx']);
      await createPod('uj-normalize', ['docker.io/library/nginx:latest']);
      const names = await settle('uj-normalize', policy, 'busybox:sentinel-3');
      expect(uniqueJobName('nginx')).toBe(uniqueJobName('docker.io/library/nginx:latest'));
      expect(names).toEqual([uniqueJobName('nginx'), uniqueJobName('busybox:sentinel-3')].sort());
    });

    it('the generated Jobs run (the Job controller is on), and their own pods make no Job for the scanner image', async () => {
      // Every generated Job has run its scanner pod, labelled generated-by=unique-job-per-image-policy.
      await waitFor(
        `the generated Jobs in ${NS} to complete`,
        async () => {
          const jobs = await listItems<LiveJob>(live.kubeconfig, `/apis/batch/v1/namespaces/${NS}/jobs`);
          return jobs.length >= 5 &&
            jobs.every((j) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'))
            ? jobs
            : undefined;
        },
        { timeoutMs: 120000, intervalMs: 500, onTimeout: () => live.logTails() },
      );
      const scannerPods = await listItems<KubeObject>(
        live.kubeconfig,
        `/api/v1/namespaces/${NS}/pods`,
        `${GENERATED_BY_LABEL}=${GENERATED_BY_VALUE}`,
      );
      expect(scannerPods.length).toBeGreaterThanOrEqual(5);
      const names = await settle(NS, policy, 'busybox:sentinel-4');
      expect(names).not.toContain(policy.jobName(SCANNER));
      expect(names).toHaveLength(6);
    });

    it('allContainers: one Job per image of the init containers and containers', async () => {
      const all = await installPolicy({
        policyName: 'unique-job-all-containers',
        namespaces: ['uj-all'],
        allContainers: true,
        jobContainer: { image: SCANNER },
      });
      await createPod('uj-all', ['nginx:1.25', 'redis:7.2'], ['busybox:1.36']);
      const names = await settle('uj-all', all, 'busybox:sentinel-5');
      expect(names).toEqual(
        ['nginx:1.25', 'redis:7.2', 'busybox:1.36', 'busybox:sentinel-5'].map((i) => uniqueJobName(i)).sort(),
      );
    });
  });

  describe('the Kyverno policy sync', () => {
    const TOKEN = 'insights-test-token';
    let insights: InsightsServer;

    beforeAll(async () => {
      insights = await startInsightsServer({ token: TOKEN, organization: 'acme', cluster: 'prod' });
      await ensureNamespace(live.kubeconfig, 'team-a');
    });
    afterAll(() => insights?.close());

    it('synced policies become Ready in Kyverno’s status', async () => {
      insights.policies = yamlStream([
        policyYaml('require-team'),
        policyYaml('require-team-ns', { namespace: 'team-a' }),
      ]);
      const result = await syncKyvernoPolicies({
        source: insightsPolicySource({
          host: insights.url,
          token: TOKEN,
          organization: 'acme',
          cluster: 'prod',
          retries: 0,
          timeoutMs: 5000,
        }),
        kubeconfig: live.kubeconfig,
        lock: { namespace: 'default', timeoutMs: 60_000 },
        logger: { log: () => undefined },
      });
      expect(result).toMatchObject({ success: true, applied: ['require-team', 'team-a/require-team-ns'] });
      await waitForPolicyReady('require-team');
      await waitForPolicyReady('require-team-ns', 'team-a');
    });
  });
});
