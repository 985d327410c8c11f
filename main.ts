// The example cdk8s app: `npm run synth` (cdk8s synth) writes its YAML to dist/.
import { App, Chart } from 'cdk8s';

const app = new App();
new Chart(app, 'example');
app.synth();
