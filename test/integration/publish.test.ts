import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { publish } from '../../bin/commands/publish';
import { createBareRemote, runGit, startHttpGitServer, type BareRemote } from '../support/git-remotes';
import { makeTempDir } from '../support/processes';

jest.setTimeout(90000);

const ROOT = path.resolve(__dirname, '../..');

function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  }
}
async function remoteTree(gitDir: string): Promise<string[]> {
  return (await runGit(['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', 'main']))
    .split('\n')
    .filter(Boolean);
}
const commits = async (gitDir: string): Promise<number> =>
  Number((await runGit(['--git-dir', gitDir, 'rev-list', '--count', 'main'])).trim());

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bin/jobforge.ts'), 'publish', ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Pushes a first commit (README.md) to the remote's main. */
async function seedMain(url: string): Promise<void> {
  const other = makeTempDir('seed');
  try {
    await runGit(['init', '--quiet', '--initial-branch=main', other]);
    fs.writeFileSync(path.join(other, 'README.md'), 'hi\n');
    await runGit(['add', '--all'], { cwd: other });
    await runGit(['commit', '--quiet', '-m', 'readme'], { cwd: other });
    await runGit(['push', '--quiet', url, 'HEAD:main'], { cwd: other });
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
}

describe('jobforge publish (sync mode against a bare remote)', () => {
  let remote: BareRemote;
  let dist: string;
  beforeEach(async () => {
    remote = await createBareRemote();
    dist = path.join(makeTempDir('publish'), 'dist');
  });
  afterEach(async () => {
    await remote.cleanup();
    fs.rmSync(path.dirname(dist), { recursive: true, force: true });
  });

  test('one commit; unchanged makes none; a file removed from dist is removed from the path only', async () => {
    // something else in the repository that publish must never touch
    const other = makeTempDir('other');
    await runGit(['init', '--quiet', '--initial-branch=main', other]);
    fs.writeFileSync(path.join(other, 'README.md'), 'hi\n');
    await runGit(['add', '--all'], { cwd: other });
    await runGit(['commit', '--quiet', '-m', 'readme'], { cwd: other });
    await runGit(['push', '--quiet', remote.url, 'HEAD:main'], { cwd: other });
    fs.rmSync(other, { recursive: true, force: true });

    writeTree(dist, { 'app.k8s.yaml': 'kind: A\n', 'jobs/job.k8s.yaml': 'kind: Job\n' });
    const first = await publish({ dir: dist, repo: remote.url, path: 'clusters/prod' });
    expect(first.written).toEqual(['clusters/prod/app.k8s.yaml', 'clusters/prod/jobs/job.k8s.yaml']);
    expect(await commits(remote.dir)).toBe(2);

    const again = await publish({ dir: dist, repo: remote.url, path: 'clusters/prod' });
    expect(again.commitSha).toBeNull();
    expect(await commits(remote.dir)).toBe(2);

    writeTree(dist, { 'app.k8s.yaml': 'kind: A\nv: 2\n' });
    const third = await publish({
      dir: dist,
      repo: remote.url,
      path: 'clusters/prod',
      message: 'synth: {{ .Count }} changes',
    });
    expect(third.written).toEqual(['clusters/prod/app.k8s.yaml']);
    expect(third.removed).toEqual(['clusters/prod/jobs/job.k8s.yaml']);
    expect(await remoteTree(remote.dir)).toEqual(['README.md', 'clusters/prod/app.k8s.yaml']);
    expect((await runGit(['--git-dir', remote.dir, 'log', '-1', '--format=%s', 'main'])).trim()).toBe(
      'synth: 2 changes',
    );
  });

  test('refuses an empty dist, a missing dist, an empty path, and symlinks in dist', async () => {
    fs.mkdirSync(dist, { recursive: true });
    await expect(publish({ dir: dist, repo: remote.url, path: 'apps' })).rejects.toThrow(
      `'--dir' has no files, got ${JSON.stringify(dist)}; publishing it would delete everything under "apps". Pass --allow-empty to do that.`,
    );
    await expect(publish({ dir: `${dist}-nope`, repo: remote.url, path: 'apps' })).rejects.toThrow(
      "'--dir' does not exist",
    );
    await expect(publish({ dir: dist, repo: remote.url, path: '' })).rejects.toThrow(
      '\'--path\' must name the directory to manage (publish replaces everything under it); got ""',
    );
    fs.symlinkSync('/etc/hostname', path.join(dist, 'x.yaml'));
    await expect(publish({ dir: dist, repo: remote.url, path: 'apps' })).rejects.toThrow(
      '\'--dir\' must not contain symbolic links, got "x.yaml"',
    );
    await expect(publish({ dir: dist, repo: remote.url, path: '../up' })).rejects.toThrow();
    expect(await runGit(['--git-dir', remote.dir, 'branch', '--list'])).toBe('');
  });

  test('refuses a directory holding kind: Secret unless allowSecrets; nothing is pushed', async () => {
    await seedMain(remote.url);
    const before = await commits(remote.dir);
    writeTree(dist, {
      'app.k8s.yaml':
        'kind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-SECRET\n',
      'list.yaml':
        'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: token\n',
      'notes.txt': 'kind: Secret\n',
    });
    const refused = publish({ dir: dist, repo: remote.url, path: 'apps' });
    await expect(refused).rejects.toThrow(
      `'--dir' holds 2 manifest(s) of kind: Secret, got "app.k8s.yaml" document 2 (name "db"), "list.yaml" document 1 (name "token"); ` +
        'publishing would commit them to Git. Keep Secrets out of the directory (e.g. a SealedSecret or an external secret store), or pass --allow-secrets.',
    );
    await expect(refused).rejects.not.toThrow('hunter2');
    expect(await commits(remote.dir)).toBe(before);

    const allowed = await publish({ dir: dist, repo: remote.url, path: 'apps', allowSecrets: true });
    expect(allowed.written).toEqual(['apps/app.k8s.yaml', 'apps/list.yaml', 'apps/notes.txt']);
    expect(await commits(remote.dir)).toBe(before + 1);
  });

  test('a branch missing on the remote is an error unless createBranch, which starts it from the default branch', async () => {
    await seedMain(remote.url);
    const mainTip = (await runGit(['--git-dir', remote.dir, 'rev-parse', 'main'])).trim();
    writeTree(dist, { 'a.yaml': 'a\n' });
    await expect(publish({ dir: dist, repo: remote.url, path: 'apps', branch: 'preview' })).rejects.toThrow(
      `'--branch' "preview" does not exist on ${JSON.stringify(remote.url)}; pass --create-branch to create it from the remote's default branch`,
    );
    expect(await runGit(['--git-dir', remote.dir, 'for-each-ref', '--format=%(refname:short)'])).toBe(
      'main\n',
    );

    const created = await publish({
      dir: dist,
      repo: remote.url,
      path: 'apps',
      branch: 'preview',
      createBranch: true,
    });
    // one commit on top of main's tip (never an orphan): main's files are there too
    expect((await runGit(['--git-dir', remote.dir, 'rev-parse', 'preview~1'])).trim()).toBe(mainTip);
    expect((await runGit(['--git-dir', remote.dir, 'rev-parse', 'preview'])).trim()).toBe(created.commitSha);
    expect(
      (await runGit(['--git-dir', remote.dir, 'ls-tree', '-r', '--name-only', 'preview']))
        .split('\n')
        .filter(Boolean),
    ).toEqual(['README.md', 'apps/a.yaml']);
    expect((await runGit(['--git-dir', remote.dir, 'rev-parse', 'main'])).trim()).toBe(mainTip);

    // the CLI flag, into an empty repository (its first commit); without it, the error and exit 1
    const empty = await createBareRemote();
    try {
      const refused = await cli(['--dir', dist, '--repo', empty.url, '--path', 'apps']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`'--branch' "main" does not exist on ${JSON.stringify(empty.url)}`);
      const ok = await cli(['--dir', dist, '--repo', empty.url, '--path', 'apps', '--create-branch']);
      expect(ok.code).toBe(0);
      expect(Number((await runGit(['--git-dir', empty.dir, 'rev-list', '--count', 'main'])).trim())).toBe(1);
    } finally {
      await empty.cleanup();
    }
  });

  test('files that are not UTF-8 are committed byte for byte, and the same bytes again make no commit', async () => {
    await seedMain(remote.url);
    const latin1 = Buffer.from('# caf\xe9\nkind: ConfigMap\n', 'latin1');
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3]);
    const crlf = Buffer.from('kind: A\r\nv: "\u00e9"\r\n', 'utf8');
    writeTree(dist, { 'latin1.yaml': latin1, 'blob.bin': binary, 'crlf.yaml': crlf });
    const first = await publish({ dir: dist, repo: remote.url, path: 'apps' });
    expect(first.written).toEqual(['apps/blob.bin', 'apps/crlf.yaml', 'apps/latin1.yaml']);
    const blob = (f: string): Buffer =>
      execFileSync('git', ['--git-dir', remote.dir, 'cat-file', 'blob', `main:apps/${f}`]);
    expect(blob('latin1.yaml').equals(latin1)).toBe(true);
    expect(blob('blob.bin').equals(binary)).toBe(true);
    expect(blob('crlf.yaml').equals(crlf)).toBe(true);
    const again = await publish({ dir: dist, repo: remote.url, path: 'apps' });
    expect(again.commitSha).toBeNull();
  });

  test('the CLI: token from an environment variable over HTTP, JSON summary, secret never printed', async () => {
    const token = 'cli-SECRET-token-42';
    const server = await startHttpGitServer({ token });
    try {
      const { url, dir } = await server.createRepo('cli');
      writeTree(dist, { 'a.yaml': 'a\n' });
      const ok = await cli(
        [
          '--dir',
          dist,
          '--repo',
          url,
          '--path',
          'apps',
          '--token-env',
          'GITOPS_TOKEN',
          '--create-branch',
          '--verbose',
        ],
        {
          GITOPS_TOKEN: token,
        },
      );
      expect(ok.stderr).not.toContain(token);
      expect(ok.code).toBe(0);
      const summary = JSON.parse(ok.stdout) as { commit: string; written: string[] };
      expect(summary.written).toEqual(['apps/a.yaml']);
      expect((await runGit(['--git-dir', dir, 'rev-parse', 'main'])).trim()).toBe(summary.commit);

      const missing = await cli([
        '--dir',
        dist,
        '--repo',
        url,
        '--path',
        'apps',
        '--token-env',
        'NOPE_TOKEN',
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        `jobforge: '--token-env' names the environment variable "NOPE_TOKEN", which is not set`,
      );

      const wrong = await cli(
        ['--dir', dist, '--repo', url, '--path', 'apps', '--token-env', 'GITOPS_TOKEN'],
        {
          GITOPS_TOKEN: 'wrong-SECRET-value',
        },
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).not.toContain('wrong-SECRET-value');
      expect(wrong.stderr).toMatch(
        /jobforge: git fetch of ".*" branch "main" failed: .*\(the remote refused the credentials: check git.auth\)/,
      );
    } finally {
      await server.stop();
    }
  });
});
