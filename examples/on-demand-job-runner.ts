// OnDemandJobRunner: the Fairwinds runner (mirrored, pinned) for Polaris, reading workloads only.
// (CLUSTER_READ_ONLY_RULES reads every resource, Secrets included: Checkov rightly reports
// CKV_K8S_49 and CKV2_K8S_5 for it.)
import { App, Chart } from 'cdk8s';
import { OnDemandJobRunner } from '../constructs/on-demand-job-runner';
import { RUNNER_MIRROR } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-on-demand-job-runner', { namespace: 'example-runner' });
  new OnDemandJobRunner(chart, 'Polaris', {
    jobType: 'polaris',
    image: RUNNER_MIRROR,
    insights: { secretName: 'insights-token', organization: 'example', cluster: 'prod' },
    clusterRules: [
      { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'statefulsets', 'daemonsets'],
        verbs: ['get', 'list'],
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list'] },
    ],
  });
}
