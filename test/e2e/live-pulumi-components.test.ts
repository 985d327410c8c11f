// The Pulumi components (jobforge/pulumi) deployed by the real `pulumi` CLI through the Automation
// API, with the real pulumi-resource-kubernetes, on a live control plane whose pods kwok runs:
// `pulumi up` waits for Jobs to complete (or fails with the Job's failure, or skips the wait), a
// no-change up changes nothing, a changed Job template is one replacement, DaemonJob follows the
// live node list, destroy removes everything.
import * as path from 'node:path';
import type { UpResult } from '@pulumi/pulumi/automation';
import {
  DaemonJob,
  ImageResourceController,
  KubernetesCronJob,
  KubernetesJob,
  KyvernoPolicySync,
  OnDemandJobRunner,
  UniqueJobPerImagePolicy,
} from '../../pulumi';
import { kyvernoCrdFiles } from '../support/e2e-engines';
import { e2eEnv } from '../support/e2e-env';
import { getJson, installCrds, kubeRequest, readCrdFiles } from '../support/kube-api';
import {
  COMPLETE_DELAY_LABEL,
  FAIL_EXIT_CODE_LABEL,
  LiveCluster,
  startLiveCluster,
} from '../support/live-cluster';
import { LiveJob, jobPath, trueCondition } from '../support/live-jobs';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

/** The resource operations of an update, without the `same` count. */
function changes(result: UpResult): Record<string, number> {
  const { same: _same, ...rest } = result.summary.resourceChanges ?? {};
  return rest as Record<string, number>;
}

