// The example program (stacks/program.ts) runs from stack config alone: Pulumi.dev.yaml's
// `jobforge:imagePipeline`, with only the endpoints pointed at the test engines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createRepository, motoEcrClient, putImage } from '../support/ecr-seed';
import { imagePipelineProgram, ImagePipelineStackConfig } from '../../stacks/image-pipeline-config';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { PulumiStackHandle, REPO_ROOT, pulumiStack } from '../support/pulumi';

describe('the example program from Pulumi.dev.yaml', () => {
  let remote: BareRemote;
  let handle: PulumiStackHandle;

  beforeAll(async () => {
    const env = e2eEnv();
    await resetMoto();
    const ecr = motoEcrClient(env.motoEndpoint);
    await createRepository(ecr, 'team-a/billing');
    for (const tag of ['v1.4.0', 'v1.5.0', 'v0.1.0']) await putImage(ecr, 'team-a/billing', tag);
    ecr.destroy();
    remote = await createBareRemote();

    const stackFile = parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'Pulumi.dev.yaml'), 'utf8')) as {
      config: Record<string, ImagePipelineStackConfig>;
    };
    const example = stackFile.config['jobforge:imagePipeline'];
    // Only where things are changes: the test engines and a local remote (no credentials).
    const config: ImagePipelineStackConfig = {
      ...example,
      ecr: { ...example.ecr, endpoint: env.motoEndpoint },
      git: { ...example.git, url: remote.url, auth: undefined },
      dedup: { ...example.dedup, kubeconfig: env.kubeconfig },
    };
    handle = await pulumiStack({
      projectName: 'jobforge',
      envVars: {
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      config: { 'jobforge:imagePipeline': JSON.stringify(config) },
      program: async () => ({ ...imagePipelineProgram() }),
    });
  });

  afterAll(async () => {
    await handle?.cleanup();
    await remote?.cleanup();
  });

  it('commits the rendered YAML template for the selected image', async () => {
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ create: 3 });
    expect(up.outputs.createdFiles.value).toEqual(['clusters/dev/apps/team-a/billing/v1.5.0.yaml']);
    const manifest = await runGit([
      '--git-dir',
      remote.dir,
      'show',
      'main:clusters/dev/apps/team-a/billing/v1.5.0.yaml',
    ]);
    const doc = parseYaml(manifest);
    expect(doc).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'billing',
        namespace: 'apps',
        labels: { 'app.kubernetes.io/version': 'v1.5.0', team: 'team-a' },
      },
    });
    expect(doc.spec.template.spec.containers[0].image).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/billing:v1.5.0',
    );
    const again = await handle.up();
    expect(again.summary.resourceChanges).toEqual({ same: 3 });
  });
});
