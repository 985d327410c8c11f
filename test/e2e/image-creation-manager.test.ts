// `jobforge controller image-creation` (with the detection manager) against the live apiserver,
// moto's ECR and a bare Git remote over HTTP with a token from a Secret: one commit per new
// image and none for an unchanged registry; images (or tag prefixes) already running in the
// cluster are skipped with the reason and the workload in status; a bad template or a missing
// Secret is a condition and an Event with the remote unchanged; TTL expiry removes objects.
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { ensureNamespace, kubeRequest } from '../support/kube-api';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { createRepository, motoEcrClient, putImage, useMotoCredentials } from '../support/ecr-seed';
import { runGit, startHttpGitServer, HttpGitServer } from '../support/git-remotes';
import { sleep, waitFor } from '../support/processes';
import {
  applyCustomResource,
  eventsFor,
  getCustomResource,
  httpGet,
  listCustomResources,
  metricValue,
  RunningManager,
  startManager,
} from '../support/image-resource-managers';

const NS = 'irc-creation-e2e';
const TOKEN = 'irc-e2e-token-5f0c1a';
const TEMPLATE = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: "{{ .ServiceName }}-{{ .ImageTag }}"',
  '  namespace: \'{{ .Namespace | default "default" }}\'',
  'data:',
  '  image: "{{ .FullImageName }}"',
  '  team: "{{ .team }}"',
  '',
].join('\n');

