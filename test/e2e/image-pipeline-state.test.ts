// What the image pipeline leaves in the Pulumi state, with the real CLI and its local file backend:
// the template function (its code and the values its closure captured) is stored encrypted, never
// readable in any file of the backend; and detected-image records expire after `ttlDays` (0 keeps
// them forever), across real `pulumi up`s against moto and a bare Git remote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { DetectedRecord } from '../../core/pipeline/plan';
import { ImagePipeline } from '../../stacks/image-pipeline';
import { e2eEnv, resetMoto } from '../support/e2e-env';
import { createRepository, motoEcrClient, putImage } from '../support/ecr-seed';
import { BareRemote, createBareRemote, runGit } from '../support/git-remotes';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const REPOSITORY = 'state-check/app';

// Captured by the template function's closure: serialized with it by Pulumi.
const CAPTURED_MARKER = `captured-${randomBytes(8).toString('hex')}`;
// A literal in the function's own code.
const CODE_MARKER = 'jobforge-template-code-7f3a91';

/** Every file of the file backend (state, backups, history), gunzipped where compressed. */
function backendFiles(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else {
        const raw = fs.readFileSync(p);
        out.push({ file: p, text: (p.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8') });
      }
    }
  };
  walk(dir);
  return out;
}

const execFileAsync = promisify(execFile);
const tags = (records: unknown): string[] => (records as DetectedRecord[]).map((r) => r.tag);

describe('ImagePipeline state: template function encrypted, records expiring after ttlDays', () => {
  let remote: BareRemote;
  let handle: PulumiStackHandle;
  let ecr: ECRClient;
  let ttlDays = 0;

  beforeAll(async () => {
    const env = e2eEnv();
    await resetMoto();
    ecr = motoEcrClient(env.motoEndpoint, 'us-east-1');
    await createRepository(ecr, REPOSITORY);
    await putImage(ecr, REPOSITORY, 'v1.0.0');
    remote = await createBareRemote();
    handle = await pulumiStack({
      projectName: 'jobforge-e2e-image-pipeline-state',
      envVars: AWS_ENV,
      program: async () => {
        const pipeline = new ImagePipeline('images', {
          ecr: { region: 'us-east-1', repositoryPattern: 'state-check/*', endpoint: env.motoEndpoint },
          policy: { perRepository: true, semver: { range: '>=1.0.0' } },
          template: {
            fn: (image) => ({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: image.serviceName },
              data: { captured: CAPTURED_MARKER, code: 'jobforge-template-code-7f3a91', tag: image.tag },
            }),
          },
          git: { url: remote.url, branch: 'main', path: 'apps' },
          ttlDays,
        });
        return { detected: pipeline.detected, commitSha: pipeline.commitSha };
      },
    });
  });

  afterAll(async () => {
    await handle?.cleanup();
    await remote?.cleanup();
    ecr?.destroy();
  });

  it('runs the template function, yet no file of the backend holds its code or captured values', async () => {
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ create: 3 });
    // The function ran with its captured value: the committed manifest has it.
    const manifest = await runGit(['--git-dir', remote.dir, 'show', 'main:apps/state-check/app/v1.0.0.yaml']);
    expect(manifest).toContain(`captured: ${CAPTURED_MARKER}`);
    expect(manifest).toContain(`code: ${CODE_MARKER}`);

    const files = backendFiles(handle.backendDir);
    const checkpoint = files.find((f) => f.text.includes('jobforge:ImagePipelineRun'));
    expect(checkpoint).toBeDefined();
    for (const { file, text } of files) {
      expect([file, text.includes(CAPTURED_MARKER), text.includes(CODE_MARKER)]).toEqual([
        file,
        false,
        false,
      ]);
    }
    // `pulumi stack export` (the CLI, without --show-secrets) shows the same: inputs and outputs
    // hold ciphertext.
    const { stdout } = await execFileAsync('pulumi', ['stack', 'export', '--stack', handle.stack.name], {
      cwd: handle.workDir,
      env: { ...process.env, ...handle.envVars },
      maxBuffer: 64 * 1024 * 1024,
    });
    const exported = JSON.parse(stdout) as { deployment: { resources: Array<Record<string, unknown>> } };
    const run = exported.deployment.resources.find((r) =>
      String(r.type).endsWith(':ImagePipelineRun'),
    ) as Record<string, Record<string, unknown>>;
    for (const side of [run.inputs, run.outputs]) {
      const stored = side.templateFn as Record<string, unknown>;
      expect(stored['4dabf18193072939515e22adb298388d']).toBe('1b47061264138c4ac30d75fd1eb44270');
      expect(typeof stored.ciphertext).toBe('string');
    }
    expect(stdout).not.toContain(CAPTURED_MARKER);
    expect(stdout).not.toContain(CODE_MARKER);
  });

  it('ttlDays 0 keeps the record of an image no longer selected', async () => {
    await putImage(ecr, REPOSITORY, 'v1.1.0');
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2, update: 1 });
    expect(tags(up.outputs.detected.value)).toEqual(['v1.0.0', 'v1.1.0']);
    await new Promise((r) => setTimeout(r, 3000));
    const again = await handle.up();
    expect(again.summary.resourceChanges).toEqual({ same: 3 });
    expect(tags(again.outputs.detected.value)).toEqual(['v1.0.0', 'v1.1.0']);
  });

  it('a ttlDays the record is older than makes it leave on the next up; the selected image stays', async () => {
    ttlDays = 2 / 86400; // two seconds; v1.0.0 was detected more than three seconds ago
    const up = await handle.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2, update: 1 });
    expect(tags(up.outputs.detected.value)).toEqual(['v1.1.0']);
    // Nothing was committed for an expiry, and the expired image's manifest stays in Git.
    const log = (await runGit(['--git-dir', remote.dir, 'log', '--format=%s', 'main'])).trim().split('\n');
    expect(log).toHaveLength(2);
    expect(await runGit(['--git-dir', remote.dir, 'ls-tree', '-r', '--name-only', 'main'])).toBe(
      'apps/state-check/app/v1.0.0.yaml\napps/state-check/app/v1.1.0.yaml\n',
    );
    await new Promise((r) => setTimeout(r, 2500));
    const again = await handle.up();
    expect(again.summary.resourceChanges).toEqual({ same: 3 });
    expect(tags(again.outputs.detected.value)).toEqual(['v1.1.0']);
  });
});
