// The test Git remotes themselves (test/support/git-remotes.ts), with the real git CLI: what the
// e2e suite and other integration tests rely on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBareRemote, gitEnv, runGit, startHttpGitServer } from '../support/git-remotes';
import { makeTempDir } from '../support/processes';

async function commitIn(dir: string, file: string, content: string): Promise<string> {
  fs.writeFileSync(path.join(dir, file), content);
  await runGit(['add', file], { cwd: dir });
  await runGit(['commit', '--quiet', '-m', `add ${file}`], { cwd: dir });
  return (await runGit(['rev-parse', 'HEAD'], { cwd: dir })).trim();
}

describe('createBareRemote', () => {
  it('is an empty bare repository with main as default branch, removed by cleanup', async () => {
    const remote = await createBareRemote();
    expect(remote.url).toBe(`file://${remote.dir}`);
    expect((await runGit(['--git-dir', remote.dir, 'rev-parse', '--is-bare-repository'])).trim()).toBe(
      'true',
    );
    expect((await runGit(['--git-dir', remote.dir, 'symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/main');
    expect(await runGit(['ls-remote', remote.url])).toBe('');
    await remote.cleanup();
    expect(fs.existsSync(remote.dir)).toBe(false);
  });
});

describe('startHttpGitServer', () => {
  it('serves anonymous clone and push when no credentials are configured', async () => {
    const server = await startHttpGitServer();
    const work = makeTempDir('git-int');
    try {
      const { url, dir } = await server.createRepo('open');
      const clone = path.join(work, 'clone');
      await runGit(['clone', '--quiet', url, clone]);
      const sha = await commitIn(clone, 'a.txt', 'a\n');
      await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: clone });
      expect((await runGit(['--git-dir', dir, 'rev-parse', 'main'])).trim()).toBe(sha);
      expect(server.requests.filter((r) => r.path === '/open.git/git-receive-pack')).toEqual([
        { method: 'POST', path: '/open.git/git-receive-pack', status: 200, user: 'anonymous' },
      ]);
    } finally {
      await server.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('pushes a second commit on top of the first (fetch, rebase-free fast-forward)', async () => {
    const server = await startHttpGitServer({ username: 'bob', password: 'builder' });
    const work = makeTempDir('git-int');
    try {
      await server.createRepo('ff');
      const url = server.urlWithCredentials('ff', 'bob', 'builder');
      const clone = path.join(work, 'clone');
      await runGit(['clone', '--quiet', url, clone]);
      await commitIn(clone, 'one.txt', '1\n');
      await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: clone });
      const second = await commitIn(clone, 'two.txt', '2\n');
      await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: clone });
      expect((await runGit(['ls-remote', url, 'main'])).split('\t')[0]).toBe(second);
    } finally {
      await server.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses wrong basic credentials with git "Authentication failed"', async () => {
    const server = await startHttpGitServer({ token: 'tkn' });
    try {
      await server.createRepo('closed');
      const bad = server.urlWithCredentials('closed', 'x-access-token', 'nope');
      await expect(runGit(['ls-remote', bad], { env: gitEnv() })).rejects.toThrow(
        `git ls-remote ${bad} failed: remote: Authentication required\nfatal: Authentication failed for '${server.baseUrl}/closed.git/'`,
      );
      const good = server.urlWithCredentials('closed', 'anyone', 'tkn');
      await expect(runGit(['ls-remote', good])).resolves.toBe('');
    } finally {
      await server.stop();
    }
  });

  it('rejects bad arguments with errors naming the field', async () => {
    await expect(startHttpGitServer({ username: 'u' })).rejects.toThrow(
      "'password' is required when 'username' is set, got undefined",
    );
    const server = await startHttpGitServer();
    try {
      await expect(server.createRepo('../escape')).rejects.toThrow(
        `'name' must match /^[A-Za-z0-9][A-Za-z0-9._-]*$/, got "../escape"`,
      );
    } finally {
      await server.stop();
    }
  });

  it('stops: the port no longer answers and the repositories are gone', async () => {
    const server = await startHttpGitServer();
    await server.createRepo('gone');
    await server.stop();
    expect(fs.existsSync(server.root)).toBe(false);
    await expect(fetch(`${server.baseUrl}/gone.git/info/refs?service=git-upload-pack`)).rejects.toThrow();
  });
});
