// The example Pulumi program as a user runs it: the `pulumi` CLI itself (no Automation API) runs
// `pulumi up` in a project directory on the compiled program (`Pulumi.yaml` main ->
// lib/stacks/program.js) with a `Pulumi.<stack>.yaml` derived from the repo's Pulumi.dev.yaml.
// The Node.js language host is tools/pulumi-language-nodejs.js (see tools/engines.js).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ImagePipelineStackConfig } from '../../stacks/image-pipeline-config';
import { createRepository, motoEcrClient, putImage } from '../support/ecr-seed';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { makeTempDir } from '../support/processes';
import { REPO_ROOT, pulumiCliEnv, pulumiProjectDir } from '../support/pulumi';

const exec = promisify(execFile);
const PROGRAM = path.join(REPO_ROOT, 'lib', 'stacks', 'program.js');

describe('`pulumi up` of the example program with the pulumi CLI', () => {
  let remote: BareRemote;
  let projectDir: string;
  let env: NodeJS.ProcessEnv;

  async function pulumi(...args: string[]): Promise<string> {
    const { stdout } = await exec(path.join(e2eEnv().binDir, 'pulumi'), args, {
      cwd: projectDir,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  beforeAll(async () => {
    const engines = e2eEnv();
    if (!fs.existsSync(PROGRAM)) {
      // `npm run build` (CI runs it before the e2e suite) writes lib/; build it if it is missing.
      await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
    }
    await resetMoto();
    const ecr = motoEcrClient(engines.motoEndpoint);
    await createRepository(ecr, 'team-a/ledger');
    for (const tag of ['v2.0.0', 'v2.1.0', 'v1.9.9']) await putImage(ecr, 'team-a/ledger', tag);
    ecr.destroy();
    remote = await createBareRemote();

    projectDir = pulumiProjectDir('cli-program-');
    const state = makeTempDir('pulumi-cli');
    const project = parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'Pulumi.yaml'), 'utf8'));
    fs.writeFileSync(path.join(projectDir, 'Pulumi.yaml'), stringifyYaml({ ...project, main: PROGRAM }));
    const example = (
      parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'Pulumi.dev.yaml'), 'utf8')) as {
        config: Record<string, ImagePipelineStackConfig>;
      }
    ).config['jobforge:imagePipeline'];
    const config: ImagePipelineStackConfig = {
      ...example,
      ecr: { ...example.ecr, endpoint: engines.motoEndpoint },
      git: { ...example.git, url: remote.url, auth: undefined },
      dedup: { ...example.dedup, kubeconfig: engines.kubeconfig },
    };
    fs.writeFileSync(
      path.join(projectDir, 'Pulumi.e2e.yaml'),
      stringifyYaml({ config: { 'jobforge:imagePipeline': config } }),
    );
    env = {
      ...process.env,
      ...pulumiCliEnv(engines.binDir, path.join(state, 'home'), state),
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await pulumi('stack', 'init', 'e2e', '--non-interactive');
  });

  afterAll(async () => {
    if (projectDir) {
      await pulumi('destroy', '--yes', '--non-interactive', '--skip-preview').catch(() => undefined);
      fs.rmSync(projectDir, { recursive: true, force: true });
    }
    await remote?.cleanup();
  });

  it('commits the newest image, then a second up changes nothing', async () => {
    await pulumi('up', '--yes', '--non-interactive', '--skip-preview');
    const outputs = JSON.parse(await pulumi('stack', 'output', '--json')) as Record<string, unknown>;
    expect(outputs.createdFiles).toEqual(['clusters/dev/apps/team-a/ledger/v2.1.0.yaml']);
    const manifest = parseYaml(
      await runGit(['--git-dir', remote.dir, 'show', 'main:clusters/dev/apps/team-a/ledger/v2.1.0.yaml']),
    );
    expect(manifest).toMatchObject({ kind: 'Deployment', metadata: { name: 'ledger', namespace: 'apps' } });
    const head = await runGit(['--git-dir', remote.dir, 'rev-parse', 'main']);

    const preview = JSON.parse(await pulumi('preview', '--json', '--non-interactive')) as {
      changeSummary: Record<string, number>;
    };
    expect(preview.changeSummary).toEqual({ same: 3 });
    await pulumi('up', '--yes', '--non-interactive', '--skip-preview');
    expect(await runGit(['--git-dir', remote.dir, 'rev-parse', 'main'])).toBe(head);
  });
});