describe('jobforge/pulumi components on a live cluster (Automation API)', () => {
  let live: LiveCluster;
  const stacks: PulumiStackHandle[] = [];

  async function stack(projectName: string, program: () => Promise<Record<string, unknown>>) {
    const handle = await pulumiStack({
      projectName,
      program,
      config: { 'kubernetes:kubeconfig': live.kubeconfig },
    });
    stacks.push(handle);
    return handle;
  }

  async function job(ns: string, name: string): Promise<LiveJob | undefined> {
    return getJson<LiveJob>(live.kubeconfig, jobPath(ns, name));
  }

  beforeAll(async () => {
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [
        { name: 'node-1', labels: { pool: 'batch' } },
        { name: 'node-2', labels: { pool: 'batch' } },
        { name: 'node-3', labels: { pool: 'web' } },
      ],
    });
    console.log(`live cluster started in ${live.timings.total} s`);
  });

  afterAll(async () => {
    for (const s of stacks) await s.cleanup().catch(() => undefined);
    await live?.stop();
  });

  it('KubernetesJob: up waits for the Job to complete, a no-change up changes nothing, a new template is one replacement, destroy deletes it', async () => {
    let command = ['sh', '-c', 'echo one'];
    const s = await stack('pulumi-job', async () => {
      const job = new KubernetesJob('migrate', {
        namespace: 'pulumi-job',
        createNamespace: true,
        image: IMAGE,
        command,
        configMaps: { 'migrate-config': { 'settings.ini': 'lock_timeout = 30' } },
        secrets: { DATABASE_URL: 'postgres://dev@db/app' },
        labels: { [COMPLETE_DELAY_LABEL]: '2s' },
      });
      return { jobName: job.jobName, namespace: job.namespace };
    });

    const first = await s.up();
    // The stack, the component and its children: Namespace, ConfigMap, Secret, Job.
    expect(changes(first)).toEqual({ create: 6 });
    expect(first.outputs.jobName.value).toBe('migrate');
    expect(first.outputs.namespace.value).toBe('pulumi-job');
    // `pulumi up` returned only once the Job had completed.
    const created = await job('pulumi-job', 'migrate');
    expect(trueCondition(created!, 'Complete')).toBeDefined();

    const preview = await s.preview();
    expect(preview.changeSummary).toEqual({ same: 6 });
    const again = await s.up();
    expect(changes(again)).toEqual({});
    expect((await job('pulumi-job', 'migrate'))?.metadata.uid).toBe(created?.metadata.uid);

    command = ['sh', '-c', 'echo two'];
    const replaced = await s.up();
    expect(changes(replaced)).toEqual({ replace: 1 });
    const second = await job('pulumi-job', 'migrate');
    expect(second?.metadata.uid).not.toBe(created?.metadata.uid);
    expect(trueCondition(second!, 'Complete')).toBeDefined();

    await s.destroy();
    expect(await job('pulumi-job', 'migrate')).toBeUndefined();
  });

  it('DaemonJob: reads the live nodes at each up; a node added adds exactly one Job, a node removed deletes its Job', async () => {
    const s = await stack('pulumi-daemon', async () => {
      const dj = new DaemonJob('warm', {
        namespace: 'pulumi-daemon',
        createNamespace: true,
        image: IMAGE,
        nodeSelector: { pool: 'batch' },
      });
      return { jobNames: dj.jobNames, nodeNames: dj.nodeNames };
    });
    const first = await s.up();
    expect(first.outputs.nodeNames.value).toEqual(['node-1', 'node-2']);
    expect(first.outputs.jobNames.value).toEqual(['warm-node-1', 'warm-node-2']);
    for (const name of ['warm-node-1', 'warm-node-2']) {
      expect(trueCondition((await job('pulumi-daemon', name))!, 'Complete')).toBeDefined();
    }

    await live.addNodes([{ name: 'node-4', labels: { pool: 'batch' } }]);
    const preview = await s.preview();
    // Same: the stack, the component, its Namespace and two Jobs.
    expect(preview.changeSummary).toEqual({ create: 1, same: 5 });
    const added = await s.up();
    expect(changes(added)).toEqual({ create: 1 });
    expect(added.outputs.jobNames.value).toEqual(['warm-node-1', 'warm-node-2', 'warm-node-4']);
    expect(trueCondition((await job('pulumi-daemon', 'warm-node-4'))!, 'Complete')).toBeDefined();

    const del = await kubeRequest(live.kubeconfig, 'DELETE', '/api/v1/nodes/node-1');
    expect(del.status).toBe(200);
    const removed = await s.up();
    expect(changes(removed)).toEqual({ delete: 1 });
    expect(removed.outputs.nodeNames.value).toEqual(['node-2', 'node-4']);
    expect(await job('pulumi-daemon', 'warm-node-1')).toBeUndefined();

    await s.destroy();
    expect(await job('pulumi-daemon', 'warm-node-2')).toBeUndefined();
  });

  it('a failing Job fails `pulumi up` with the Job failure', async () => {
    const s = await stack('pulumi-failing', async () => {
      const job = new KubernetesJob('broken', {
        namespace: 'pulumi-failing',
        createNamespace: true,
        image: IMAGE,
        backoffLimit: 0,
        labels: { [FAIL_EXIT_CODE_LABEL]: '3' },
      });
      return { jobName: job.jobName };
    });
    const error = await s.up().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeDefined();
    // pulumi-kubernetes' await reports the Job's failure, the pod's exit code and the reason.
    expect(error!.message).toContain('kubernetes:batch/v1:Job (broken-pulumi-failing/broken)');
    expect(error!.message).toContain(`[Pod pulumi-failing/`);
    expect(error!.message).toContain(`Container "main" completed with exit code 3`);
    expect(error!.message).toContain('[BackoffLimitExceeded] Job has reached the specified backoff limit');
    const failed = await job('pulumi-failing', 'broken');
    expect(trueCondition(failed!, 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });

  it('skipAwait: `pulumi up` returns once the Job is created, before it completes', async () => {
    const s = await stack('pulumi-skip-await', async () => {
      const job = new KubernetesJob('slow', {
        namespace: 'pulumi-skip-await',
        createNamespace: true,
        image: IMAGE,
        labels: { [COMPLETE_DELAY_LABEL]: '120s' },
        skipAwait: true,
      });
      return { jobName: job.jobName };
    });
    const result = await s.up();
    expect(changes(result)).toEqual({ create: 4 }); // stack, component, Namespace, Job
    const created = await job('pulumi-skip-await', 'slow');
    expect((created?.metadata as { annotations?: Record<string, string> }).annotations).toMatchObject({
      'pulumi.com/skipAwait': 'true',
    });
    expect(trueCondition(created!, 'Complete')).toBeUndefined();
    await s.destroy();
  });

  it('CronJob, UniqueJobPerImagePolicy, KyvernoPolicySync, OnDemandJobRunner and ImageResourceController: up, no-change up, destroy', async () => {
    await installCrds(
      live.kubeconfig,
      readCrdFiles(
        kyvernoCrdFiles().filter((f) => path.basename(f).startsWith('kyverno.io_clusterpolicies')),
      ),
    );
    const s = await stack('pulumi-others', async () => {
      const cron = new KubernetesCronJob('report', {
        namespace: 'pulumi-others',
        createNamespace: true,
        image: IMAGE,
        schedule: '30 2 * * MON-FRI',
        timeZone: 'Europe/Paris',
      });
      const policy = new UniqueJobPerImagePolicy('scan-images', {
        namespaces: ['pulumi-others'],
        jobContainer: { image: 'ghcr.io/acme/scanner:1.4', args: ['scan', '$(TARGET_IMAGE)'] },
      });
      const sync = new KyvernoPolicySync('policy-sync', {
        namespace: cron.namespace.apply((ns) => ns!),
        insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' },
      });
      const polaris = new OnDemandJobRunner('polaris', {
        namespace: cron.namespace.apply((ns) => ns!),
        insights: { secretName: 'insights-token' },
        reports: { polaris: { image: 'quay.io/fairwinds/polaris:9.6' } },
      });
      const irc = new ImageResourceController('irc', {
        detectionImage: 'ghcr.io/acme/image-detection:0.1.0',
        creationImage: 'ghcr.io/acme/image-creation:0.1.0',
        createNamespace: true,
      });
      return {
        cronJobName: cron.cronJobName,
        policyName: policy.policyName,
        syncCronJob: sync.cronJobName,
        polarisCronJob: polaris.reportCronJobNames.apply((names) => names[0]),
        ircNamespace: irc.namespace,
      };
    });
    const first = await s.up();
    console.log(`created: ${JSON.stringify(first.summary.resourceChanges)}`);
    expect(first.outputs.cronJobName.value).toBe('report');
    expect(first.outputs.policyName.value).toBe('generate-unique-job-per-image');
    const cron = await getJson(live.kubeconfig, '/apis/batch/v1/namespaces/pulumi-others/cronjobs/report');
    expect(cron?.metadata.name).toBe('report');
    const policy = await getJson(
      live.kubeconfig,
      '/apis/kyverno.io/v1/clusterpolicies/generate-unique-job-per-image',
    );
    expect(policy?.metadata.name).toBe('generate-unique-job-per-image');
    const again = await s.up();
    expect(changes(again)).toEqual({});
    await s.destroy();
    expect(
      await getJson(live.kubeconfig, '/apis/batch/v1/namespaces/pulumi-others/cronjobs/report'),
    ).toBeUndefined();
  });
});
