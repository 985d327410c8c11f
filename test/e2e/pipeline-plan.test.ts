// `jobforge pipeline-plan`, the real CLI in its own process: a dry run of the image pipeline
// against moto, the test apiserver and a bare remote, from a Pulumi stack file. Nothing is written.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { createRepository, motoEcrClient, putImage } from '../support/ecr-seed';
import { applyObject } from '../support/kube-api';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { makeTempDir } from '../support/processes';
import { REPO_ROOT } from '../support/pulumi';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function jobforge(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(REPO_ROOT, 'bin', 'jobforge.ts'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('jobforge pipeline-plan', () => {
  let remote: BareRemote;
  let dir: string;

  beforeAll(async () => {
    const env = e2eEnv();
    await resetMoto();
    const ecr = motoEcrClient(env.motoEndpoint, 'us-east-1');
    await createRepository(ecr, 'plan/api');
    await createRepository(ecr, 'plan/web');
    await putImage(ecr, 'plan/api', 'prod-1.0.0');
    await putImage(ecr, 'plan/api', 'prod-1.1.0');
    await putImage(ecr, 'plan/web', 'prod-2.0.0');
    ecr.destroy();
    // prod-1.0.0 of plan/api runs: in prefix mode the newer prod-1.1.0 is GitOps's to roll out.
    await applyObject(env.kubeconfig, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'api-report', namespace: 'default' },
      spec: {
        schedule: '0 * * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'report', image: `${REGISTRY}/plan/api:prod-1.0.0` }],
              },
            },
          },
        },
      },
    });
    remote = await createBareRemote();
    dir = makeTempDir('pipeline-plan');
    fs.writeFileSync(
      path.join(dir, 'Pulumi.plan.yaml'),
      stringify({
        config: {
          'jobforge:imagePipeline': {
            ecr: { region: 'us-east-1', repositoryPattern: 'plan/*', endpoint: env.motoEndpoint },
            policy: {
              perRepository: true,
              pattern: {
                regex: '^(?<env>prod)-(?<v>\\d+\\.\\d+\\.\\d+)$',
                extract: '$<v>',
                extractPrefix: true,
                compareAs: 'semver',
              },
            },
            template: { yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\n' },
            git: { url: remote.url, path: 'apps' },
            dedup: { mode: 'prefix', kubeconfig: env.kubeconfig },
          },
        },
      }),
    );
  });

  afterAll(async () => {
    await remote?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints what pulumi up would commit and skip, and writes nothing', async () => {
    const res = await jobforge(['pipeline-plan', '--config', path.join(dir, 'Pulumi.plan.yaml')], {
      AWS_ACCESS_KEY_ID: 't',
      AWS_SECRET_ACCESS_KEY: 't',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(res.stderr).not.toMatch(/jobforge:/);
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.detected).toEqual([`${REGISTRY}/plan/api:prod-1.1.0`, `${REGISTRY}/plan/web:prod-2.0.0`]);
    expect(summary.wouldCreate).toEqual(['apps/plan/web/prod-2.0.0.yaml']);
    expect(summary.skipped).toEqual([
      {
        image: `${REGISTRY}/plan/api:prod-1.1.0`,
        file: 'apps/plan/api/prod-1.1.0.yaml',
        reasonCode: 'prefix-in-cluster',
        reason: `${REGISTRY}/plan/api with tag prefix "prod" already runs as ${REGISTRY}/plan/api:prod-1.0.0 in CronJob default/api-report (container report); GitOps owns its upgrades`,
      },
    ]);
    expect(summary.apiCalls.ecr).toEqual({ describeRepositories: 1, describeImages: 2, total: 3 });
    expect(await runGit(['--git-dir', remote.dir, 'rev-list', '--all'])).toBe('');
  });

  it('fails with a clear error for a file without the configuration', async () => {
    fs.writeFileSync(path.join(dir, 'empty.yaml'), 'config: {}\n');
    const res = await jobforge(['pipeline-plan', '--config', path.join(dir, 'empty.yaml')], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("jobforge: '--config' must hold the pipeline configuration");
  });

  it('checks the file against the one pipeline schema, naming the field', async () => {
    const file = path.join(dir, 'Pulumi.plan.yaml');
    const stack = parseYaml(fs.readFileSync(file, 'utf8')) as {
      config: Record<string, { ecr: Record<string, unknown> }>;
    };
    stack.config['jobforge:imagePipeline'].ecr.maxRepositories = 500;
    fs.writeFileSync(path.join(dir, 'Pulumi.bad.yaml'), stringify(stack));
    const res = await jobforge(['pipeline-plan', '--config', path.join(dir, 'Pulumi.bad.yaml')], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      "jobforge: 'jobforge:imagePipeline.ecr.maxRepositories' must be an integer from 1 to 200, got 500",
    );
  });
});
