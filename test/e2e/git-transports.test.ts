// (5) A commit pushed over each Git transport (file://, smart HTTP with a token, smart HTTP with
// basic auth, SSH) is readable back, and a bad credential is refused with a clear error.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  HttpGitServer,
  SshGitServer,
  createBareRemote,
  gitEnv,
  runGit,
  startHttpGitServer,
  startSshGitServer,
} from '../support/git-remotes';
import { makeTempDir } from '../support/processes';

let work: string;
beforeEach(() => {
  work = makeTempDir('git-e2e');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** Commits one file in a fresh clone-less repo and pushes it to `url` as main; returns the SHA. */
async function pushCommit(
  url: string,
  env: NodeJS.ProcessEnv,
  content = `hello ${Date.now()}\n`,
): Promise<string> {
  const repo = path.join(work, `src-${Math.random().toString(36).slice(2)}`);
  await runGit(['init', '--quiet', '--initial-branch=main', repo], { env });
  fs.writeFileSync(path.join(repo, 'README.md'), content);
  await runGit(['add', 'README.md'], { cwd: repo, env });
  await runGit(['commit', '--quiet', '-m', 'first commit'], { cwd: repo, env });
  await runGit(['push', '--quiet', url, 'main'], { cwd: repo, env });
  return (await runGit(['rev-parse', 'HEAD'], { cwd: repo, env })).trim();
}

/** ls-remote and a fresh clone both see `sha` on main with the pushed content. */
async function expectReadable(
  url: string,
  env: NodeJS.ProcessEnv,
  sha: string,
  content: string,
): Promise<void> {
  expect((await runGit(['ls-remote', url, 'refs/heads/main'], { env })).trim()).toBe(
    `${sha}\trefs/heads/main`,
  );
  const clone = path.join(work, `clone-${Math.random().toString(36).slice(2)}`);
  await runGit(['clone', '--quiet', url, clone], { env });
  expect((await runGit(['rev-parse', 'HEAD'], { cwd: clone, env })).trim()).toBe(sha);
  expect(fs.readFileSync(path.join(clone, 'README.md'), 'utf8')).toBe(content);
}

describe('git over file://', () => {
  it('pushes a commit and reads it back', async () => {
    const remote = await createBareRemote();
    try {
      const env = gitEnv();
      const sha = await pushCommit(remote.url, env, 'file\n');
      await expectReadable(remote.url, env, sha, 'file\n');
      expect((await runGit(['--git-dir', remote.dir, 'rev-parse', 'main'])).trim()).toBe(sha);
    } finally {
      await remote.cleanup();
    }
  });
});

describe('git over smart HTTP (git http-backend)', () => {
  let server: HttpGitServer;
  beforeAll(async () => {
    server = await startHttpGitServer({ token: 's3cr3t-token', username: 'alice', password: 'wonderland' });
  });
  afterAll(() => server.stop());

  it('pushes and reads back with a bearer token', async () => {
    const { url, dir } = await server.createRepo('bearer');
    const env = gitEnv({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: 'Authorization: Bearer s3cr3t-token',
    });
    const sha = await pushCommit(url, env, 'bearer\n');
    await expectReadable(url, env, sha, 'bearer\n');
    expect((await runGit(['--git-dir', dir, 'rev-parse', 'main'])).trim()).toBe(sha);
    expect(server.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.user === 'token')).toBe(
      true,
    );
  });

  it('pushes and reads back with the token as basic-auth password', async () => {
    const url = server.urlWithCredentials('token-basic', 'x-access-token', 's3cr3t-token');
    await server.createRepo('token-basic');
    const sha = await pushCommit(url, gitEnv(), 'token as password\n');
    await expectReadable(url, gitEnv(), sha, 'token as password\n');
  });

  it('pushes and reads back with basic auth', async () => {
    const url = server.urlWithCredentials('basic', 'alice', 'wonderland');
    await server.createRepo('basic');
    const sha = await pushCommit(url, gitEnv(), 'basic\n');
    await expectReadable(url, gitEnv(), sha, 'basic\n');
    expect(server.requests.some((r) => r.path === '/basic.git/git-receive-pack' && r.user === 'alice')).toBe(
      true,
    );
  });

  it('refuses a wrong password, a wrong token and no credentials', async () => {
    const { url } = await server.createRepo('guarded');
    const wrongPassword = server.urlWithCredentials('guarded', 'alice', 'not-it');
    await expect(pushCommit(wrongPassword, gitEnv())).rejects.toThrow(/Authentication failed for/);
    const wrongToken = gitEnv({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: 'Authorization: Bearer wrong',
    });
    // A refused bearer token makes git fall back to asking for a user name, which tests forbid.
    const noPrompt = /could not read Username for 'http:\/\/127\.0\.0\.1:\d+': terminal prompts disabled/;
    await expect(runGit(['ls-remote', url], { env: wrongToken })).rejects.toThrow(noPrompt);
    await expect(runGit(['ls-remote', url], { env: gitEnv() })).rejects.toThrow(noPrompt);
    const refused = server.requests.filter((r) => r.path.startsWith('/guarded.git/'));
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.every((r) => r.status === 401 && r.user === undefined)).toBe(true);
  });
});

describe('git over SSH (openssh-server, git-shell)', () => {
  let server: SshGitServer;
  beforeAll(async () => {
    server = await startSshGitServer();
  });
  afterAll(() => server?.stop());

  it('pushes a commit and reads it back', async () => {
    const { url, dir } = await server.createRepo('over-ssh');
    const sha = await pushCommit(url, server.env(), 'ssh\n');
    await expectReadable(url, server.env(), sha, 'ssh\n');
    expect((await runGit(['--git-dir', dir, 'rev-parse', 'main'])).trim()).toBe(sha);
  });

  it('refuses a key it does not know with "Permission denied (publickey)"', async () => {
    const { url } = await server.createRepo('locked');
    const stranger = await server.generateUnauthorizedKey();
    await expect(runGit(['ls-remote', url], { env: server.env(stranger) })).rejects.toThrow(
      /Permission denied \(publickey\)/,
    );
  });

  it('gives the authorized key git only, no shell', async () => {
    const ssh = server.sshCommand().split(' ');
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const [cmd, ...args] = ssh;
      execFile(
        cmd,
        [...args, '-p', String(server.port), `${server.user}@127.0.0.1`, 'id'],
        { env: gitEnv() },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unrecognized command 'id'/);
  });
});
