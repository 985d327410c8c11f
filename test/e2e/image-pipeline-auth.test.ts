// Git credentials of the image pipeline at `pulumi up`: read by the provider from the
// environment or from the stack's secret config, sent to a real HTTP Git server, and absent from
// the stack's state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ImagePipeline, GitAuthSource } from '../../stacks/image-pipeline';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { HttpGitServer, runGit, startHttpGitServer } from '../support/git-remotes';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';

const TOKEN = 'e2e-token-7f3a9c1d5b';

/** Every file the local backend wrote (checkpoints, history, backups), as stored on disk. */
function backendText(handle: PulumiStackHandle): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(fs.readFileSync(p).toString('latin1'));
    }
  };
  walk(handle.backendDir);
  return out.join('\n');
}

describe('ImagePipeline Git credentials', () => {
  let server: HttpGitServer;
  const handles: PulumiStackHandle[] = [];

  beforeAll(async () => {
    const env = e2eEnv();
    await resetMoto();
    const ecr = new ECRClient({
      region: 'us-east-1',
      endpoint: env.motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'auth/app' }));
    await ecr.send(
      new PutImageCommand({
        repositoryName: 'auth/app',
        imageTag: 'v1.0.0',
        imageManifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: {
            mediaType: 'application/vnd.docker.container.image.v1+json',
            size: 1,
            digest: `sha256:${'c'.repeat(64)}`,
          },
          layers: [
            {
              mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
              size: 1,
              digest: `sha256:${'d'.repeat(64)}`,
            },
          ],
        }),
      }),
    );
    ecr.destroy();
    server = await startHttpGitServer({ token: TOKEN });
  });

  afterAll(async () => {
    for (const h of handles) await h.cleanup();
    await server?.stop();
  });

  async function stackWith(
    repo: string,
    auth: GitAuthSource,
    extra: { envVars?: Record<string, string>; config?: Record<string, { value: string; secret?: boolean }> },
  ): Promise<{ handle: PulumiStackHandle; dir: string }> {
    const { url, dir } = await server.createRepo(repo);
    const env = e2eEnv();
    const handle = await pulumiStack({
      projectName: `jobforge-e2e-auth-${repo}`,
      envVars: {
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_EC2_METADATA_DISABLED: 'true',
        ...extra.envVars,
      },
      config: extra.config,
      program: async () => {
        const p = new ImagePipeline('images', {
          ecr: { region: 'us-east-1', repositoryPattern: 'auth/*', endpoint: env.motoEndpoint },
          policy: { perRepository: true, semver: { range: '>=1.0.0' } },
          template: { yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .ServiceName }}"\n' },
          git: { url, path: 'apps', auth },
        });
        return { createdFiles: p.createdFiles };
      },
    });
    handles.push(handle);
    return { handle, dir };
  }

  it('reads the token from the environment of pulumi up, and keeps it out of the state', async () => {
    const { handle, dir } = await stackWith(
      'env',
      { type: 'token', tokenEnv: 'GITOPS_TOKEN' },
      { envVars: { GITOPS_TOKEN: TOKEN } },
    );
    const up = await handle.up();
    expect(up.outputs.createdFiles.value).toEqual(['apps/auth/app/v1.0.0.yaml']);
    expect(await runGit(['--git-dir', dir, 'ls-tree', '-r', '--name-only', 'main'])).toBe(
      'apps/auth/app/v1.0.0.yaml\n',
    );
    const state = backendText(handle);
    expect(state).toContain('GITOPS_TOKEN');
    expect(state).not.toContain(TOKEN);
  });

  it('reads the token from a secret Pulumi config key', async () => {
    const { handle } = await stackWith(
      'config',
      { type: 'token', tokenConfig: 'gitToken' },
      {
        config: { gitToken: { value: TOKEN, secret: true } },
      },
    );
    const up = await handle.up();
    expect(up.outputs.createdFiles.value).toEqual(['apps/auth/app/v1.0.0.yaml']);
    // The stack config is stored encrypted (Pulumi records it with the default provider); the
    // pipeline's own state only names the key.
    const state = backendText(handle);
    expect(state).toMatch(/"tokenConfig": ?"gitToken"/);
    expect(state).not.toContain(TOKEN);
  });

  it('a wrong token fails with a clear error that does not echo it', async () => {
    const wrong = 'wrong-token-0123456789';
    const { handle, dir } = await stackWith(
      'wrong',
      { type: 'token', tokenEnv: 'GITOPS_TOKEN' },
      { envVars: { GITOPS_TOKEN: wrong } },
    );
    const err = (await handle.up().catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/image pipeline imagepipeline-[0-9a-f]{12}: .*git/i);
    expect(err.message).not.toContain(wrong);
    expect(await runGit(['--git-dir', dir, 'rev-list', '--all'])).toBe('');
  });
});
