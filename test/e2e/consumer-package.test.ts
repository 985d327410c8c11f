// jobforge as another project gets it: `npm pack` (prepack builds), the tarball installed into a
// fresh CommonJS consumer that pins an older constructs 10.x, then in that consumer: a cdk8s app
// synthesized (one copy of constructs), the README's batch example and a Pulumi program
// type-checked against the package's types (exports map, `jobforge/pulumi`), and a jest test
// (jest's defaults, no ESM flags) that calls loadNodes against the test kube-apiserver.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2eEnv } from '../support/e2e-env';
import { kubeRequest } from '../support/kube-api';
import { makeTempDir } from '../support/processes';

jest.setTimeout(600000);

const ROOT = path.resolve(__dirname, '../..');
/** The oldest constructs 10.x cdk8s-plus-28 accepts (its peer range is ^10.3.0). */
const OLD_CONSTRUCTS = '10.3.0';
const version = (pkg: string): string =>
  (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const t0 = Date.now();
  return new Promise((resolve, reject) =>
    execFile(
      cmd,
      args,
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        console.log(`${cmd} ${args.slice(0, 2).join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(`${stdout}${stderr}`);
      },
    ),
  );
}

/** The README's first TypeScript block (the batch workloads example, with loadNodes). */
function readmeBatchExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Batch workloads')));
  if (!block) throw new Error('README.md has no ts block under "## Batch workloads"');
  return block[1];
}

const CDK8S_APP = `import { App, Chart } from 'cdk8s';
import { KubernetesJob } from 'jobforge';

const app = new App();
const chart = new Chart(app, 'consumer');
new KubernetesJob(chart, 'Hello', {
  namespace: 'consumer',
  name: 'hello',
  image: 'docker.io/library/busybox:1.36.1',
  command: ['echo', 'hello'],
  backoffLimit: 1,
});
app.synth();
`;

const PULUMI_PROGRAM = `import { EcrReadRole, ImagePipeline } from 'jobforge/pulumi';

export const role = new EcrReadRole('ecr-read', {
  oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
  serviceAccountNamespace: 'jobforge',
  serviceAccountName: 'image-pipeline',
  repositoryArns: ['arn:aws:ecr:eu-west-1:123456789012:repository/app'],
});
export const pipeline: typeof ImagePipeline = ImagePipeline;
`;

const JEST_TEST = `const { loadNodes } = require('jobforge');

test('loadNodes reads the live cluster from a CommonJS jest test', async () => {
  const nodes = await loadNodes(process.env.CONSUMER_KUBECONFIG);
  const node = nodes.find((n) => n.name === process.env.CONSUMER_NODE);
  expect(node).toMatchObject({ name: process.env.CONSUMER_NODE, labels: { 'jobforge.io/consumer': 'yes' } });
});
`;

let dir: string;

beforeAll(async () => {
  dir = makeTempDir('consumer');
  const packDir = path.join(dir, 'pack');
  fs.mkdirSync(packDir);
  const packOut = await run('npm', ['pack', '--json', '--pack-destination', packDir], ROOT);
  const [packed] = JSON.parse(/^\[$[\s\S]*?^\]$/m.exec(packOut)?.[0] ?? packOut) as {
    filename: string;
    size: number;
    entryCount: number;
  }[];
  console.log(`tarball ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes`);
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      dependencies: {
        jobforge: `file:${path.join(packDir, packed.filename)}`,
        cdk8s: version('cdk8s'),
        constructs: OLD_CONSTRUCTS,
        'cdk8s-plus-28': version('cdk8s-plus-28'),
        '@pulumi/pulumi': version('@pulumi/pulumi'),
        '@pulumi/aws': version('@pulumi/aws'),
      },
      devDependencies: {
        typescript: version('typescript'),
        '@types/node': version('@types/node'),
        jest: version('jest'),
      },
    }),
  );
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        outDir: 'out',
      },
      include: ['*.ts'],
    }),
  );
  fs.writeFileSync(path.join(app, 'main.ts'), CDK8S_APP);
  fs.writeFileSync(path.join(app, 'readme-example.ts'), readmeBatchExample());
  fs.writeFileSync(path.join(app, 'pulumi-program.ts'), PULUMI_PROGRAM);
  fs.writeFileSync(path.join(app, 'load-nodes.test.js'), JEST_TEST);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
});

test('the tarball installs with one copy of the peer packages and the pinned constructs', () => {
  const app = path.join(dir, 'app');
  const installed = (p: string): string =>
    (
      JSON.parse(fs.readFileSync(path.join(app, 'node_modules', p, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  expect(installed('constructs')).toBe(OLD_CONSTRUCTS);
  for (const peer of ['constructs', 'cdk8s', 'cdk8s-plus-28', '@pulumi/pulumi']) {
    expect(fs.existsSync(path.join(app, 'node_modules', 'jobforge', 'node_modules', peer))).toBe(false);
  }
  const files = fs.readdirSync(path.join(app, 'node_modules', 'jobforge')).sort();
  expect(files).toEqual(['LICENSE', 'README.md', 'lib', 'package.json']);
});

test('the consumer type-checks its cdk8s app, the README example and a jobforge/pulumi program', async () => {
  const app = path.join(dir, 'app');
  await run(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
  expect(fs.existsSync(path.join(app, 'out', 'pulumi-program.js'))).toBe(true);
});

test('the consumer synthesizes a KubernetesJob with its own constructs 10.3', async () => {
  const app = path.join(dir, 'app');
  const outdir = path.join(dir, 'dist');
  await run(process.execPath, [path.join(app, 'out', 'main.js')], app, { CDK8S_OUTDIR: outdir });
  const yaml = fs.readFileSync(path.join(outdir, 'consumer.k8s.yaml'), 'utf8');
  expect(yaml).toContain('kind: Job');
  expect(yaml).toContain('name: hello');
  expect(yaml).toContain('backoffLimit: 1');
});

test("the consumer's jest (no ESM flags) calls loadNodes against the kube-apiserver", async () => {
  const app = path.join(dir, 'app');
  const { kubeconfig } = e2eEnv();
  const node = `consumer-${process.pid}`;
  const created = await kubeRequest(kubeconfig, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node, labels: { 'jobforge.io/consumer': 'yes' } },
  });
  expect(created.status).toBe(201);
  try {
    const out = await run(
      process.execPath,
      [path.join(app, 'node_modules', 'jest', 'bin', 'jest.js'), '--rootDir', app, '--ci'],
      app,
      { CONSUMER_KUBECONFIG: kubeconfig, CONSUMER_NODE: node },
    );
    expect(out).toContain('Tests:       1 passed, 1 total');
  } finally {
    await kubeRequest(kubeconfig, 'DELETE', `/api/v1/nodes/${node}`);
  }
});
