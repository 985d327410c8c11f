import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listGitFiles } from '../../core/git-tree';
import { createBareRemote, gitEnv, runGit, startHttpGitServer } from '../support/git-remotes';

/** Pushes `files` to `url` on `branch` in one commit, through a throwaway clone. */
async function pushFiles(
  url: string,
  files: Record<string, string>,
  branch = 'main',
  env = gitEnv(),
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jf-tree-src-'));
  try {
    await runGit(['init', '-q', '-b', branch, dir], { env });
    for (const [f, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), content);
    }
    await runGit(['add', '-A'], { cwd: dir, env });
    await runGit(['commit', '-q', '-m', 'seed'], { cwd: dir, env });
    await runGit(['push', '-q', url, `HEAD:refs/heads/${branch}`], { cwd: dir, env });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('listGitFiles', () => {
  test('lists the files under the path on the branch, relative to the root; [] for a missing branch', async () => {
    const remote = await createBareRemote();
    try {
      expect(await listGitFiles({ url: remote.url, branch: 'main', path: 'apps' })).toEqual([]);
      await pushFiles(remote.url, {
        'apps/team-a/api/v1.yaml': 'a',
        'apps/team-a/web/v2.yaml': 'b',
        'other/readme.md': 'c',
        'apps-not/x.yaml': 'd',
      });
      expect(await listGitFiles({ url: remote.url, branch: 'main', path: 'apps' })).toEqual([
        'apps/team-a/api/v1.yaml',
        'apps/team-a/web/v2.yaml',
      ]);
      expect(await listGitFiles({ url: remote.url, branch: 'main', path: '' })).toHaveLength(4);
      expect(await listGitFiles({ url: remote.url, branch: 'other', path: '' })).toEqual([]);
    } finally {
      await remote.cleanup();
    }
  });

  test('authenticates over HTTP with a token and keeps it out of errors', async () => {
    const token = 'tok-0123456789abcdef';
    const server = await startHttpGitServer({ token });
    try {
      const repo = await server.createRepo('manifests');
      const withCreds = server.urlWithCredentials('manifests', 'x', token);
      await pushFiles(withCreds, { 'apps/a.yaml': 'a' });
      expect(await listGitFiles({ url: repo.url, path: 'apps', auth: { type: 'token', token } })).toEqual([
        'apps/a.yaml',
      ]);
      const wrong = 'wrong-token-value-123';
      const err = await listGitFiles({
        url: repo.url,
        path: 'apps',
        auth: { type: 'token', token: wrong },
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/git fetch failed/);
      expect((err as Error).message).not.toContain(wrong);
      expect((err as Error).message).not.toContain(Buffer.from(`x-access-token:${wrong}`).toString('base64'));
    } finally {
      await server.stop();
    }
  });
});
