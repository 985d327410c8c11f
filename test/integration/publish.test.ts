import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { publish } from '../../bin/commands/publish';
import { createBareRemote, runGit, startHttpGitServer, type BareRemote } from '../support/git-remotes';
import { makeTempDir } from '../support/processes';

jest.setTimeout(90000);

const ROOT = path.resolve(__dirname, '../..');

function writeTree(dir: string, files: Record<string, string>): void {
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

  test('the CLI: token from an environment variable over HTTP, JSON summary, secret never printed', async () => {
    const token = 'cli-SECRET-token-42';
    const server = await startHttpGitServer({ token });
    try {
      const { url, dir } = await server.createRepo('cli');
      writeTree(dist, { 'a.yaml': 'a\n' });
      const ok = await cli(
        ['--dir', dist, '--repo', url, '--path', 'apps', '--token-env', 'GITOPS_TOKEN', '--verbose'],
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
