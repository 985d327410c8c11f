// (2) A minimal Pulumi program with one dynamic provider goes through `pulumi up`, a second
// `pulumi up` with no changes, an update, and `pulumi destroy`: real CLI, offline, local file
// backend, passphrase secrets, inline program through the Automation API.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../support/processes';
import { PulumiStackHandle, pulumiStack } from '../support/pulumi';
import { TestFile } from '../support/test-file-provider';

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

describe('pulumi up / up / destroy with a dynamic provider', () => {
  let dir: string;
  let handle: PulumiStackHandle | undefined;
  let content = 'hello from pulumi\n';

  beforeAll(async () => {
    dir = makeTempDir('pulumi-e2e');
    const file = path.join(dir, 'greeting.txt');
    handle = await pulumiStack({
      projectName: 'jobforge-e2e-dynamic',
      program: async () => {
        const f = new TestFile('greeting', { path: file, content });
        return { path: f.path, sha256: f.sha256 };
      },
    });
  });
  afterAll(async () => {
    await handle?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the resource on the first up', async () => {
    const up = await handle!.up();
    expect(up.summary.result).toBe('succeeded');
    expect(up.summary.resourceChanges).toEqual({ create: 2 });
    expect(up.outputs.sha256.value).toBe(sha256(content));
    expect(fs.readFileSync(path.join(dir, 'greeting.txt'), 'utf8')).toBe(content);
    // The backend is the local directory, not the Pulumi service.
    expect(fs.readdirSync(path.join(handle!.backendDir, '.pulumi'))).toContain('stacks');
  });

  it('changes nothing on a second up with the same program', async () => {
    const up = await handle!.up();
    expect(up.summary.result).toBe('succeeded');
    expect(up.summary.resourceChanges).toEqual({ same: 2 });
  });

  it('updates in place when an input changes (diff + update)', async () => {
    content = 'hello again\n';
    const up = await handle!.up();
    expect(up.summary.resourceChanges).toEqual({ same: 1, update: 1 });
    expect(up.outputs.sha256.value).toBe(sha256(content));
    expect(fs.readFileSync(path.join(dir, 'greeting.txt'), 'utf8')).toBe(content);
  });

  it('deletes everything on destroy', async () => {
    const destroy = await handle!.destroy();
    expect(destroy.summary.result).toBe('succeeded');
    expect(destroy.summary.resourceChanges).toEqual({ delete: 2 });
    expect(fs.existsSync(path.join(dir, 'greeting.txt'))).toBe(false);
  });
});
