import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { GitBranchMissingError, resolveGitTarget, writeGitFiles } from '../../core/git-writer';
import {
  createBareRemote,
  runGit,
  sshdAvailable,
  startHttpGitServer,
  startSshGitServer,
  type BareRemote,
} from '../support/git-remotes';
import { makeTempDir } from '../support/processes';

jest.setTimeout(60000);

/** The branch's files under `prefix` and their contents, read straight from the bare remote. */
async function remoteFiles(dir: string, branch = 'main'): Promise<Record<string, string>> {
  const list = await runGit(['--git-dir', dir, 'ls-tree', '-r', '--name-only', branch]);
  const out: Record<string, string> = {};
  for (const f of list.split('\n').filter(Boolean)) {
    out[f] = await runGit(['--git-dir', dir, 'show', `${branch}:${f}`]);
  }
  return out;
}
const commitCount = async (dir: string, branch = 'main'): Promise<number> =>
  Number((await runGit(['--git-dir', dir, 'rev-list', '--count', branch])).trim());
const tip = async (dir: string, branch = 'main'): Promise<string> =>
  (await runGit(['--git-dir', dir, 'rev-parse', branch])).trim();

/** Pushes one commit adding `file` to the remote, from a separate clone (another writer). */
async function concurrentPush(url: string, file: string, content: string): Promise<void> {
  const dir = makeTempDir('other-writer');
  try {
    await runGit(['clone', '--quiet', '--branch', 'main', url, dir]);
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
    await runGit(['add', '--all'], { cwd: dir });
    await runGit(['commit', '--quiet', '-m', `other writer: ${file}`], { cwd: dir });
    await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('writeGitFiles against a bare file:// remote', () => {
  let remote: BareRemote;
  beforeEach(async () => {
    remote = await createBareRemote();
  });
  afterEach(async () => {
    await remote.cleanup();
  });

  test('one commit with every file; a second identical write makes no commit', async () => {
    const target = {
      url: remote.url,
      path: 'apps/images',
      author: { name: 'Bot', email: 'bot@example.com' },
    };
    const files = [
      { path: 'team-a/api/v1.yaml', content: 'a: 1\n' },
      { path: 'team-a/web/v2.yaml', content: 'b: 2\n' },
    ];
    const first = await writeGitFiles(target, files, { mode: 'add-only' });
    expect(first.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(first.written).toEqual(['apps/images/team-a/api/v1.yaml', 'apps/images/team-a/web/v2.yaml']);
    expect(first.pushAttempts).toBe(1);
    expect(await tip(remote.dir)).toBe(first.commitSha);
    expect(await commitCount(remote.dir)).toBe(1);
    expect(await remoteFiles(remote.dir)).toEqual({
      'apps/images/team-a/api/v1.yaml': 'a: 1\n',
      'apps/images/team-a/web/v2.yaml': 'b: 2\n',
    });
    const author = await runGit(['--git-dir', remote.dir, 'log', '-1', '--format=%an <%ae>|%s', 'main']);
    expect(author.trim()).toBe('Bot <bot@example.com>|jobforge: update 2 files in apps/images');

    const second = await writeGitFiles(target, files, { mode: 'add-only' });
    expect(second).toEqual({
      commitSha: null,
      written: [],
      removed: [],
      unchanged: ['apps/images/team-a/api/v1.yaml', 'apps/images/team-a/web/v2.yaml'],
      pushAttempts: 0,
    });
    expect(await commitCount(remote.dir)).toBe(1);

    // add-only leaves other files alone; a templated commit message
    const third = await writeGitFiles(
      { ...target, commitMessage: 'images: {{ .Added }} new under {{ .Path }}\n\n{{ .Files }}' },
      [{ path: 'team-b/db/v3.yaml', content: 'c: 3\n' }],
      { mode: 'add-only' },
    );
    expect(third.written).toEqual(['apps/images/team-b/db/v3.yaml']);
    expect(Object.keys(await remoteFiles(remote.dir))).toHaveLength(3);
    const msg = await runGit(['--git-dir', remote.dir, 'log', '-1', '--format=%B', 'main']);
    expect(msg.trim()).toBe('images: 1 new under apps/images\n\napps/images/team-b/db/v3.yaml');
  });

  test('sync mode removes files no longer given, only under the managed path', async () => {
    await concurrentPushInit(remote.url);
    const target = { url: remote.url, path: 'dist' };
    await writeGitFiles(
      target,
      [
        { path: 'a.yaml', content: 'a\n' },
        { path: 'sub/b.yaml', content: 'b\n' },
      ],
      { mode: 'sync' },
    );
    const r = await writeGitFiles(target, [{ path: 'a.yaml', content: 'a2\n' }], { mode: 'sync' });
    expect(r.written).toEqual(['dist/a.yaml']);
    expect(r.removed).toEqual(['dist/sub/b.yaml']);
    expect(await remoteFiles(remote.dir)).toEqual({
      'README.md': 'keep\n',
      'dist/a.yaml': 'a2\n',
      'distant/x.yaml': 'keep\n',
    });
    const none = await writeGitFiles(target, [{ path: 'a.yaml', content: 'a2\n' }], { mode: 'sync' });
    expect(none.commitSha).toBeNull();
  });

  test('a concurrent push is survived: fetch, re-apply on the new tip, push', async () => {
    await concurrentPushInit(remote.url);
    const before = await commitCount(remote.dir);
    const result = await writeGitFiles(
      { url: remote.url, path: 'apps' },
      [{ path: 'mine.yaml', content: 'mine\n' }],
      {
        mode: 'add-only',
        beforePush: async (attempt) => {
          if (attempt === 1) await concurrentPush(remote.url, 'apps/theirs.yaml', 'theirs\n');
        },
      },
    );
    expect(result.pushAttempts).toBe(2);
    expect(await commitCount(remote.dir)).toBe(before + 2);
    expect(await tip(remote.dir)).toBe(result.commitSha);
    const files = await remoteFiles(remote.dir);
    expect(files['apps/mine.yaml']).toBe('mine\n');
    expect(files['apps/theirs.yaml']).toBe('theirs\n');
    // linear history: our commit's parent is theirs
    const parentSubject = await runGit(['--git-dir', remote.dir, 'log', '-1', '--format=%s', 'main~1']);
    expect(parentSubject.trim()).toBe('other writer: apps/theirs.yaml');
  });

  test('writers racing for real: every one lands, each as one commit, history linear', async () => {
    await concurrentPushInit(remote.url);
    const before = await commitCount(remote.dir);
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        writeGitFiles(
          { url: remote.url, path: 'race', maxPushAttempts: 10 },
          [{ path: `w${i}.yaml`, content: `${i}\n` }],
          {
            mode: 'add-only',
          },
        ),
      ),
    );
    expect(results.every((r) => r.commitSha !== null)).toBe(true);
    expect(await commitCount(remote.dir)).toBe(before + 4);
    const files = await remoteFiles(remote.dir);
    for (let i = 0; i < 4; i++) expect(files[`race/w${i}.yaml`]).toBe(`${i}\n`);
    const merges = await runGit(['--git-dir', remote.dir, 'rev-list', '--merges', '--count', 'main']);
    expect(merges.trim()).toBe('0');
  });

  test('rejections exhausted: a clear error and the remote as the other writer left it', async () => {
    await concurrentPushInit(remote.url);
    let n = 0;
    const run = writeGitFiles(
      { url: remote.url, maxPushAttempts: 3 },
      [{ path: 'mine.yaml', content: 'mine\n' }],
      {
        mode: 'add-only',
        beforePush: async () => concurrentPush(remote.url, `theirs-${++n}.yaml`, `${n}\n`),
      },
    );
    await expect(run).rejects.toThrow(
      /git push to "file:\/\/.*remote\.git" branch "main" was rejected 3 time\(s\) because the branch kept moving .* Nothing was pushed/,
    );
    const files = await remoteFiles(remote.dir);
    expect(files['mine.yaml']).toBeUndefined();
    expect(Object.keys(files).sort()).toEqual([
      'README.md',
      'distant/x.yaml',
      'theirs-1.yaml',
      'theirs-2.yaml',
      'theirs-3.yaml',
    ]);
  });

  test('a symlink in the repository that leads outside the managed path is refused; nothing is pushed', async () => {
    const dir = makeTempDir('symlink-writer');
    await runGit(['clone', '--quiet', remote.url, dir]);
    fs.mkdirSync(path.join(dir, 'apps'));
    fs.writeFileSync(path.join(dir, 'apps', 'ok.yaml'), 'ok\n');
    fs.symlinkSync('../..', path.join(dir, 'apps', 'escape'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'apps', 'passwd.yaml'));
    await runGit(['add', '--all'], { cwd: dir });
    await runGit(['commit', '--quiet', '-m', 'links'], { cwd: dir });
    await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
    const before = await tip(remote.dir);
    await expect(
      writeGitFiles({ url: remote.url, path: 'apps' }, [{ path: 'escape/x.yaml', content: 'x' }], {
        mode: 'add-only',
      }),
    ).rejects.toThrow(
      'refusing to write "apps/escape/x.yaml": "apps/escape" is a symbolic link leading outside the managed path',
    );
    await expect(
      writeGitFiles({ url: remote.url, path: 'apps' }, [{ path: 'passwd.yaml', content: 'x' }], {
        mode: 'add-only',
      }),
    ).rejects.toThrow('refusing to write "apps/passwd.yaml": "apps/passwd.yaml" is a symbolic link');
    expect(await tip(remote.dir)).toBe(before);
  });

  test('bad paths and targets are rejected before any Git work', async () => {
    await expect(
      writeGitFiles({ url: remote.url }, [{ path: '../x', content: '' }], { mode: 'add-only' }),
    ).rejects.toThrow("'files[0].path' must not contain '..', got \"../x\"");
    await expect(
      writeGitFiles({ url: remote.url }, [{ path: '/abs', content: '' }], { mode: 'add-only' }),
    ).rejects.toThrow('\'files[0].path\' must be a relative path, got "/abs"');
    await expect(
      writeGitFiles({ url: remote.url, path: 'a/../..' }, [], { mode: 'add-only' }),
    ).rejects.toThrow("'git.path' must not contain '..', got \"a/../..\"");
    expect(await runGit(['--git-dir', remote.dir, 'branch', '--list'])).toBe('');
  });
});

describe('writeGitFiles when the branch does not exist on the remote', () => {
  let remote: BareRemote;
  beforeEach(async () => {
    remote = await createBareRemote();
  });
  afterEach(async () => {
    await remote.cleanup();
  });
  const branches = async (): Promise<string[]> =>
    (await runGit(['--git-dir', remote.dir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads']))
      .split('\n')
      .filter(Boolean);

  test('a new branch with nothing to write is a no-op: no commit, no branch (empty remote and seeded remote)', async () => {
    for (const mode of ['add-only', 'sync'] as const) {
      expect(await writeGitFiles({ url: remote.url }, [], { mode })).toEqual({
        commitSha: null,
        written: [],
        removed: [],
        unchanged: [],
        pushAttempts: 0,
      });
      expect(await branches()).toEqual([]);
    }
    await concurrentPushInit(remote.url);
    const before = await tip(remote.dir);
    const result = await writeGitFiles({ url: remote.url, branch: 'feature', path: 'apps' }, [], {
      mode: 'sync',
    });
    expect(result).toEqual({ commitSha: null, written: [], removed: [], unchanged: [], pushAttempts: 0 });
    expect(await branches()).toEqual(['main']);
    expect(await tip(remote.dir)).toBe(before);
  });

  test("missingBranch 'error' throws GitBranchMissingError and pushes nothing", async () => {
    await concurrentPushInit(remote.url);
    const write = writeGitFiles(
      { url: remote.url, branch: 'feature', path: 'apps' },
      [{ path: 'a.yaml', content: 'a\n' }],
      { mode: 'sync', missingBranch: 'error' },
    );
    await expect(write).rejects.toThrow(`branch "feature" does not exist on ${JSON.stringify(remote.url)}`);
    await expect(write).rejects.toBeInstanceOf(GitBranchMissingError);
    expect(await branches()).toEqual(['main']);
  });

  test("missingBranch 'from-default' starts the branch from the default branch's tip, not an orphan", async () => {
    await concurrentPushInit(remote.url);
    // the default branch is the one the remote's HEAD names: make it `trunk`, not main
    const seedTip = await tip(remote.dir);
    await runGit(['--git-dir', remote.dir, 'branch', 'trunk', seedTip]);
    await runGit(['--git-dir', remote.dir, 'symbolic-ref', 'HEAD', 'refs/heads/trunk']);
    await concurrentPush(remote.url, 'only-on-main.yaml', 'main\n');
    const result = await writeGitFiles(
      { url: remote.url, branch: 'feature', path: 'apps' },
      [{ path: 'a.yaml', content: 'a\n' }],
      { mode: 'sync', missingBranch: 'from-default' },
    );
    expect(result.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(await tip(remote.dir, 'feature')).toBe(result.commitSha);
    expect((await runGit(['--git-dir', remote.dir, 'rev-parse', 'feature~1'])).trim()).toBe(seedTip);
    expect(await remoteFiles(remote.dir, 'feature')).toEqual({
      'README.md': 'keep\n',
      'distant/x.yaml': 'keep\n',
      'apps/a.yaml': 'a\n',
    });
    expect(await commitCount(remote.dir, 'feature')).toBe(2);
  });

  test("missingBranch 'from-default' in an empty repository makes its first commit", async () => {
    const result = await writeGitFiles(
      { url: remote.url, branch: 'feature' },
      [{ path: 'a.yaml', content: 'a\n' }],
      {
        mode: 'sync',
        missingBranch: 'from-default',
      },
    );
    expect(await tip(remote.dir, 'feature')).toBe(result.commitSha);
    expect(await commitCount(remote.dir, 'feature')).toBe(1);
  });

  test('an unknown missingBranch is refused before any Git work', async () => {
    await expect(
      writeGitFiles({ url: remote.url }, [], {
        mode: 'sync',
        missingBranch: 'create' as unknown as 'orphan',
      }),
    ).rejects.toThrow(`'missingBranch' must be 'orphan', 'from-default' or 'error', got "create"`);
  });
});

describe('writeGitFiles with bytes', () => {
  test('bytes that are not UTF-8 are committed as they are; the same bytes again make no commit', async () => {
    const remote = await createBareRemote();
    try {
      const latin1 = Buffer.from('caf\xe9: \xff\xfe\r\n', 'latin1');
      const first = await writeGitFiles({ url: remote.url }, [{ path: 'x.bin', content: latin1 }], {
        mode: 'add-only',
      });
      expect(first.written).toEqual(['x.bin']);
      const blob = execFileSync('git', ['--git-dir', remote.dir, 'cat-file', 'blob', 'main:x.bin']);
      expect(blob.equals(latin1)).toBe(true);
      const again = await writeGitFiles({ url: remote.url }, [{ path: 'x.bin', content: latin1 }], {
        mode: 'add-only',
      });
      expect(again.commitSha).toBeNull();
      expect(again.unchanged).toEqual(['x.bin']);
    } finally {
      await remote.cleanup();
    }
  });
});

/** Seeds a remote with files outside any managed path. */
async function concurrentPushInit(url: string): Promise<void> {
  const dir = makeTempDir('seed-writer');
  try {
    await runGit(['init', '--quiet', '--initial-branch=main', dir]);
    fs.writeFileSync(path.join(dir, 'README.md'), 'keep\n');
    fs.mkdirSync(path.join(dir, 'distant'));
    fs.writeFileSync(path.join(dir, 'distant', 'x.yaml'), 'keep\n');
    await runGit(['add', '--all'], { cwd: dir });
    await runGit(['commit', '--quiet', '-m', 'seed'], { cwd: dir });
    await runGit(['push', '--quiet', url, 'HEAD:main'], { cwd: dir });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('writeGitFiles over smart HTTP with credentials', () => {
  test('token auth pushes; a wrong token fails with the token redacted', async () => {
    const token = 'tok-SECRET-1234567890';
    const server = await startHttpGitServer({ token });
    try {
      const { url, dir } = await server.createRepo('gitops');
      const logs: string[] = [];
      const r = await writeGitFiles(
        { url, auth: { type: 'token', token } },
        [{ path: 'a.yaml', content: 'a\n' }],
        {
          mode: 'add-only',
          log: (l) => logs.push(l),
        },
      );
      expect(await tip(dir)).toBe(r.commitSha);
      expect(server.requests.some((q) => q.user === 'x-access-token' && q.status === 200)).toBe(true);
      expect(logs.join('\n')).not.toContain(token);

      const wrong = 'wrong-SECRET-0987654321';
      const err = await writeGitFiles(
        { url, auth: { type: 'token', token: wrong } },
        [{ path: 'b.yaml', content: 'b\n' }],
        {
          mode: 'add-only',
        },
      ).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Authentication failed|401|could not read/i);
      expect((err as Error).message).not.toContain(wrong);
      expect((err as Error).message).not.toContain(Buffer.from(`x-access-token:${wrong}`).toString('base64'));
    } finally {
      await server.stop();
    }
  });

  test('basic auth pushes', async () => {
    const server = await startHttpGitServer({ username: 'alice', password: 'pa55-SECRET' });
    try {
      const { url, dir } = await server.createRepo('basic');
      const r = await writeGitFiles(
        { url, auth: { type: 'basic', username: 'alice', password: 'pa55-SECRET' } },
        [{ path: 'a.yaml', content: 'a\n' }],
        { mode: 'add-only' },
      );
      expect(await tip(dir)).toBe(r.commitSha);
      expect(server.requests.some((q) => q.user === 'alice')).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

// Skipped on a developer machine without sshd; CI installs it, so there a missing sshd fails.
(sshdAvailable() || process.env.CI ? describe : describe.skip)('writeGitFiles over SSH', () => {
  test('a passphrase-protected key and a pinned host key push; an unknown host key is refused', async () => {
    const server = await startSshGitServer();
    try {
      const { url, dir } = await server.createRepo('ssh');
      // re-encrypt the authorized key with a passphrase in a copy
      const keyDir = makeTempDir('ssh-key');
      const keyFile = path.join(keyDir, 'id');
      fs.copyFileSync(server.privateKey, keyFile);
      fs.chmodSync(keyFile, 0o600);
      await runGit(['--version']);
      await new Promise<void>((resolve, reject) =>
        require('node:child_process').execFile(
          'ssh-keygen',
          ['-q', '-p', '-N', 'correct horse', '-f', keyFile],
          (e: Error | null) => (e ? reject(e) : resolve()),
        ),
      );
      const privateKey = fs.readFileSync(keyFile, 'utf8');
      const knownHostsFile = server.sshCommand().match(/UserKnownHostsFile=(\S+)/)![1];
      const knownHosts = fs.readFileSync(knownHostsFile, 'utf8');
      const r = await writeGitFiles(
        { url, auth: { type: 'ssh', privateKey, passphrase: 'correct horse', knownHosts } },
        [{ path: 'a.yaml', content: 'a\n' }],
        { mode: 'add-only' },
      );
      expect(await tip(dir)).toBe(r.commitSha);

      const wrongHost = knownHosts.replace(
        /ssh-ed25519 \S+/,
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
      );
      await expect(
        writeGitFiles(
          { url, auth: { type: 'ssh', privateKey, passphrase: 'correct horse', knownHosts: wrongHost } },
          [{ path: 'b.yaml', content: 'b\n' }],
          { mode: 'add-only' },
        ),
      ).rejects.toThrow(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
      fs.rmSync(keyDir, { recursive: true, force: true });
    } finally {
      await server.stop();
    }
  });
});

describe('resolveGitTarget', () => {
  test.each([
    [
      { url: 'https://user:pw@example.com/r.git' },
      "'git.url' must not contain credentials (use 'git.auth'), got \"https://***@example.com/r.git\"",
    ],
    [{ url: 'ftp://example.com/r.git' }, '\'git.url\' must use https, http, ssh, git or file, got "ftp:"'],
    [{ url: 'not a url' }, "'git.url' must be an https://, http://, ssh://, file:// or user@host:path URL"],
    [
      { url: 'https://example.com/r.git', branch: 'a..b' },
      '\'git.branch\' must be a valid branch name, got "a..b"',
    ],
    [{ url: 'https://example.com/r.git', path: '/abs' }, '\'git.path\' must be a relative path, got "/abs"'],
    [
      { url: 'https://example.com/r.git', auth: { type: 'ssh', privateKey: 'x', knownHosts: 'y' } },
      "'git.auth.privateKey' must be a PEM/OpenSSH private key",
    ],
    [
      { url: 'git@example.com:r.git', auth: { type: 'token', token: 'abc' } },
      "'git.auth' is token auth but 'git.url' is not an http(s) URL",
    ],
    [
      { url: 'https://example.com/r.git', auth: { type: 'token', token: '' } },
      "'git.auth.token' must be a non-empty string, got a string",
    ],
    [
      { url: 'https://example.com/r.git', author: { name: 'x', email: 'nope' } },
      '\'git.author.email\' must be an e-mail address, got "nope"',
    ],
    [
      { url: 'https://example.com/r.git', maxPushAttempts: 0 },
      "'git.maxPushAttempts' must be an integer from 1 to 50, got 0",
    ],
    [
      { url: 'https://example.com/r.git', commitMessage: '{{ .Nope }}' },
      '\'git.commitMessage\': unknown placeholder ".Nope"',
    ],
  ])('%j is rejected', (target, message) => {
    expect(() => resolveGitTarget(target as never)).toThrow(message);
  });
  test('defaults', () => {
    expect(resolveGitTarget({ url: 'git@github.com:org/repo.git', path: 'apps/' })).toEqual({
      url: 'git@github.com:org/repo.git',
      branch: 'main',
      path: 'apps',
      author: { name: 'jobforge', email: 'jobforge@users.noreply.local' },
      maxPushAttempts: 5,
    });
  });
});
