// DaemonJob: one Job per node, DNS-only egress.
import { App, Chart } from 'cdk8s';
import { DaemonJob } from '../constructs/daemon-job';
import { BUSYBOX } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-daemon-job');
  new DaemonJob(chart, 'DaemonJob', {
    namespace: 'example-daemon-job',
    createNamespace: true,
    name: 'node-check',
    image: BUSYBOX,
    command: ['sh', '-c', 'uname -a'],
    podSecurityContext: { runAsUser: 65532, runAsGroup: 65532 },
    networkPolicy: {},
    nodes: [{ name: 'node-a' }, { name: 'node-b' }],
  });
}
