// Two replicas of `jobforge controller image-creation` on one Lease: the leader is SIGKILLed
// while its push is in flight (the Git server holds it), the standby takes the Lease over and
// finishes the image — exactly one commit holds its manifest, nothing is lost.
import { ensureNamespace, kubeRequest } from '../support/kube-api';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { createRepository, motoEcrClient, putImage, useMotoCredentials } from '../support/ecr-seed';
import { runGit, startHttpGitServer, HttpGitServer } from '../support/git-remotes';
import { waitFor } from '../support/processes';
import {
  applyCustomResource,
  listCustomResources,
  RunningManager,
  startManager,
} from '../support/image-resource-managers';

const NS = 'irc-leader-e2e';
const TOKEN = 'irc-leader-token-77ab';

describe('image creation manager: two replicas, the leader killed in the middle of a commit', () => {
  const { kubeconfig, motoEndpoint } = e2eEnv();
  let git: HttpGitServer;
  let remote: { url: string; dir: string };
  const managers: RunningManager[] = [];
  let pushSeen!: () => void;
  const pushStarted = new Promise<void>((r) => (pushSeen = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holding = true;

  beforeAll(async () => {
    useMotoCredentials();
    await resetMoto();
    await ensureNamespace(kubeconfig, NS);
    git = await startHttpGitServer({
      token: TOKEN,
      beforeReceivePack: async () => {
        if (!holding) return;
        pushSeen();
        await held;
      },
    });
    remote = await git.createRepo('ha');
    await kubeRequest(kubeconfig, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git' },
      stringData: { token: TOKEN },
    });
  });

  afterAll(async () => {
    release?.();
    await Promise.all(managers.map((m) => m.process.stop()));
    await git?.stop();
  });

  test('no duplicate commit and nothing lost', async () => {
    const replica = () =>
      startManager('image-creation', kubeconfig, [
        '--leader-elect',
        '--leader-election-namespace',
        NS,
        '--leader-election-id',
        'irc-creation-ha',
        '--lease-duration',
        '3s',
        '--resync-interval',
        '1s',
        '--debounce',
        '200ms',
      ]);
    const first = await replica();
    managers.push(first);
    await waitFor(
      'the first replica to lead',
      async () => (first.logs().some((l) => l.msg === 'became the leader') ? true : undefined),
      {
        timeoutMs: 30_000,
        onTimeout: () => first.process.logTail(),
      },
    );
    const second = await replica();
    managers.push(second);
    managers.push(await startManager('image-detection', kubeconfig, ['--ecr-endpoint', motoEndpoint]));

    const ecr = motoEcrClient(motoEndpoint);
    await createRepository(ecr, 'ha/web');
    await putImage(ecr, 'ha/web', 'v1.0.0');
    await applyCustomResource(kubeconfig, 'resourcetemplates', NS, {
      apiVersion: 'automation.gitops.io/v1beta1',
      kind: 'ResourceTemplate',
      metadata: { name: 'ha' },
      spec: {
        template:
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\ndata:\n  image: "{{ .FullImageName }}"\n',
        gitRepository: { url: remote.url, branch: 'main', path: 'apps', secretRef: { name: 'git' } },
      },
    });
    await applyCustomResource(kubeconfig, 'imageresourcepolicies', NS, {
      apiVersion: 'automation.gitops.io/v1beta1',
      kind: 'ImageResourcePolicy',
      metadata: { name: 'ha' },
      spec: {
        ecrRepository: { region: 'eu-west-1', repositoryPattern: 'ha/*' },
        policy: { semver: { range: '>=1.0.0' } },
        templateRef: { name: 'ha' },
        scanInterval: '2s',
      },
    });

    // The leader marked the image Processing and its push is in flight: kill it.
    await pushStarted;
    const inFlight = (await listCustomResources(kubeconfig, 'imagedetecteds', NS))[0];
    expect(inFlight.status.phase).toBe('Processing');
    process.kill(-first.process.pid, 'SIGKILL');
    await first.process.exited;
    holding = false;
    release();

    const done = await waitFor(
      'the standby to finish the image',
      async () => {
        const d = (await listCustomResources(kubeconfig, 'imagedetecteds', NS))[0];
        return d?.status?.phase === 'Completed' ? d : undefined;
      },
      { timeoutMs: 45_000, onTimeout: () => second.process.logTail(40) },
    );
    expect(second.logs().some((l) => l.msg === 'became the leader')).toBe(true);
    expect(done.status.resourceCreated).toBe(true);
    const log = (await runGit(['--git-dir', remote.dir, 'log', '--format=%H', 'main'])).trim().split('\n');
    expect(log).toHaveLength(1);
    const touching = (
      await runGit(['--git-dir', remote.dir, 'log', '--format=%H', 'main', '--', 'apps/ha/web/v1.0.0.yaml'])
    )
      .trim()
      .split('\n');
    expect(touching).toEqual(log);
    if (done.status.gitCommitSHA !== undefined) expect(done.status.gitCommitSHA).toBe(log[0]);
  });
});
