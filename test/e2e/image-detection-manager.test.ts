// `jobforge controller image-detection` against the live apiserver and moto's ECR: a tag pushed
// to moto becomes an ImageDetected within one interval, an unchanged registry writes nothing
// new, the policy's status and Events say what happened, bad input is a condition (no crash),
// and /metrics, /healthz, /readyz answer.
import { ensureNamespace } from '../support/kube-api';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { createRepository, motoEcrClient, putImage, useMotoCredentials } from '../support/ecr-seed';
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

const NS = 'irc-detection-e2e';

function policy(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'automation.gitops.io/v1beta1',
    kind: 'ImageResourcePolicy',
    metadata: { name },
    spec: {
      ecrRepository: { region: 'eu-west-1', repositoryPattern: 'det/*' },
      policy: { semver: { range: '>=1.0.0' } },
      templateRef: { name: 'unused' },
      scanInterval: '2s',
      ...spec,
    },
  };
}

describe('image detection manager on the live apiserver and moto', () => {
  let manager: RunningManager;
  const { kubeconfig, motoEndpoint } = e2eEnv();

  beforeAll(async () => {
    useMotoCredentials();
    await resetMoto();
    await ensureNamespace(kubeconfig, NS);
    const ecr = motoEcrClient(motoEndpoint);
    await createRepository(ecr, 'det/web');
    await putImage(ecr, 'det/web', 'v1.0.0');
    manager = await startManager('image-detection', kubeconfig, [
      '--ecr-endpoint',
      motoEndpoint,
      '--scan-interval',
      '1h',
      '--leader-elect',
      '--leader-election-namespace',
      NS,
      '--lease-duration',
      '3s',
    ]);
  });

  afterAll(async () => {
    await manager?.process.stop();
  });

  test('a pushed tag becomes an ImageDetected within one interval; the same registry next interval creates nothing', async () => {
    await applyCustomResource(kubeconfig, 'imageresourcepolicies', NS, policy('web', {}));
    const first = await waitFor(
      'the ImageDetected of det/web:v1.0.0',
      async () =>
        (await listCustomResources(kubeconfig, 'imagedetecteds', NS)).find(
          (d) => d.spec.imageTag === 'v1.0.0',
        ),
      { timeoutMs: 30_000, onTimeout: () => manager.process.logTail() },
    );
    expect(first.metadata.name).toMatch(/^web-v1-0-0-[0-9a-f]{8}$/);
    expect(first.spec).toMatchObject({
      imageName: 'web',
      fullImageName: expect.stringMatching(/\/det\/web:v1\.0\.0$/),
      imageDigest: expect.stringMatching(/^sha256:/),
      sourcePolicy: { name: 'web', namespace: NS },
    });
    expect(first.metadata.labels['automation.gitops.io/policy']).toBe('web');

    const ecr = motoEcrClient(motoEndpoint);
    await putImage(ecr, 'det/web', 'v1.1.0');
    const pushedAt = Date.now();
    await waitFor(
      'the ImageDetected of det/web:v1.1.0',
      async () =>
        (await listCustomResources(kubeconfig, 'imagedetecteds', NS)).find(
          (d) => d.spec.imageTag === 'v1.1.0',
        ),
      { timeoutMs: 30_000 },
    );
    // Within one interval (2 s) plus the time of a scan; not asserted as a timing, only logged.
    process.stdout.write(`push → ImageDetected: ${Date.now() - pushedAt} ms\n`);

    const status = (await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'web'))!.status;
    expect(status).toMatchObject({
      observedGeneration: 1,
      imagesDetected: 1,
      repositoriesScanned: 1,
      repositoriesMatched: 1,
      lastScannedTime: expect.stringMatching(/Z$/),
    });
    expect(status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Scanned', observedGeneration: 1 }),
    ]);

    // Two more intervals over the same registry: no new object, no change to the existing ones.
    const before = await listCustomResources(kubeconfig, 'imagedetecteds', NS);
    const scannedBefore = status.lastScannedTime;
    await sleep(4500);
    const after = await listCustomResources(kubeconfig, 'imagedetecteds', NS);
    expect(after.map((d) => [d.metadata.name, d.metadata.resourceVersion])).toEqual(
      before.map((d) => [d.metadata.name, d.metadata.resourceVersion]),
    );
    const rescanned = (await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'web'))!.status;
    expect(rescanned.lastScannedTime >= scannedBefore).toBe(true);

    const events = await eventsFor(kubeconfig, NS, 'web');
    expect(events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Normal', reason: 'ImagesDetected' })]),
    );
  });

  test('an invalid regex: Ready=False naming the field, a Warning Event, no ImageDetected, the manager keeps running', async () => {
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('bad-regex', { policy: { pattern: { regex: '^(dev-' } } }),
    );
    const cond = await waitFor(
      'the Ready=False condition',
      async () => {
        const p = await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'bad-regex');
        return p?.status?.conditions?.find((c: { status: string }) => c.status === 'False');
      },
      { timeoutMs: 30_000, onTimeout: () => manager.process.logTail() },
    );
    expect(cond).toMatchObject({ type: 'Ready', reason: 'InvalidSpec' });
    expect(cond.message).toContain("'spec.policy.pattern.regex'");
    const events = await waitFor(
      'the Warning Event',
      async () => (await eventsFor(kubeconfig, NS, 'bad-regex')).find((e) => e.type === 'Warning'),
      { timeoutMs: 10_000 },
    );
    expect(events).toMatchObject({ reason: 'InvalidSpec', involvedObject: { kind: 'ImageResourcePolicy' } });
    expect(events.message).toContain("'spec.policy.pattern.regex'");
    await sleep(2500);
    expect((await eventsFor(kubeconfig, NS, 'bad-regex')).length).toBe(1); // not repeated every interval
    expect(manager.process.running()).toBe(true);
  });

  test('a missing AWS Secret: Ready=False naming spec.aws.secretRef; suspend: Suspended, no scan', async () => {
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('no-secret', { aws: { secretRef: { name: 'missing-aws' } } }),
    );
    await applyCustomResource(kubeconfig, 'imageresourcepolicies', NS, policy('paused', { suspend: true }));
    const missing = await waitFor(
      'the SecretNotFound condition',
      async () =>
        (await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'no-secret'))?.status
          ?.conditions?.[0],
      { timeoutMs: 30_000 },
    );
    expect(missing).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(missing.message).toContain('\'spec.aws.secretRef\' Secret "missing-aws"');
    const paused = await waitFor(
      'the Suspended condition',
      async () =>
        (await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'paused'))?.status?.conditions?.[0],
      { timeoutMs: 30_000 },
    );
    expect(paused).toMatchObject({ status: 'False', reason: 'Suspended' });
    const all = await listCustomResources(kubeconfig, 'imagedetecteds', NS);
    expect(all.filter((d) => d.spec.sourcePolicy.name !== 'web')).toEqual([]);
  });

  test('AWS credentials from a Secret are used for the scan', async () => {
    const { kubeRequest } = await import('../support/kube-api');
    await kubeRequest(kubeconfig, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'aws-credentials' },
      stringData: { accessKeyId: 'AKIAFROMSECRET', secretAccessKey: 'secret-from-the-secret' },
    });
    await applyCustomResource(
      kubeconfig,
      'imageresourcepolicies',
      NS,
      policy('with-secret', { aws: { secretRef: { name: 'aws-credentials' } } }),
    );
    const cond = await waitFor(
      'the with-secret policy to scan',
      async () =>
        (await getCustomResource(kubeconfig, 'imageresourcepolicies', NS, 'with-secret'))?.status
          ?.conditions?.[0],
      { timeoutMs: 30_000 },
    );
    expect(cond).toMatchObject({ status: 'True', reason: 'Scanned' });
    expect(manager.process.logTail(100000)).not.toContain('secret-from-the-secret');
  });

  test('/metrics counts ECR calls, scans and detections; /healthz and /readyz answer 200', async () => {
    const metrics = await httpGet(manager.metricsPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(
      metricValue(metrics.body, 'jobforge_api_calls_total', { api: 'ecr', operation: 'DescribeImages' }),
    ).toBeGreaterThan(0);
    expect(metricValue(metrics.body, 'jobforge_images_detected_total')).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics.body, 'jobforge_image_scan_duration_seconds_count')).toBeGreaterThan(0);
    expect(
      metricValue(metrics.body, 'jobforge_reconcile_errors_total', { reason: 'InvalidSpec' }),
    ).toBeGreaterThan(0);
    expect(metricValue(metrics.body, 'jobforge_leader')).toBe(1);
    expect((await httpGet(manager.healthPort, '/healthz')).status).toBe(200);
    expect((await httpGet(manager.healthPort, '/readyz')).status).toBe(200);
  });
});
