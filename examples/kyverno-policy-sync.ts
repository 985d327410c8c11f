// KyvernoPolicySync with the jobforge runner: the Insights token as a file.
import { App, Chart } from 'cdk8s';
import { KyvernoPolicySync } from '../constructs/kyverno-policy-sync';
import { JOBFORGE } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-kyverno-policy-sync', { namespace: 'example-policy-sync' });
  new KyvernoPolicySync(chart, 'PolicySync', {
    runner: 'jobforge',
    image: JOBFORGE,
    requireImageDigest: true,
    insights: { secretName: 'insights-token', organization: 'example', cluster: 'prod' },
  });
}
