// KubernetesCronJob with IRSA: no API token mounted, HTTPS egress only.
import { App, Chart } from 'cdk8s';
import { KubernetesCronJob } from '../constructs/kubernetes-cron-job';
import { HTTPS_EGRESS } from '../constructs/network-policy';
import { BUSYBOX } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-kubernetes-cron-job');
  new KubernetesCronJob(chart, 'CronJob', {
    namespace: 'example-cron-job',
    createNamespace: true,
    name: 'backup',
    image: BUSYBOX,
    command: ['sh', '-c', 'date'],
    schedule: '0 3 * * *',
    podSecurityContext: { runAsUser: 65532, runAsGroup: 65532 },
    serviceAccount: {
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/backup' },
    },
    networkPolicy: { egress: [HTTPS_EGRESS] },
  });
}
