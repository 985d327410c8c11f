// The DaemonJob controller (`jobforge controller daemonjob`) on a live control plane: its CRD on the
// real apiserver, two replicas in process (one leads), nodes joining, leaving and being tainted,
// a changed template, a DaemonJob whose Jobs the apiserver refuses, and the CLI as child processes
// whose leader is killed in the middle of a reconcile and restarted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { Testing } from 'cdk8s';
import { DaemonJob } from '../../constructs/daemon-job';
import { daemonJobCrdManifest } from '../../constructs/daemon-job-crd';
import { DaemonJobController as DaemonJobControllerConstruct } from '../../constructs/daemon-job-controller';
import {
  RunningDaemonJobController,
  startDaemonJobController,
} from '../../bin/commands/controller-daemonjob';
import { DAEMON_JOB_TEMPLATE_HASH_LABEL } from '../../core/daemon-job/per-node-job';
import { DaemonJobObject } from '../../core/daemon-job/daemon-job-resource';
import { e2eEnv } from '../support/e2e-env';
import {
  KubeObject,
  applyObject,
  dryRunObject,
  ensureNamespace,
  getJson,
  installCrds,
  kubeRequest,
  listItems,
  mergePatch,
} from '../support/kube-api';
import { LiveCluster, LiveNode, startLiveCluster } from '../support/live-cluster';
import { LiveJob, LivePod, applyChart, listPods } from '../support/live-jobs';
import { ManagedProcess, freePort, startProcess, waitFor } from '../support/processes';

const REPO = path.resolve(__dirname, '..', '..');
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const IMAGE_2 = 'registry.k8s.io/e2e-test-images/busybox:1.37.0-1';
const GROUP_PATH = '/apis/jobforge.io/v1alpha1';

const NODES: LiveNode[] = [
  { name: 'batch-1', labels: { pool: 'batch' } },
  { name: 'batch-2', labels: { pool: 'batch' } },
  { name: 'batch-3', labels: { pool: 'batch' } },
  {
    name: 'batch-gpu',
    labels: { pool: 'batch' },
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  },
  { name: 'web-1', labels: { pool: 'web' } },
];

type DaemonJobLive = DaemonJobObject & KubeObject;

