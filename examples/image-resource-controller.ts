// ImageResourceController: Prometheus may scrape the metrics port; Git over SSH allowed too.
import { App, Chart } from 'cdk8s';
import { ImageResourceController } from '../constructs/image-resource-controller';
import { APISERVER_6443_EGRESS, HTTPS_EGRESS } from '../constructs/network-policy';
import { CREATION, DETECTION } from './_images';

export default function (app: App): void {
  const chart = new Chart(app, 'example-image-resource-controller');
  new ImageResourceController(chart, 'Controller', {
    namespace: 'example-irc',
    installCrds: false, // main.ts installs them
    detectionImage: DETECTION,
    creationImage: CREATION,
    requireImageDigest: true,
    metricsFromNamespaces: ['monitoring'],
    networkPolicy: {
      egress: [
        HTTPS_EGRESS,
        APISERVER_6443_EGRESS,
        { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'], ports: [22] },
      ],
    },
  });
}