describe('image creation manager on the live apiserver, moto and a Git remote over HTTP', () => {
  const { kubeconfig, motoEndpoint } = e2eEnv();
  let git: HttpGitServer;
  let remote: { url: string; dir: string };
  let detection: RunningManager;
  let creation: RunningManager;
  let registry: string;
  const ecr = () => motoEcrClient(motoEndpoint);

  const commits = async (): Promise<string[]> => {
    try {
      const out = await runGit(['--git-dir', remote.dir, 'log', '--format=%H', 'main']);
      return out.trim().split('\n').filter(Boolean);
    } catch {
      return []; // no branch yet
    }
  };
  const detected = async (tag: string, repo: string) =>
    (await listCustomResources(kubeconfig, 'imagedetecteds', NS)).find(
      (d) => d.spec.imageTag === tag && d.spec.fullImageName.includes(`/${repo}:`),
    );
  const settled = (tag: string, repo: string) =>
    waitFor(
      `ImageDetected ${repo}:${tag} processed`,
      async () => {
        const d = await detected(tag, repo);
        return d?.status?.phase && !['Pending', 'Processing'].includes(d.status.phase) ? d : undefined;
      },
      {
        timeoutMs: 45_000,
        onTimeout: () => `${detection.process.logTail(20)}\n${creation.process.logTail(40)}`,
      },
    );
  const policy = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'automation.gitops.io/v1beta1',
    kind: 'ImageResourcePolicy',
    metadata: { name },
    spec: {
      ecrRepository: { region: 'eu-west-1', repositoryPattern: 'cre/web' },
      policy: { semver: { range: '>=1.0.0' } },
      templateRef: { name: 'apps' },
      scanInterval: '2s',
      ...spec,
    },
  });
  const template = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'automation.gitops.io/v1beta1',
    kind: 'ResourceTemplate',
    metadata: { name },
    spec: {
      template: TEMPLATE,
      variables: { namespace: 'prod', team: 'payments' },
      gitRepository: {
        url: remote.url,
        branch: 'main',
        path: './apps',
        secretRef: { name: 'git-credentials' },
      },
      ...spec,
    },
  });
  const deployment = async (name: string, image: string) => {
    const res = await kubeRequest(kubeconfig, 'POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      },
    });
    if (res.status >= 300) throw new Error(`Deployment ${name}: ${res.status} ${res.body}`);
  };

  beforeAll(async () => {
    useMotoCredentials();
    await resetMoto();
    await ensureNamespace(kubeconfig, NS);
    git = await startHttpGitServer({ token: TOKEN });
    remote = await git.createRepo('manifests');
    await kubeRequest(kubeconfig, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git-credentials' },
      stringData: { token: TOKEN },
    });
    for (const repo of ['cre/web', 'cre/api', 'cre/svc']) await createRepository(ecr(), repo);
    const repos = await ecr().send(new DescribeRepositoriesCommand({}));
    registry = repos.repositories![0].repositoryUri!.split('/')[0];
    await applyCustomResource(kubeconfig, 'resourcetemplates', NS, template('apps'));
    detection = await startManager('image-detection', kubeconfig, ['--ecr-endpoint', motoEndpoint]);
    creation = await startManager('image-creation', kubeconfig, [
      '--leader-elect',
      '--leader-election-namespace',
      NS,
      '--lease-duration',
      '3s',
      '--resync-interval',
      '2s',
      '--debounce',
      '200ms',
    ]);
  });

  afterAll(async () => {
    await Promise.all([detection?.process.stop(), creation?.process.stop()]);
    await git?.stop();
  });

  test('a new tag → ImageDetected → exactly one commit; the same state next interval → nothing', async () => {
    await putImage(ecr(), 'cre/web', 'v1.0.0');
    await applyCustomResource(kubeconfig, 'imageresourcepolicies', NS, policy('web', {}));
    const done = await settled('v1.0.0', 'cre/web');
    const log = await commits();
    expect(log).toHaveLength(1);
    expect(done.status).toMatchObject({
      phase: 'Completed',
      resourceCreated: true,
      gitCommitSHA: log[0],
      processedAt: expect.stringMatching(/Z$/),
      observedGeneration: 1,
    });
    expect(done.status.conditions[0]).toMatchObject({
      type: 'ResourceCreated',
      status: 'True',
      reason: 'Committed',
    });
    const file = await runGit(['--git-dir', remote.dir, 'show', 'main:apps/cre/web/v1.0.0.yaml']);
    expect(file).toContain('name: web-v1.0.0');
    expect(file).toContain('namespace: prod');
    expect(file).toContain(`image: ${registry}/cre/web:v1.0.0`);
    expect(file).toContain('team: payments');
    // Pushed with the token from the Secret.
    expect(
      git.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.user === 'x-access-token'),
    ).toBe(true);

    await sleep(5000); // two scan intervals and two resyncs over the same registry
    expect(await commits()).toEqual(log);
    expect((await detected('v1.0.0', 'cre/web'))!.status.phase).toBe('Completed');
    const events = await eventsFor(kubeconfig, NS, done.metadata.name);
    expect(events).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Committed' })]);
    // The creation manager's logs never hold the token.
    expect(creation.process.logTail(100000)).not.toContain(TOKEN);
  });

  test('an image already running in a Deployment is skipped with the reason and the Deployment in status', async () => {
    await deployment('api', `${registry}/cre/api:v2.0.0`);
    const before = await commits();
    await putImage(ecr(), 'cre/api', 'v2.0.0');
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('api', { ecrRepository: { region: 'eu-west-1', repositoryPattern: 'cre/api' } }),
    );
    const done = await settled('v2.0.0', 'cre/api');
    expect(done.status).toMatchObject({
      phase: 'Skipped',
      resourceCreated: false,
      existingResource: { kind: 'Deployment', namespace: NS, name: 'api', container: 'app' },
    });
    expect(done.status.skipReason).toContain(`is already used by Deployment ${NS}/api`);
    expect(done.status.conditions[0]).toMatchObject({ status: 'False', reason: 'ImageInCluster' });
    expect(await commits()).toEqual(before);
  });

  test('prefix dedup: dev-v1 running → dev-v2 skipped; staging-v1 committed', async () => {
    await deployment('svc', `${registry}/cre/svc:dev-v1`);
    await putImage(ecr(), 'cre/svc', 'dev-v1');
    await putImage(ecr(), 'cre/svc', 'dev-v2');
    await putImage(ecr(), 'cre/svc', 'staging-v1');
    const before = await commits();
    for (const env of ['dev', 'staging']) {
      await applyCustomResource(
        kubeconfig,
        'imageresourcepolicies',
        NS,
        policy(`svc-${env}`, {
          ecrRepository: { region: 'eu-west-1', repositoryPattern: 'cre/svc' },
          policy: { pattern: { regex: `^(${env})-v(\\d+)$`, extract: '$2', extractPrefix: true } },
        }),
      );
    }
    const dev = await settled('dev-v2', 'cre/svc');
    expect(dev.spec.tagPrefix).toBe('dev');
    expect(dev.status).toMatchObject({
      phase: 'Skipped',
      existingResource: { kind: 'Deployment', name: 'svc' },
    });
    expect(dev.status.conditions[0].reason).toBe('PrefixInCluster');
    const staging = await settled('staging-v1', 'cre/svc');
    expect(staging.status).toMatchObject({ phase: 'Completed', resourceCreated: true });
    const after = await commits();
    expect(after).toHaveLength(before.length + 1);
    const changed = await runGit(['--git-dir', remote.dir, 'show', '--name-only', '--format=', 'main']);
    expect(changed.trim()).toBe('apps/cre/svc/staging-v1.yaml');
  });

  test('a bad template: Failed with a condition naming spec.template, Events on both objects, the remote unchanged, no crash loop', async () => {
    await createRepository(ecr(), 'cre/bad');
    await putImage(ecr(), 'cre/bad', 'v1.0.0');
    const before = await commits();
    await applyCustomResource(
      kubeconfig,
      'resourcetemplates',
      NS,
      template('broken', { template: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .Nope }}"\n' }),
    );
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('bad', {
        ecrRepository: { region: 'eu-west-1', repositoryPattern: 'cre/bad' },
        templateRef: { name: 'broken' },
      }),
    );
    const done = await settled('v1.0.0', 'cre/bad');
    expect(done.status.phase).toBe('Failed');
    expect(done.status.conditions[0]).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
    expect(done.status.conditions[0].message).toContain("'spec.template");
    const onImage = await eventsFor(kubeconfig, NS, done.metadata.name);
    expect(onImage).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidTemplate' })]);
    const onTemplate = await waitFor(
      'the Event on the ResourceTemplate',
      async () =>
        (await eventsFor(kubeconfig, NS, 'broken')).find((e) => e.involvedObject.kind === 'ResourceTemplate'),
      { timeoutMs: 10_000 },
    );
    expect(onTemplate).toMatchObject({ type: 'Warning', reason: 'InvalidTemplate' });
    await sleep(4500); // two resyncs: no new Event, no commit, still running
    expect(await eventsFor(kubeconfig, NS, done.metadata.name)).toHaveLength(1);
    expect(await commits()).toEqual(before);
    expect(creation.process.running()).toBe(true);

    // Fixing the template processes the image.
    await applyCustomResource(kubeconfig, 'resourcetemplates', NS, template('broken'));
    const fixed = await waitFor(
      'the fixed image to be committed',
      async () => ((await detected('v1.0.0', 'cre/bad'))?.status?.phase === 'Completed' ? true : undefined),
      { timeoutMs: 30_000, onTimeout: () => creation.process.logTail(30) },
    );
    expect(fixed).toBe(true);
    expect(await commits()).toHaveLength(before.length + 1);
  });

  test('a missing Git Secret: Failed naming spec.gitRepository.secretRef, nothing pushed', async () => {
    await createRepository(ecr(), 'cre/nosecret');
    await putImage(ecr(), 'cre/nosecret', 'v1.0.0');
    const before = await commits();
    await applyCustomResource(
      kubeconfig,
      'resourcetemplates',
      NS,
      template('nosecret', {
        gitRepository: { url: remote.url, branch: 'main', path: 'apps', secretRef: { name: 'absent' } },
      }),
    );
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('nosecret', {
        ecrRepository: { region: 'eu-west-1', repositoryPattern: 'cre/nosecret' },
        templateRef: { name: 'nosecret' },
      }),
    );
    const done = await settled('v1.0.0', 'cre/nosecret');
    expect(done.status.phase).toBe('Failed');
    expect(done.status.conditions[0]).toMatchObject({ reason: 'SecretNotFound' });
    expect(done.status.conditions[0].message).toContain(
      '\'spec.gitRepository.secretRef\' Secret "absent" does not exist',
    );
    expect(await commits()).toEqual(before);
  });

  test('TTL expiry removes ImageDetected objects past their policy ttlDays', async () => {
    const name = 'web-v0-0-1-expired';
    const res = await kubeRequest(
      kubeconfig,
      'POST',
      `/apis/automation.gitops.io/v1beta1/namespaces/${NS}/imagedetecteds`,
      {
        apiVersion: 'automation.gitops.io/v1beta1',
        kind: 'ImageDetected',
        metadata: { name },
        spec: {
          imageName: 'web',
          imageTag: 'v0.0.1',
          imageDigest: `sha256:${'c'.repeat(64)}`,
          fullImageName: `${registry}/cre/web:v0.0.1`,
          sourcePolicy: { name: 'web', namespace: NS },
          detectedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      },
    );
    expect(res.status).toBe(201);
    await kubeRequest(
      kubeconfig,
      'PATCH',
      `/apis/automation.gitops.io/v1beta1/namespaces/${NS}/imagedetecteds/${name}/status`,
      { status: { phase: 'Completed', resourceCreated: true, observedGeneration: 1 } },
      'application/merge-patch+json',
    );
    await waitFor(
      'the expired ImageDetected to be deleted',
      async () =>
        (await getCustomResource(kubeconfig, 'imagedetecteds', NS, name)) === undefined ? true : undefined,
      { timeoutMs: 20_000, onTimeout: () => creation.process.logTail(20) },
    );
    // A recent one of the same policy stays.
    expect(await detected('v1.0.0', 'cre/web')).toBeDefined();
    const events = await eventsFor(kubeconfig, NS, 'web');
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'Expired' })]));
  });

  test('/metrics: commits, skips by reason, errors; /readyz 200', async () => {
    const m = (await httpGet(creation.metricsPort, '/metrics')).body;
    expect(metricValue(m, 'jobforge_git_commits_total')).toBe((await commits()).length);
    expect(metricValue(m, 'jobforge_images_skipped_total', { reason: 'image-in-cluster' })).toBe(1);
    expect(metricValue(m, 'jobforge_images_skipped_total', { reason: 'prefix-in-cluster' })).toBe(1);
    expect(metricValue(m, 'jobforge_reconcile_errors_total', { reason: 'InvalidTemplate' })).toBeGreaterThan(
      0,
    );
    expect(metricValue(m, 'jobforge_leader')).toBe(1);
    expect((await httpGet(creation.healthPort, '/readyz')).status).toBe(200);
  });
});
