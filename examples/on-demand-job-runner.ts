// OnDemandJobRunner: jobforge's runner (`jobforge controller on-demand-jobs`) claiming on-demand
// jobs from Insights, and the Polaris report as a CronJob named `polaris` (the name the runner
// looks up), reading workloads only.
import { App, Chart } from 'cdk8s';
import { OnDemandJobRunner } from '../constructs/on-demand-job-runner';
import { JOBFORGE, POLARIS } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-on-demand-job-runner', { namespace: 'example-runner' });
  new OnDemandJobRunner(chart, 'Runner', {
    image: JOBFORGE,
    insights: { secretName: 'insights-token', organization: 'example', cluster: 'prod' },
    maxConcurrentJobs: 3,
    reports: {
      polaris: {
        image: POLARIS,
        schedule: '0 * * * *',
        clusterRules: [
          { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list'] },
          {
            apiGroups: ['apps'],
            resources: ['deployments', 'statefulsets', 'daemonsets'],
            verbs: ['get', 'list'],
          },
          { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list'] },
        ],
      },
    },
  });
}
