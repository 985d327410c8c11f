// UniqueJobPerImagePolicy: the scan Job's image pinned by digest.
import { App, Chart } from 'cdk8s';
import { UniqueJobPerImagePolicy } from '../constructs/unique-job-per-image-policy';
import { SCANNER } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-unique-job-per-image-policy');
  new UniqueJobPerImagePolicy(chart, 'ScanImages', {
    policyName: 'example-scan-images',
    namespaces: ['example-job'],
    jobContainer: { image: SCANNER, args: ['scan', '$(TARGET_IMAGE)'] },
    requireImageDigest: true,
  });
}
