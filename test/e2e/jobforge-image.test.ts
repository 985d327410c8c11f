// jobforge's own image (the Containerfile, built by tools/image.js with buildah FROM scratch over a
// debootstrap root filesystem, cached by its inputs) run under podman: the CLI's version, its tools
// (git, ssh, the Kyverno CLI) as the non-root user, `publish` to a file:// remote mounted into the
// container, and `policy-sync --dry-run` against the test apiserver (host network, to reach it and
// the Insights server on 127.0.0.1), and `controller daemonjob` against a live control plane for
// one reconcile. Podman's storage is a temporary directory this file owns.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { DaemonJob } from '../../constructs/daemon-job';
import { daemonJobCrdManifest } from '../../constructs/daemon-job-crd';
import { DaemonJobObject } from '../../core/daemon-job/daemon-job-resource';
import { JOBFORGE_IMAGE } from '../../core/jobforge-image';
import { e2eEnv } from '../support/e2e-env';
import {
  KubeObject,
  applyObject,
  ensureNamespace,
  getJson,
  installCrds,
  listItems,
} from '../support/kube-api';
import { LiveCluster, startLiveCluster } from '../support/live-cluster';
import { LiveJob } from '../support/live-jobs';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { InsightsServer, startInsightsServer } from '../support/insights-server';
import { JobforgeImage, Podman, ensureJobforgeImage, processesUnder, startPodman } from '../support/podman';
import {
  TWO_CHECKS_POLICY,
  policyYaml,
  resetPolicies,
  resourceVersions,
  waitForPolicyApi,
} from '../support/policy-sync-fixtures';
import { freePort, makeTempDir, waitFor } from '../support/processes';

