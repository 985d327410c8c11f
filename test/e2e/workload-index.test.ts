// The workload index against a real kube-apiserver: every kind, init and ephemeral containers,
// real continue tokens (page size 2). The lister runs in-process through core/io/kube, as it does
// inside the Pulumi provider (@kubernetes/client-node loads inside jest).
import { kubeRequest } from '../support/kube-api';
import { e2eEnv } from '../support/e2e-env';
import {
  collectWorkloadImages,
  CollectedWorkloadImages,
  kubeWorkloadLister,
} from '../../core/workload-index';

const NS = 'workload-index-e2e';
const img = (name: string): string => `registry.example.com/wi/${name}:v1`;

function collect(kubeconfig: string, pageSize: number): Promise<CollectedWorkloadImages> {
  return collectWorkloadImages(kubeWorkloadLister(kubeconfig), { pageSize });
}

async function create(kubeconfig: string, path: string, body: unknown): Promise<void> {
  const res = await kubeRequest(kubeconfig, 'POST', path, body);
  if (res.status >= 300 && res.status !== 409) throw new Error(`POST ${path}: ${res.status} ${res.body}`);
}

describe('workload index on a real apiserver', () => {
  beforeAll(async () => {
    const { kubeconfig } = e2eEnv();
    await create(kubeconfig, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    const tpl = (name: string) => ({
      metadata: { labels: { app: name } },
      spec: {
        restartPolicy: undefined as string | undefined,
        initContainers: [{ name: 'init', image: img(`${name}-init`) }],
        containers: [{ name: 'main', image: img(name) }],
      },
    });
    const sel = (name: string) => ({ matchLabels: { app: name } });
    for (let i = 0; i < 3; i++) {
      const n = `dep-${i}`;
      await create(kubeconfig, `/apis/apps/v1/namespaces/${NS}/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: n },
        spec: { selector: sel(n), template: tpl(n) },
      });
    }
    await create(kubeconfig, `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'sts' },
      spec: { serviceName: 'sts', selector: sel('sts'), template: tpl('sts') },
    });
    await create(kubeconfig, `/apis/apps/v1/namespaces/${NS}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ds' },
      spec: { selector: sel('ds'), template: tpl('ds') },
    });
    const jobTpl = { ...tpl('job'), spec: { ...tpl('job').spec, restartPolicy: 'Never' } };
    await create(kubeconfig, `/apis/batch/v1/namespaces/${NS}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'job' },
      spec: { template: jobTpl },
    });
    const cronTpl = { ...tpl('cron'), spec: { ...tpl('cron').spec, restartPolicy: 'Never' } };
    await create(kubeconfig, `/apis/batch/v1/namespaces/${NS}/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cron' },
      spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: cronTpl } } },
    });
    await create(kubeconfig, `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod' },
      spec: { containers: [{ name: 'main', image: img('pod') }] },
    });
    // Ephemeral containers exist only through the pod's ephemeralcontainers subresource.
    const res = await kubeRequest(
      kubeconfig,
      'PATCH',
      `/api/v1/namespaces/${NS}/pods/pod/ephemeralcontainers`,
      {
        spec: {
          ephemeralContainers: [{ name: 'debugger', image: img('debug'), targetContainerName: 'main' }],
        },
      },
      'application/strategic-merge-patch+json',
    );
    if (res.status >= 300) throw new Error(`adding the ephemeral container: ${res.status} ${res.body}`);
  });

  test('reads every kind through continue tokens, with init and ephemeral containers', async () => {
    const result = await collect(e2eEnv().kubeconfig, 2);
    const mine = result.uses.filter((u) => u.namespace === NS);
    const key = (u: {
      kind: string;
      name: string;
      container: string;
      containerType: string;
      image: string;
    }) =>
      `${u.kind}/${u.name}/${u.containerType}/${u.container}=${u.image.replace('registry.example.com/wi/', '')}`;
    expect(mine.map(key).sort()).toEqual(
      [
        ...[0, 1, 2].flatMap((i) => [
          `Deployment/dep-${i}/container/main=dep-${i}:v1`,
          `Deployment/dep-${i}/initContainer/init=dep-${i}-init:v1`,
        ]),
        'StatefulSet/sts/container/main=sts:v1',
        'StatefulSet/sts/initContainer/init=sts-init:v1',
        'DaemonSet/ds/container/main=ds:v1',
        'DaemonSet/ds/initContainer/init=ds-init:v1',
        'Job/job/container/main=job:v1',
        'Job/job/initContainer/init=job-init:v1',
        'CronJob/cron/container/main=cron:v1',
        'CronJob/cron/initContainer/init=cron-init:v1',
        'Pod/pod/container/main=pod:v1',
        'Pod/pod/ephemeralContainer/debugger=debug:v1',
      ].sort(),
    );
    // Page size 2: Deployments alone (3 here, maybe more from other tests) need at least 2 pages.
    expect(result.objects.Deployment).toBeGreaterThanOrEqual(3);
    const pages = Object.values(result.objects).reduce(
      (n, count) => n + Math.max(1, Math.ceil(count / 2)),
      0,
    );
    expect(result.apiCalls).toBe(pages);
  });
});
