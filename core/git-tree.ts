import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import type { GitAuth, GitTarget } from './image-pipeline/types';

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
  const secrets = target.auth ? authSecrets(target.auth) : [];
  try {
    const env = await gitEnv(target.auth, tmp);
    const git = (args: string[]): Promise<string> => run(args, env, options.timeoutMs ?? 120_000, secrets);
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

/** Environment variables that make git authenticate with `auth` (files for SSH go under `dir`). */
export async function gitEnv(auth: GitAuth | undefined, dir: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    LC_ALL: 'C',
  };
  if (!auth) return env;
  if (auth.type === 'token' || auth.type === 'basic') {
    const user = auth.type === 'token' ? (auth.username ?? 'x-access-token') : auth.username;
    const secret = auth.type === 'token' ? auth.token : auth.password;
    const basic = Buffer.from(`${user}:${secret}`).toString('base64');
    return {
      ...env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    };
  }
  const key = nodePath.join(dir, 'id_key');
  const knownHosts = nodePath.join(dir, 'known_hosts');
  await fs.promises.writeFile(
    key,
    auth.privateKey.endsWith('\n') ? auth.privateKey : `${auth.privateKey}\n`,
    {
      mode: 0o600,
    },
  );
  await fs.promises.writeFile(knownHosts, auth.knownHosts, { mode: 0o600 });
  const ssh = [
    'ssh',
    `-i ${shellQuote(key)}`,
    '-o IdentitiesOnly=yes',
    `-o UserKnownHostsFile=${shellQuote(knownHosts)}`,
    '-o StrictHostKeyChecking=yes',
    '-F /dev/null',
  ].join(' ');
  const out: NodeJS.ProcessEnv = { ...env, GIT_SSH_COMMAND: ssh };
  if (auth.passphrase !== undefined) {
    const askpass = nodePath.join(dir, 'askpass.sh');
    await fs.promises.writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$JOBFORGE_SSH_PASSPHRASE"\n', {
      mode: 0o700,
    });
    Object.assign(out, {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: out.DISPLAY ?? ':0',
      JOBFORGE_SSH_PASSPHRASE: auth.passphrase,
    });
  }
  return out;
}

function authSecrets(auth: GitAuth): string[] {
  switch (auth.type) {
    case 'token':
      return [
        auth.token,
        Buffer.from(`${auth.username ?? 'x-access-token'}:${auth.token}`).toString('base64'),
      ];
    case 'basic':
      return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
    case 'ssh':
      return [auth.privateKey, ...(auth.passphrase ? [auth.passphrase] : [])];
  }
}

function run(args: string[], env: NodeJS.ProcessEnv, timeout: number, secrets: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env, timeout, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const sub = args[0] === '-C' ? args[2] : args[0];
      let message = `git ${sub} failed: ${String(stderr).trim() || err.message}`;
      for (const s of secrets) if (s.length >= 4) message = message.split(s).join('***');
      message = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
      reject(new Error(message));
    });
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
