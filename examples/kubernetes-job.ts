// KubernetesJob: a digest-pinned image, a secret as a file, an opt-in NetworkPolicy.
import { App, Chart } from 'cdk8s';
import { KubernetesJob } from '../constructs/kubernetes-job';
import { BUSYBOX } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-kubernetes-job');
  new KubernetesJob(chart, 'Job', {
    namespace: 'example-job',
    createNamespace: true,
    name: 'export',
    image: BUSYBOX,
    requireImageDigest: true,
    command: ['sh', '-c', 'test -s "$API_KEY_FILE"'],
    secretEnv: { API_KEY_FILE: { secretName: 'export-api', key: 'key', asFile: true } },
    podSecurityContext: { runAsUser: 65532, runAsGroup: 65532 },
    networkPolicy: { egress: [{ cidr: '10.20.0.0/16', ports: [443] }] },
  });
}
