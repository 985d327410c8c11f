import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { gitEnvironment, redactorFor } from './git-auth';
import type { GitTarget } from './pipeline/types';

/**
 * Reads which files a Git branch holds under a path, without a working tree: a shallow,
 * blob-less fetch of the one branch into a temporary bare repository, then `git ls-tree`.
 * Credentials go through the environment of the git process (never its arguments or URL) and
 * never appear in errors.
 */

/** Options of {@link listGitFiles}. */
export interface ListGitFilesOptions {
  /** Time limit of the fetch, in milliseconds. @default 120000 */
  readonly timeoutMs?: number;
}

/**
 * The files on `target.branch` under `target.path`, relative to the repository root,
 * `/`-separated and sorted. Empty when the branch does not exist yet (an empty remote).
 */
export async function listGitFiles(target: GitTarget, options: ListGitFilesOptions = {}): Promise<string[]> {
  const branch = target.branch ?? 'main';
  const path = (target.path ?? '').replace(/\/+$/, '');
  const tmp = await fs.promises.mkdtemp(nodePath.join(os.tmpdir(), 'jobforge-tree-'));
  const redact = redactorFor(target.auth);
  try {
    const env = gitEnvironment(target.auth, tmp);
    const git = (args: string[]): Promise<string> => run(args, env, options.timeoutMs ?? 120_000, redact);
    const repo = nodePath.join(tmp, 'repo.git');
    await git(['init', '-q', '--bare', repo]);
    const ref = `refs/remotes/origin/${branch}`;
    try {
      await git([
        '-C',
        repo,
        'fetch',
        '-q',
        '--no-tags',
        '--depth',
        '1',
        '--filter=blob:none',
        target.url,
        `+refs/heads/${branch}:${ref}`,
      ]);
    } catch (err) {
      if (/couldn't find remote ref|could not find remote ref/i.test((err as Error).message)) return [];
      throw err;
    }
    const out = await git([
      '-C',
      repo,
      'ls-tree',
      '-r',
      '--name-only',
      '-z',
      ref,
      '--',
      path === '' ? '.' : path,
    ]);
    return out
      .split('\0')
      .filter((f) => f !== '')
      .sort();
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeout: number,
  redact: (text: string) => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env, timeout, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const sub = args[0] === '-C' ? args[2] : args[0];
      reject(new Error(redact(`git ${sub} failed: ${String(stderr).trim() || err.message}`)));
    });
  });
}