const REPO = path.resolve(__dirname, '..', '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;
const UID = 65532;
const TOKEN = 'insights-image-token';

let image: JobforgeImage;
let podman: Podman;

beforeAll(async () => {
  image = ensureJobforgeImage();
  podman = await startPodman(image.archive);
});

afterAll(async () => {
  const dir = podman?.dir;
  await podman?.stop();
  // Nothing podman started outlives the file: no conmon, no runc, no container process.
  if (dir) expect(processesUnder(dir)).toEqual([]);
});

test("the image is jobforge's default image: its name, the package version as tag, OCI labels", async () => {
  expect(image.reference).toBe(JOBFORGE_IMAGE);
  expect(image.tag).toBe(VERSION);
  const inspect = await podman.podman(['image', 'inspect', image.reference, '--format', '{{json .Labels}}']);
  expect(inspect.code).toBe(0);
  const labels = JSON.parse(inspect.stdout) as Record<string, string>;
  expect(labels).toMatchObject({
    'org.opencontainers.image.version': VERSION,
    'org.opencontainers.image.source': 'https://github.com/jobforge/jobforge',
  });
  expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
});

test('jobforge --version prints the project version', async () => {
  const r = await podman.run(image.reference, ['--version']);
  expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
});

test('runs as 65532 with git, ssh, the Kyverno CLI and Node.js 24 on PATH', async () => {
  const r = await podman.run(
    image.reference,
    ['-c', 'id -u; id -g; git --version; ssh -V 2>&1; kyverno version; node --version'],
    { entrypoint: '/bin/sh' },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.slice(0, 2)).toEqual([String(UID), String(UID)]);
  expect(lines[2]).toMatch(/^git version 2\./);
  expect(lines[3]).toMatch(/^OpenSSH_/);
  expect(lines).toContain('Version: v1.19.1');
  expect(lines[lines.length - 1]).toMatch(/^v24\./);
});

describe('jobforge publish in the container', () => {
  let remote: BareRemote;
  let dist: string;

  beforeAll(async () => {
    remote = await createBareRemote();
    dist = makeTempDir('image-dist');
    fs.chmodSync(dist, 0o755); // readable by the container's user
    fs.mkdirSync(path.join(dist, 'jobs'));
    fs.writeFileSync(
      path.join(dist, 'jobs', 'backup.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: backup\n',
    );
    fs.writeFileSync(
      path.join(dist, 'ns.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: batch\n',
    );
    // The container's user owns the remote it pushes to (the host test runs as root).
    for (const p of [path.dirname(remote.dir), ...walk(path.dirname(remote.dir))]) fs.chownSync(p, UID, UID);
  });
  afterAll(async () => {
    await remote?.cleanup();
    if (dist) fs.rmSync(dist, { recursive: true, force: true });
  });

  test('commits the directory to a file:// remote mounted into the container', async () => {
    const r = await podman.run(
      image.reference,
      [
        'publish',
        '--dir',
        '/in/dist',
        '--repo',
        'file:///remote/remote.git',
        '--branch',
        'main',
        '--create-branch',
        '--path',
        'clusters/prod',
        '--author-name',
        'jobforge image test',
        '--author-email',
        'image@jobforge.invalid',
      ],
      {
        mounts: [
          { host: dist, container: '/in/dist', readOnly: true },
          { host: path.dirname(remote.dir), container: '/remote' },
        ],
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = await runGit(['--git-dir', remote.dir, 'ls-tree', '-r', '--name-only', 'main']);
    expect(files.trim().split('\n')).toEqual(['clusters/prod/jobs/backup.yaml', 'clusters/prod/ns.yaml']);
    const show = await runGit(['--git-dir', remote.dir, 'show', 'main:clusters/prod/ns.yaml']);
    expect(show).toBe(fs.readFileSync(path.join(dist, 'ns.yaml'), 'utf8'));
    const author = await runGit(['--git-dir', remote.dir, 'log', '-1', '--format=%an <%ae>', 'main']);
    expect(author.trim()).toBe('jobforge image test <image@jobforge.invalid>');
    expect(r.stdout).toContain((await runGit(['--git-dir', remote.dir, 'rev-parse', 'main'])).trim());
  });
});

describe('jobforge policy-sync --dry-run in the container', () => {
  let kubeDir: string;
  let insights: InsightsServer;

  beforeAll(async () => {
    const { kubeconfig } = e2eEnv();
    await waitForPolicyApi(kubeconfig);
    await resetPolicies(kubeconfig);
    // A copy the container's user can read (the harness writes its kubeconfig for root only).
    kubeDir = makeTempDir('image-kube');
    fs.copyFileSync(kubeconfig, path.join(kubeDir, 'config'));
    fs.chmodSync(kubeDir, 0o755);
    fs.chmodSync(path.join(kubeDir, 'config'), 0o644);
    insights = await startInsightsServer({
      token: TOKEN,
      organization: 'acme',
      cluster: 'prod',
    });
  });
  afterAll(async () => {
    await insights?.close();
    if (kubeDir) fs.rmSync(kubeDir, { recursive: true, force: true });
  });

  const runSync = (): ReturnType<Podman['run']> =>
    podman.run(image.reference, ['policy-sync', '--dry-run'], {
      network: 'host',
      mounts: [{ host: kubeDir, container: '/kube', readOnly: true }],
      env: {
        KUBECONFIG: '/kube/config',
        LOCK_NAMESPACE: 'default',
        FAIRWINDS_INSIGHTS_HOST: insights.url,
        FAIRWINDS_TOKEN: TOKEN,
        FAIRWINDS_ORG: 'acme',
        FAIRWINDS_CLUSTER: 'prod',
      },
    });

  test('plans against the test apiserver and the Insights server on 127.0.0.1, writes nothing', async () => {
    insights.policies = [policyYaml('image-a'), policyYaml('image-b')].join('---\n');
    const r = await runSync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      success: true,
      dryRun: true,
      applied: ['image-a', 'image-b'],
      failed: [],
      summary: 'Applied 2, Updated 0, Removed 0, Failed 0 (dry run, nothing written)',
    });
    expect(r.stderr).not.toContain('Kyverno CLI not found');
    expect(r.stderr).not.toContain(TOKEN);
    expect(insights.requests.length).toBeGreaterThan(0);
    expect(await resourceVersions(e2eEnv().kubeconfig)).toEqual({});
  });

  test("the image's Kyverno CLI rejects a policy the apiserver would accept", async () => {
    insights.policies = [policyYaml('image-a'), TWO_CHECKS_POLICY].join('---\n');
    const r = await runSync();
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout) as { failed: string[]; errors: string[] };
    expect(summary.failed).toEqual(['bad-policy']);
    expect(summary.errors[1]).toMatch(
      /^bad-policy: Kyverno CLI rejected it: .*only one of pattern, anyPattern, deny, foreach, cel can be specified/,
    );
    expect(await resourceVersions(e2eEnv().kubeconfig)).toEqual({});
  });
});

describe('jobforge controller daemonjob in the container, on a live control plane', () => {
  let live: LiveCluster;
  let kubeDir: string;
  let port: number;
  const NAME = 'jobforge-daemonjob-smoke';

  beforeAll(async () => {
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [
        { name: 'batch-1', labels: { pool: 'batch' } },
        { name: 'batch-2', labels: { pool: 'batch' } },
        { name: 'web-1', labels: { pool: 'web' } },
      ],
    });
    await installCrds(live.kubeconfig, [daemonJobCrdManifest() as KubeObject]);
    await ensureNamespace(live.kubeconfig, 'dj-image');
    const chart = Testing.chart();
    new DaemonJob(chart, 'Dj', {
      namespace: 'dj-image',
      name: 'audit',
      image: 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1',
      mode: 'controller',
      nodeSelector: { pool: 'batch' },
    });
    for (const o of Testing.synth(chart) as KubeObject[]) await applyObject(live.kubeconfig, o);
    kubeDir = makeTempDir('image-live-kube');
    fs.copyFileSync(live.kubeconfig, path.join(kubeDir, 'config'));
    fs.chmodSync(kubeDir, 0o755);
    fs.chmodSync(path.join(kubeDir, 'config'), 0o644);
    port = await freePort();
  });
  afterAll(async () => {
    await podman?.podman(['rm', '--force', '--time', '0', NAME]);
    await live?.stop();
    if (kubeDir) fs.rmSync(kubeDir, { recursive: true, force: true });
  });

  test('one Job per matching node, both succeed, the status says so; /healthz and /metrics answer; stops on SIGTERM', async () => {
    const started = await podman.start(
      NAME,
      image.reference,
      ['controller', 'daemonjob', '--lease-namespace', 'default', '--listen', `127.0.0.1:${port}`],
      {
        network: 'host',
        mounts: [{ host: kubeDir, container: '/kube', readOnly: true }],
        env: { KUBECONFIG: '/kube/config' },
      },
    );
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const logs = async (): Promise<string> => {
      const l = await podman.podman(['logs', NAME]);
      return `${l.stdout}${l.stderr}`;
    };
    let last: unknown;
    const dj = await waitFor(
      'the DaemonJob: 2 nodes succeeded',
      async () => {
        const d = await getJson<DaemonJobObject & KubeObject>(
          live.kubeconfig,
          '/apis/jobforge.io/v1alpha1/namespaces/dj-image/daemonjobs/audit',
        );
        last = d?.status;
        return d?.status?.succeeded === 2 && d.status.desired === 2 ? d : undefined;
      },
      {
        timeoutMs: 180000,
        intervalMs: 500,
        onTimeout: () => `status ${JSON.stringify(last)}\n${live.logTails()}`,
      },
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\ncontroller logs:\n${await logs()}`);
    });
    expect(dj.status).toMatchObject({ desired: 2, succeeded: 2, failed: 0 });
    const jobs = await listItems<LiveJob>(
      live.kubeconfig,
      '/apis/batch/v1/namespaces/dj-image/jobs',
      'jobforge.io/daemon-job=audit',
    );
    expect(
      jobs.map((j) => (j.metadata.annotations as Record<string, string>)['jobforge.io/node-name']).sort(),
    ).toEqual(['batch-1', 'batch-2']);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
      'jobforge_daemonjob_leader 1',
    );

    const stopped = await podman.podman(['stop', '--time', '20', NAME]);
    expect(stopped.code).toBe(0);
    const exit = await podman.podman(['inspect', NAME, '--format', '{{.State.ExitCode}}']);
    expect(exit.stdout.trim()).toBe('0');
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}
