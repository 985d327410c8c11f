// Targeted test (not a snapshot) for what was only caught by a snapshot: init containers get the
// same restricted security context as the main container, in every workload built on the shared
// pod model, and a user override is merged over it, not in place of it.
import { Testing } from 'cdk8s';
import { DaemonJob } from '../../../constructs/daemon-job';
import type { InitContainer } from '../../../constructs/pod';
import { KubernetesCronJob } from '../../../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../../../constructs/kubernetes-job';

const IMAGE = 'docker.io/library/busybox:1.36.1';
const RESTRICTED = {
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function podSpecs(initContainers: InitContainer[]): Record<string, Manifest> {
  const chart = Testing.chart();
  new KubernetesJob(chart, 'Job', { name: 'job', image: IMAGE, initContainers });
  new KubernetesCronJob(chart, 'Cron', { name: 'cron', image: IMAGE, schedule: '@daily', initContainers });
  new DaemonJob(chart, 'Daemon', {
    name: 'daemon',
    image: IMAGE,
    nodes: [{ name: 'worker-a' }],
    initContainers,
  });
  const ms = Testing.synth(chart);
  const job = (name: string) => ms.find((m) => m.kind === 'Job' && m.metadata.name.startsWith(name));
  return {
    KubernetesJob: job('job').spec.template.spec,
    KubernetesCronJob: ms.find((m) => m.kind === 'CronJob').spec.jobTemplate.spec.template.spec,
    DaemonJob: job('daemon').spec.template.spec,
  };
}

describe('init containers run restricted', () => {
  test.each(
    Object.entries(
      podSpecs([
        { name: 'fetch', image: IMAGE },
        { name: 'prep', image: IMAGE },
      ]),
    ),
  )(
    '%s: every init container has the restricted security context, like the main container',
    (_kind, spec) => {
      expect(spec.initContainers).toHaveLength(2);
      for (const c of spec.initContainers) expect(c.securityContext).toEqual(RESTRICTED);
      expect(spec.containers[0].securityContext).toEqual(RESTRICTED);
    },
  );

  test.each(
    Object.entries(
      podSpecs([
        { name: 'fetch', image: IMAGE, securityContext: { runAsUser: 1000, readOnlyRootFilesystem: false } },
      ]),
    ),
  )('%s: an override is merged over the restricted defaults', (_kind, spec) => {
    expect(spec.initContainers[0].securityContext).toEqual({
      ...RESTRICTED,
      runAsUser: 1000,
      readOnlyRootFilesystem: false,
    });
  });
});
