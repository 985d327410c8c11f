// What addContainer, addInitContainer, addVolume and addEnv put in a workload's pod after
// construction is accepted by a real kube-apiserver (server-side dry-run, strict field validation),
// on every Job kind the batch workloads synthesize.
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { DaemonJob } from '../../constructs/daemon-job';
import { KubernetesCronJob } from '../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../constructs/kubernetes-job';
import { IPodWorkload, JobWorkloadProps } from '../../constructs/pod';
import { e2eEnv } from '../support/e2e-env';
import { KubeObject, dryRunObject, ensureNamespace } from '../support/kube-api';

const NAMESPACE = 'jf-pod-add';
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

const WORKLOADS: [string, (scope: Construct, props: JobWorkloadProps) => IPodWorkload][] = [
  ['KubernetesJob', (scope, props) => new KubernetesJob(scope, 'W', props)],
  [
    'KubernetesCronJob',
    (scope, props) => new KubernetesCronJob(scope, 'W', { ...props, schedule: '0 * * * *' }),
  ],
  ['DaemonJob', (scope, props) => new DaemonJob(scope, 'W', { ...props, nodes: [{ name: 'node-a' }] })],
];

describe('pod additions on a real kube-apiserver', () => {
  const { kubeconfig } = e2eEnv();

  test.each(WORKLOADS)(
    '%s with a sidecar, an init container, a volume and a variable added later is accepted',
    async (_name, build) => {
      await ensureNamespace(kubeconfig, NAMESPACE);
      const chart = Testing.chart();
      const workload = build(chart, {
        name: 'pod-add',
        namespace: NAMESPACE,
        image: IMAGE,
        env: { MODE: 'batch' },
        volumeMounts: [{ mountPath: '/tmp', emptyDir: {} }],
      });
      workload.addVolume({ name: 'cache', mountPath: '/cache', emptyDir: { sizeLimit: '1Gi' } });
      workload.addEnv('LEVEL', '3');
      workload.addInitContainer({
        name: 'warm',
        image: IMAGE,
        command: ['sh', '-c', 'true'],
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      });
      workload.addContainer({
        name: 'proxy',
        image: IMAGE,
        command: ['sh', '-c', 'sleep 1'],
        ports: [{ name: 'proxy', containerPort: 9000 }],
        readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(9000) }, periodSeconds: 5 },
        volumeMounts: [{ name: 'cache', mountPath: '/cache', readOnly: true }],
      });
      const objects = Testing.synth(chart) as KubeObject[];
      expect(objects.length).toBeGreaterThan(0);
      const accepted: string[] = [];
      for (const obj of objects) {
        const out = await dryRunObject(kubeconfig, obj);
        accepted.push(`${out.kind}/${out.metadata.name}`);
      }
      expect(accepted).toHaveLength(objects.length);
    },
  );
});
