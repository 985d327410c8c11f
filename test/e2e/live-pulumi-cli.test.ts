// The README's Pulumi example (examples/pulumi/index.ts) as a user runs it: a project directory
// with Pulumi.yaml, `import ... from 'jobforge/pulumi'` resolved to this package, and the plain
// `pulumi` CLI (preview, up, preview, destroy) with the real pulumi-resource-kubernetes on a live
// control plane whose pods kwok runs.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { stringify as stringifyYaml } from 'yaml';
import { e2eEnv } from '../support/e2e-env';
import { getJson } from '../support/kube-api';
import { LiveCluster, startLiveCluster } from '../support/live-cluster';
import { LiveJob, jobPath, trueCondition } from '../support/live-jobs';
import { makeTempDir } from '../support/processes';
import { REPO_ROOT, pulumiCliEnv, pulumiProjectDir } from '../support/pulumi';

const exec = promisify(execFile);
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'pulumi', 'index.ts');
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

interface PreviewJson {
  readonly steps: { readonly op: string; readonly urn: string }[];
  readonly changeSummary: Record<string, number>;
}

describe('the README Pulumi example, run by the pulumi CLI from Pulumi.yaml', () => {
  let live: LiveCluster;
  let projectDir: string;
  let state: string;
  let env: NodeJS.ProcessEnv;

  async function pulumi(...args: string[]): Promise<string> {
    return pulumiIn(projectDir, ...args);
  }

  async function pulumiIn(cwd: string, ...args: string[]): Promise<string> {
    const { stdout } = await exec(path.join(e2eEnv().binDir, 'pulumi'), [...args, '--non-interactive'], {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  beforeAll(async () => {
    if (!fs.existsSync(path.join(REPO_ROOT, 'lib', 'pulumi.js'))) {
      // `npm run build` (CI runs it before the e2e suite) writes lib/; build it if it is missing.
      await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
    }
    live = await startLiveCluster({
      binDir: e2eEnv().binDir,
      nodes: [
        { name: 'node-a', labels: { pool: 'batch' } },
        { name: 'node-b', labels: { pool: 'batch' } },
      ],
    });
    // `jobforge` is this package (lib/).
    projectDir = pulumiProjectDir('pulumi-example-');
    fs.mkdirSync(path.join(projectDir, 'node_modules'));
    fs.symlinkSync(REPO_ROOT, path.join(projectDir, 'node_modules', 'jobforge'), 'dir');
    const js = ts.transpileModule(fs.readFileSync(EXAMPLE, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    fs.writeFileSync(path.join(projectDir, 'index.js'), js);
    fs.writeFileSync(
      path.join(projectDir, 'Pulumi.yaml'),
      stringifyYaml({ name: 'batch', runtime: 'nodejs', main: 'index.js' }),
    );
    state = makeTempDir('pulumi-example');
    env = { ...process.env, ...pulumiCliEnv(e2eEnv().binDir, path.join(state, 'home'), state) };
    await pulumi('stack', 'init', 'dev');
    await pulumi('config', 'set', 'kubernetes:kubeconfig', live.kubeconfig);
    await pulumi('config', 'set', 'image', IMAGE);
    await pulumi('config', 'set', '--secret', 'databaseUrl', 'postgres://dev@db/app');
  });

  afterAll(async () => {
    if (projectDir) {
      await pulumi('destroy', '--yes', '--skip-preview').catch(() => undefined);
      fs.rmSync(projectDir, { recursive: true, force: true });
    }
    if (state) fs.rmSync(state, { recursive: true, force: true });
    await live?.stop();
  });

  it('preview shows every child; up runs the Jobs to completion; a second preview changes nothing; destroy removes all', async () => {
    const preview = JSON.parse(await pulumi('preview', '--json')) as PreviewJson;
    const planned = preview.steps
      .filter((s) => s.op === 'create')
      .map((s) => s.urn.split('::').slice(2).join('::'))
      .sort();
    expect(planned).toEqual(
      [
        'batch',
        'jobforge:batch:DaemonJob$kubernetes:batch/v1:Job::cache-warm-batch/cache-warm-node-a',
        'jobforge:batch:DaemonJob$kubernetes:batch/v1:Job::cache-warm-batch/cache-warm-node-b',
        'jobforge:batch:DaemonJob::cache-warm',
        'jobforge:batch:KubernetesCronJob$kubernetes:batch/v1:CronJob::nightly-report-batch/nightly-report',
        'jobforge:batch:KubernetesCronJob::nightly-report',
        'jobforge:batch:KubernetesJob$kubernetes:batch/v1:Job::db-migrate-batch/db-migrate',
        'jobforge:batch:KubernetesJob$kubernetes:core/v1:ConfigMap::db-migrate-batch/migrate-config',
        'jobforge:batch:KubernetesJob$kubernetes:core/v1:Namespace::db-migrate-batch',
        'jobforge:batch:KubernetesJob$kubernetes:core/v1:Secret::db-migrate-batch/db-migrate-secrets',
        'jobforge:batch:KubernetesJob::db-migrate',
      ]
        .map((u) => (u === 'batch' ? 'pulumi:pulumi:Stack::batch-dev' : u))
        .sort(),
    );

    await pulumi('up', '--yes', '--skip-preview');
    const outputs = JSON.parse(await pulumi('stack', 'output', '--json')) as Record<string, unknown>;
    expect(outputs).toEqual({
      jobName: 'db-migrate',
      warmJobs: ['cache-warm-node-a', 'cache-warm-node-b'],
      warmNodes: ['node-a', 'node-b'],
    });
    for (const name of ['db-migrate', 'cache-warm-node-a', 'cache-warm-node-b']) {
      const job = await getJson<LiveJob>(live.kubeconfig, jobPath('batch', name));
      expect(trueCondition(job!, 'Complete')).toBeDefined();
    }
    // The secret value is encrypted in the state.
    const exported = await pulumi('stack', 'export');
    expect(exported).not.toContain('postgres://dev@db/app');
    expect(exported).not.toContain(Buffer.from('postgres://dev@db/app').toString('base64'));

    const again = JSON.parse(await pulumi('preview', '--json')) as PreviewJson;
    expect(Object.keys(again.changeSummary)).toEqual(['same']);

    await pulumi('destroy', '--yes', '--skip-preview');
    expect(await getJson(live.kubeconfig, jobPath('batch', 'db-migrate'))).toBeUndefined();
  });

  it('a bad value that arrives in an Output fails `pulumi up` with the construct error, and creates no object', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(projectDir), 'pulumi-bad-output-'));
    try {
      fs.symlinkSync(path.join(projectDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      fs.writeFileSync(
        path.join(dir, 'index.js'),
        [
          "const pulumi = require('@pulumi/pulumi');",
          "const { KubernetesJob } = require('jobforge/pulumi');",
          "new KubernetesJob('bad-image', { namespace: 'bad-output', createNamespace: true, image: pulumi.output('docker.io/library/busybox') });",
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(dir, 'Pulumi.yaml'),
        stringifyYaml({ name: 'bad', runtime: 'nodejs', main: 'index.js' }),
      );
      await pulumiIn(dir, 'stack', 'init', 'dev');
      await pulumiIn(dir, 'config', 'set', 'kubernetes:kubeconfig', live.kubeconfig);
      const failed = await pulumiIn(dir, 'up', '--yes', '--skip-preview').then(
        () => undefined,
        (e: Error & { stdout?: string }) => `${e.message}\n${e.stdout ?? ''}`,
      );
      expect(failed).toContain(
        `'image' must name a tag or a digest (no implicit :latest), got "docker.io/library/busybox"`,
      );
      expect(await getJson(live.kubeconfig, '/api/v1/namespaces/bad-output')).toBeUndefined();
      await pulumiIn(dir, 'stack', 'rm', '--yes', '--force');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