describe('the DaemonJob controller on a live control plane', () => {
  let live: LiveCluster;
  const replicas: RunningDaemonJobController[] = [];
  const children: ManagedProcess[] = [];

  beforeAll(async () => {
    live = await startLiveCluster({ binDir: e2eEnv().binDir, nodes: NODES });
    await installCrds(live.kubeconfig, [daemonJobCrdManifest() as KubeObject]);
    // Established comes a moment before the group is in discovery (the harness resolves kinds through it).
    await waitFor(
      'jobforge.io/v1alpha1 in discovery',
      async () => ((await kubeRequest(live.kubeconfig, 'GET', GROUP_PATH)).status === 200 ? true : undefined),
      { timeoutMs: 30000, intervalMs: 100 },
    );
  });

  afterAll(async () => {
    for (const r of replicas) await r.stop();
    for (const c of children) await c.stop();
    await live?.stop();
  });

  const djPath = (ns: string, name: string): string => `${GROUP_PATH}/namespaces/${ns}/daemonjobs/${name}`;
  const getDj = async (ns: string, name: string): Promise<DaemonJobLive> =>
    (await getJson<DaemonJobLive>(live.kubeconfig, djPath(ns, name)))!;
  const jobsOf = (ns: string, name: string): Promise<LiveJob[]> =>
    listItems<LiveJob>(
      live.kubeconfig,
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      `jobforge.io/daemon-job=${name}`,
    );
  const podsOf = (ns: string, name: string): Promise<LivePod[]> =>
    listPods(live.kubeconfig, ns, `jobforge.io/daemon-job=${name}`);
  const nodeOf = (job: LiveJob): string =>
    (job.metadata.annotations as Record<string, string>)['jobforge.io/node-name'];

  /** Node → the number of Succeeded pods of the round, for every round seen. */
  async function successesByRoundAndNode(
    ns: string,
    name: string,
  ): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const p of await podsOf(ns, name)) {
      if (p.status?.phase !== 'Succeeded') continue;
      const round = p.metadata.labels?.[DAEMON_JOB_TEMPLATE_HASH_LABEL] ?? '?';
      const node = p.spec.nodeName ?? '?';
      (out[round] ??= {})[node] = ((out[round] ??= {})[node] ?? 0) + 1;
    }
    return out;
  }

  /** The DaemonJob once its status says `succeeded` nodes of its current round succeeded. */
  async function waitSucceeded(ns: string, name: string, succeeded: number): Promise<DaemonJobLive> {
    let last: unknown;
    return waitFor(
      `${name}: ${succeeded} nodes succeeded`,
      async () => {
        const dj = await getDj(ns, name);
        last = dj.status;
        return dj.status?.succeeded === succeeded &&
          dj.status?.desired === succeeded &&
          dj.status.observedGeneration === dj.metadata.generation
          ? dj
          : undefined;
      },
      {
        timeoutMs: 90000,
        intervalMs: 200,
        onTimeout: () => `status ${JSON.stringify(last)}\n${live.logTails()}`,
      },
    );
  }

  function controllerDaemonJob(ns: string, name: string, image = IMAGE): KubeObject[] {
    const chart = Testing.chart();
    new DaemonJob(chart, 'Dj', {
      namespace: ns,
      name,
      image,
      mode: 'controller',
      nodeSelector: { pool: 'batch' },
    });
    return Testing.synth(chart) as KubeObject[];
  }

  describe('the CRD on the real apiserver', () => {
    const base = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'jobforge.io/v1alpha1',
      kind: 'DaemonJob',
      metadata: { name: 'probe', namespace: 'default' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE }] } },
        ...spec,
      },
    });

    test('accepts the DaemonJob the construct synthesizes in mode controller', async () => {
      const [dj] = controllerDaemonJob('default', 'probe').filter((o) => o.kind === 'DaemonJob');
      const stored = (await dryRunObject(live.kubeconfig, dj)) as DaemonJobLive;
      expect(stored.spec.template.spec.containers).toHaveLength(1);
      expect(stored.spec.nodeSelector).toEqual({ pool: 'batch' });
    });

    test.each<[string, Record<string, unknown>, string]>([
      ['no template', { template: undefined }, 'spec.template: Required value'],
      ['parallelism (the nodes decide it)', { parallelism: 3 }, 'unknown field "spec.parallelism"'],
      [
        'restartPolicy Always',
        { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'main', image: IMAGE }] } } },
        'spec.template.spec.restartPolicy: Unsupported value: "Always"',
      ],
      [
        'no containers',
        { template: { spec: { restartPolicy: 'Never' } } },
        'spec.template.spec.containers: Required value',
      ],
      [
        'a bad nodeRemovalPolicy',
        { nodeRemovalPolicy: 'Keep' },
        'spec.nodeRemovalPolicy: Unsupported value: "Keep"',
      ],
      ['a toleration of the wrong type', { tolerations: 'all' }, 'spec.tolerations: Invalid value: "string"'],
      ['a negative backoffLimit', { backoffLimit: -1 }, 'spec.backoffLimit: Invalid value: -1'],
    ])('rejects %s', async (_n, spec, message) => {
      await expect(dryRunObject(live.kubeconfig, base(spec))).rejects.toThrow(message);
    });
  });

  describe('two replicas in process', () => {
    beforeAll(async () => {
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await startDaemonJobController(
            {
              kubeconfig: live.kubeconfig,
              leaseNamespace: 'default',
              leaseName: 'dj-in-process',
              leaseDuration: '3s',
              listen: `127.0.0.1:${await freePort()}`,
            },
            {},
            () => undefined,
          ),
        );
      }
      await waitFor('a leader', async () => (replicas.some((r) => r.leading()) ? true : undefined), {
        timeoutMs: 30000,
      });
    });

    test('one replica leads; /healthz, /readyz and /metrics answer on both', async () => {
      expect(replicas.filter((r) => r.leading())).toHaveLength(1);
      for (const r of replicas) {
        expect((await fetch(`${r.probes.url}/healthz`)).status).toBe(200);
        // The leader is ready once its informers have listed; a standby at once.
        await waitFor(
          '/readyz',
          async () => ((await fetch(`${r.probes.url}/readyz`)).status === 200 ? true : undefined),
          {
            timeoutMs: 30000,
          },
        );
      }
      const leader = replicas.find((r) => r.leading())!;
      const metrics = await (await fetch(`${leader.probes.url}/metrics`)).text();
      expect(metrics).toContain('jobforge_daemonjob_leader 1');
    });

    test('3 matching nodes → 3 Jobs, 3 successes; the tainted and the web node get none; status and Events', async () => {
      await ensureNamespace(live.kubeconfig, 'dj-a');
      for (const o of controllerDaemonJob('dj-a', 'audit')) await applyObject(live.kubeconfig, o);
      const dj = await waitSucceeded('dj-a', 'audit', 3);
      expect(dj.status).toMatchObject({
        desired: 3,
        active: 0,
        succeeded: 3,
        failed: 0,
        observedGeneration: 1,
      });
      expect(dj.status?.conditions?.find((c) => c.type === 'Complete')).toMatchObject({
        status: 'True',
        reason: 'AllNodesSucceeded',
      });
      const jobs = await jobsOf('dj-a', 'audit');
      expect(jobs.map(nodeOf).sort()).toEqual(['batch-1', 'batch-2', 'batch-3']);
      expect(await successesByRoundAndNode('dj-a', 'audit')).toEqual({
        [dj.status!.templateHash!]: { 'batch-1': 1, 'batch-2': 1, 'batch-3': 1 },
      });
      const events = await listItems<KubeObject & { reason: string }>(
        live.kubeconfig,
        '/api/v1/namespaces/dj-a/events',
      );
      expect(events.filter((e) => e.reason === 'CreatedJob')).toHaveLength(3);
      expect(events.some((e) => e.reason === 'Complete')).toBe(true);
    });

    test('2 nodes join → 2 more Jobs (time measured); a tainted node that joins gets none', async () => {
      const joined = Date.now();
      await live.addNodes([
        { name: 'batch-4', labels: { pool: 'batch' } },
        { name: 'batch-5', labels: { pool: 'batch' } },
        {
          name: 'batch-6',
          labels: { pool: 'batch' },
          taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }],
        },
      ]);
      await waitFor(
        'Jobs for batch-4 and batch-5',
        async () => {
          const nodes = (await jobsOf('dj-a', 'audit')).map(nodeOf);
          return nodes.includes('batch-4') && nodes.includes('batch-5') ? true : undefined;
        },
        { timeoutMs: 60000, intervalMs: 50 },
      );
      // Informational: from the nodes being created (addNodes waits for them to be Ready) to the Jobs.
      process.stdout.write(
        `node join → Job created: ${Date.now() - joined} ms (includes waiting for the nodes to be Ready)\n`,
      );
      const dj = await waitSucceeded('dj-a', 'audit', 5);
      expect((await jobsOf('dj-a', 'audit')).map(nodeOf).sort()).toEqual([
        'batch-1',
        'batch-2',
        'batch-3',
        'batch-4',
        'batch-5',
      ]);
      expect(
        Object.values((await successesByRoundAndNode('dj-a', 'audit'))[dj.status!.templateHash!]),
      ).toEqual([1, 1, 1, 1, 1]);
    });

    test('a node removed → its Job removed', async () => {
      await kubeRequest(live.kubeconfig, 'DELETE', '/api/v1/nodes/batch-5');
      await waitFor(
        'the Job of batch-5 removed',
        async () => ((await jobsOf('dj-a', 'audit')).some((j) => nodeOf(j) === 'batch-5') ? undefined : true),
        { timeoutMs: 30000, intervalMs: 100 },
      );
      const dj = await waitSucceeded('dj-a', 'audit', 4);
      expect(dj.status).toMatchObject({ desired: 4, succeeded: 4 });
    });

    test('a node that loses the selected label gets no new Job (and keeps its finished one)', async () => {
      await mergePatch(live.kubeconfig, '/api/v1/nodes/batch-4', { metadata: { labels: { pool: 'web' } } });
      const dj = await waitSucceeded('dj-a', 'audit', 3);
      expect(dj.status?.desired).toBe(3);
      expect((await jobsOf('dj-a', 'audit')).map(nodeOf).sort()).toEqual([
        'batch-1',
        'batch-2',
        'batch-3',
        'batch-4',
      ]);
    });

    test('the image changed → a new round: one new Job per node, the old round removed, one success per node and round', async () => {
      const before = (await getDj('dj-a', 'audit')).status!.templateHash!;
      await mergePatch(live.kubeconfig, djPath('dj-a', 'audit'), {
        spec: { template: { spec: { containers: [{ name: 'main', image: IMAGE_2 }] } } },
      });
      const dj = await waitSucceeded('dj-a', 'audit', 3);
      const round = dj.status!.templateHash!;
      expect(round).not.toBe(before);
      const jobs = await jobsOf('dj-a', 'audit');
      expect(
        jobs.map((j) => (j.metadata.labels as Record<string, string>)[DAEMON_JOB_TEMPLATE_HASH_LABEL]),
      ).toEqual([round, round, round]);
      expect(jobs.map(nodeOf).sort()).toEqual(['batch-1', 'batch-2', 'batch-3']);
      expect(
        jobs.every(
          (j) =>
            (j.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
              .containers[0].image === IMAGE_2,
        ),
      ).toBe(true);
      const successes = await successesByRoundAndNode('dj-a', 'audit');
      expect(successes[round]).toEqual({ 'batch-1': 1, 'batch-2': 1, 'batch-3': 1 });
    });

    test('a DaemonJob whose Jobs the apiserver refuses gets a condition naming the field; the controller keeps working', async () => {
      await ensureNamespace(live.kubeconfig, 'dj-bad');
      await applyObject(live.kubeconfig, {
        apiVersion: 'jobforge.io/v1alpha1',
        kind: 'DaemonJob',
        metadata: { name: 'bad', namespace: 'dj-bad' },
        // Valid for the CRD schema, refused by Job validation: a container without an image.
        spec: {
          nodeSelector: { pool: 'batch' },
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main' }] } },
        },
      });
      const bad = await waitFor(
        'the Valid=False condition',
        async () => {
          const dj = await getDj('dj-bad', 'bad');
          return dj.status?.conditions?.find((c) => c.type === 'Valid' && c.status === 'False')
            ? dj
            : undefined;
        },
        { timeoutMs: 30000, intervalMs: 100 },
      );
      expect(bad.status?.conditions?.find((c) => c.type === 'Valid')?.message).toContain(
        'spec.template.spec.containers[0].image',
      );
      expect(await jobsOf('dj-bad', 'bad')).toEqual([]);
      const warnings = await listItems<KubeObject & { reason: string; type: string }>(
        live.kubeconfig,
        '/api/v1/namespaces/dj-bad/events',
      );
      expect(warnings.filter((e) => e.type === 'Warning' && e.reason === 'InvalidSpec')).toHaveLength(1);
      // The same controller still serves a good DaemonJob.
      for (const o of controllerDaemonJob('dj-bad', 'good')) await applyObject(live.kubeconfig, o);
      await waitSucceeded('dj-bad', 'good', 3);
      // Fixing the spec starts a round that runs.
      await mergePatch(live.kubeconfig, djPath('dj-bad', 'bad'), {
        spec: { template: { spec: { containers: [{ name: 'main', image: IMAGE }] } } },
      });
      const fixed = await waitSucceeded('dj-bad', 'bad', 3);
      expect(fixed.status?.conditions?.find((c) => c.type === 'Valid')?.status).toBe('True');
    });

    afterAll(async () => {
      for (const r of replicas.splice(0)) await r.stop();
    });
  });

  describe('the DaemonJobController construct: least RBAC, for real', () => {
    const SA = 'system:serviceaccount:jobforge-system:jobforge-daemonjob-controller';

    beforeAll(async () => {
      const chart = Testing.chart();
      new DaemonJobControllerConstruct(chart, 'Controller', {
        image: 'ghcr.io/example/jobforge:0.1.0',
        installCrd: false,
      });
      // Everything but the Deployment (its pods would only be faked by kwok): the controller runs here instead.
      for (const o of Testing.synth(chart) as KubeObject[])
        if (o.kind !== 'Deployment') await applyObject(live.kubeconfig, o);
    });

    async function allowed(attrs: Record<string, string>): Promise<boolean> {
      const res = await kubeRequest(
        live.kubeconfig,
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: SA, groups: ['system:serviceaccounts'], resourceAttributes: attrs },
        },
      );
      return res.json<{ status: { allowed: boolean } }>().status.allowed;
    }

    test.each<[Record<string, string>, boolean]>([
      [{ resource: 'nodes', verb: 'watch' }, true],
      [{ group: 'jobforge.io', resource: 'daemonjobs', verb: 'list', namespace: 'x' }, true],
      [
        {
          group: 'jobforge.io',
          resource: 'daemonjobs',
          subresource: 'status',
          verb: 'update',
          namespace: 'x',
        },
        true,
      ],
      [{ group: 'batch', resource: 'jobs', verb: 'create', namespace: 'x' }, true],
      [{ resource: 'events', verb: 'create', namespace: 'x' }, true],
      [
        {
          group: 'coordination.k8s.io',
          resource: 'leases',
          verb: 'update',
          namespace: 'jobforge-system',
          name: 'jobforge-daemonjob-controller',
        },
        true,
      ],
      [
        {
          group: 'coordination.k8s.io',
          resource: 'leases',
          verb: 'update',
          namespace: 'jobforge-system',
          name: 'other',
        },
        false,
      ],
      [{ group: 'jobforge.io', resource: 'daemonjobs', verb: 'update', namespace: 'x' }, false],
      [{ group: 'batch', resource: 'jobs', verb: 'update', namespace: 'x' }, false],
      [{ resource: 'pods', verb: 'list', namespace: 'x' }, false],
      [{ resource: 'secrets', verb: 'get', namespace: 'x' }, false],
      [{ resource: 'nodes', verb: 'update' }, false],
    ])('%j allowed: %s', async (attrs, expected) => {
      expect(await allowed(attrs)).toBe(expected);
    });

    test("the controller runs with the ServiceAccount's token alone", async () => {
      const token = (
        await kubeRequest(
          live.kubeconfig,
          'POST',
          '/api/v1/namespaces/jobforge-system/serviceaccounts/jobforge-daemonjob-controller/token',
          { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
        )
      ).json<{ status: { token: string } }>().status.token;
      const admin = YAML.parse(fs.readFileSync(live.kubeconfig, 'utf8')) as {
        clusters: { cluster: object }[];
      };
      const kubeconfig = YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'live', cluster: admin.clusters[0].cluster }],
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: 'live', user: 'sa' } }],
        'current-context': 'sa',
      });
      const replica = await startDaemonJobController(
        {
          kubeconfig,
          leaseNamespace: 'jobforge-system',
          leaseDuration: '3s',
          listen: `127.0.0.1:${await freePort()}`,
        },
        {},
        () => undefined,
      );
      replicas.push(replica);
      try {
        await ensureNamespace(live.kubeconfig, 'dj-rbac');
        for (const o of controllerDaemonJob('dj-rbac', 'audit')) await applyObject(live.kubeconfig, o);
        const dj = await waitSucceeded('dj-rbac', 'audit', 3);
        expect(dj.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
        const events = await listItems<KubeObject & { reason: string }>(
          live.kubeconfig,
          '/api/v1/namespaces/dj-rbac/events',
        );
        expect(events.filter((e) => e.reason === 'CreatedJob')).toHaveLength(3);
      } finally {
        await replica.stop();
      }
    });
  });

  describe('the CLI as child processes', () => {
    const cli = async (name: string): Promise<ManagedProcess> => {
      const port = await freePort();
      const proc = startProcess(
        name,
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          'bin/jobforge.ts',
          'controller',
          'daemonjob',
          '--kubeconfig',
          live.kubeconfig,
          '--lease-namespace',
          'default',
          '--lease-name',
          'dj-cli',
          '--lease-duration',
          '4s',
          '--listen',
          `127.0.0.1:${port}`,
          '--log-level',
          'debug',
        ],
        { cwd: REPO },
      );
      children.push(proc);
      await waitFor(
        `${name} /healthz`,
        async () => {
          if (!proc.running()) throw new Error(`${name} exited:\n${proc.logTail()}`);
          try {
            return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 120000, intervalMs: 250, onTimeout: () => proc.logTail() },
      );
      return proc;
    };
    const leaseHolder = async (): Promise<string | undefined> =>
      (
        await getJson<{ spec: { holderIdentity?: string } }>(
          live.kubeconfig,
          '/apis/coordination.k8s.io/v1/namespaces/default/leases/dj-cli',
        )
      )?.spec.holderIdentity;

    test('leader killed mid-reconcile, a standby takes over, the leader restarted: never two Jobs for one node and round, never two successes on a node', async () => {
      const a = await cli('dj-cli-a');
      await waitFor(
        'a to lead',
        async () => ((await leaseHolder())?.includes(String(a.pid)) ? true : undefined),
        { timeoutMs: 30000, intervalMs: 100 },
      );
      const b = await cli('dj-cli-b');
      await ensureNamespace(live.kubeconfig, 'dj-kill');
      // Many Jobs per reconcile (one per node): more nodes so the kill lands mid-reconcile.
      await live.addNodes(
        Array.from({ length: 12 }, (_, i) => ({ name: `many-${i + 1}`, labels: { pool: 'many' } })),
      );
      const chart = Testing.chart();
      new DaemonJob(chart, 'Dj', {
        namespace: 'dj-kill',
        name: 'sweep',
        image: IMAGE,
        mode: 'controller',
        nodeSelector: { pool: 'many' },
      });
      await applyChart(live.kubeconfig, chart);
      await waitFor(
        'the first Job',
        async () => ((await jobsOf('dj-kill', 'sweep')).length > 0 ? true : undefined),
        { timeoutMs: 60000, intervalMs: 5 },
      );
      process.kill(-a.pid, 'SIGKILL');
      const atKill = (await jobsOf('dj-kill', 'sweep')).length;
      process.stdout.write(`Jobs when the leader was killed: ${atKill} of 12\n`);
      await waitFor(
        'b to lead',
        async () => ((await leaseHolder())?.includes(String(b.pid)) ? true : undefined),
        { timeoutMs: 30000, intervalMs: 100 },
      );
      const restarted = await cli('dj-cli-a2');
      const dj = await waitSucceeded('dj-kill', 'sweep', 12);
      const jobs = await jobsOf('dj-kill', 'sweep');
      expect(jobs).toHaveLength(12);
      expect(new Set(jobs.map(nodeOf)).size).toBe(12);
      expect(
        Object.values((await successesByRoundAndNode('dj-kill', 'sweep'))[dj.status!.templateHash!]).every(
          (n) => n === 1,
        ),
      ).toBe(true);
      // Graceful stop of the leader hands the Lease over at once.
      await b.stop(10000);
      await waitFor(
        'the restarted replica to lead',
        async () => ((await leaseHolder())?.includes(String(restarted.pid)) ? true : undefined),
        { timeoutMs: 30000, intervalMs: 100 },
      );
      expect(b.logTail(200)).toContain('DaemonJob controller stopped');
      expect((await jobsOf('dj-kill', 'sweep')).length).toBe(12);
    });
  });
});
