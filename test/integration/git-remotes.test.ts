// The test Git remotes themselves (test/support/git-remotes.ts), with the real git CLI: what the
// e2e suite and other integration tests rely on.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBareRemote, gitEnv, runGit, startHttpGitServer } from '../support/git-remotes';
import { descendantPids, makeTempDir, waitFor } from '../support/processes';

/** `git http-backend` processes (and the git commands they run) still descending from this process. */
function liveHttpBackends(): string[] {
  return descendantPids()
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        return '';
      }
    })
    .filter((cmd) => /http-backend|receive-pack/.test(cmd));
}

/** Connections to 127.0.0.1:`port` the kernel still has open (any TCP state but LISTEN/TIME_WAIT). */
function openConnectionsTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 3 && f[1].endsWith(`:${hexPort}`) && f[3] !== '0A' && f[3] !== '06').length;
}

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

  it('a push whose client died while it was held leaves no git http-backend behind', async () => {
    // The leader e2e test kills the pushing replica while beforeReceivePack holds its push: the
    // request was gone before git http-backend got it, the body never reached its stdin, and the
    // backend (a child of the jest process) waited for it forever, so jest never exited.
    let pushSeen!: () => void;
    const pushStarted = new Promise<void>((r) => (pushSeen = r));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const server = await startHttpGitServer({
      beforeReceivePack: async () => {
        pushSeen();
        await held;
      },
    });
    const work = makeTempDir('git-int');
    try {
      const { url } = await server.createRepo('held');
      const clone = path.join(work, 'clone');
      await runGit(['clone', '--quiet', url, clone]);
      await commitIn(clone, 'a.txt', 'a\n');
      const push = spawn('git', ['push', '--quiet', 'origin', 'HEAD:main'], {
        cwd: clone,
        env: gitEnv(),
        detached: true,
        stdio: 'ignore',
      });
      const pushExited = new Promise((r) => push.on('exit', r));
      await pushStarted;
      process.kill(-push.pid!, 'SIGKILL');
      await pushExited;
      const port = Number(new URL(server.baseUrl).port);
      await waitFor(
        'the server to close the dead client connection',
        async () => (openConnectionsTo(port) === 0 ? true : undefined),
        { timeoutMs: 10_000 },
      );
      release();
      // The push is handed on (or dropped) in the microtasks after release.
      await new Promise((r) => setImmediate(r));
      await waitFor(
        'no git http-backend left for the dead push',
        async () => (liveHttpBackends().length === 0 ? true : undefined),
        { timeoutMs: 3_000, onTimeout: () => `still running: ${liveHttpBackends().join('; ')}` },
      );
    } finally {
      release();
      await server.stop();
      fs.rmSync(work, { recursive: true, force: true });
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
