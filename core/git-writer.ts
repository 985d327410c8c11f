import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitEnvironment, redactorFor, redactUrl } from './git-auth';
import { checkRelativePath, joinRepoPath } from './git-path';
import { compileStringTemplate } from './pipeline/render';
import type { GitAuth, GitAuthor, GitTarget, GitWriteMode, GitWriteResult } from './pipeline/types';

/**
 * Commits files to a branch of a Git remote with the git CLI, safely:
 *
 * - one commit per call, none when the branch already holds the same content;
 * - files only under the target's `path` (relative, no `..`, no `.git`, no symlink on the way
 *   that leads outside it);
 * - `add-only` mode leaves other files alone; `sync` mode makes the managed path exactly the
 *   given files (files no longer given are removed);
 * - the push never forces. When it is rejected because the branch moved, the branch is fetched
 *   again, the same change is re-applied on its new tip (a rebase of our single commit,
 *   recomputed so nothing is lost or duplicated) and pushed again, at most `maxPushAttempts`
 *   times; then it fails with a clear error, and the remote is as the other writers left it;
 * - credentials never reach argv, the remote URL or any message: HTTP auth goes in an
 *   `http.extraHeader` passed through GIT_CONFIG_* environment variables; SSH keys are written
 *   to a private temp file, the passphrase is answered by an SSH_ASKPASS helper reading the
 *   environment, host keys are checked against the given known_hosts
 *   (StrictHostKeyChecking=yes); every error and log line is redacted.
 */

const show = (value: unknown): string => JSON.stringify(value);

/** The author used when the target names none. */
export const DEFAULT_GIT_AUTHOR: GitAuthor = { name: 'jobforge', email: 'jobforge@users.noreply.local' };
/** Push attempts when the target does not say. */
export const DEFAULT_MAX_PUSH_ATTEMPTS = 5;
/** A git command (clone, fetch, push) taking longer than this is killed and the write fails. */
export const GIT_COMMAND_TIMEOUT_MS = 5 * 60 * 1000;

/** The commit-message placeholders. */
export const COMMIT_MESSAGE_PLACEHOLDERS = ['Count', 'Added', 'Removed', 'Files', 'Path'] as const;

/**
 * A file to write. `content` is a string (written as UTF-8) or bytes, written and committed as
 * they are (a file that is not UTF-8 text is never re-encoded).
 */
export interface GitWriterFile {
  /** Relative to the target's `path`; `/`-separated; no `..`, not absolute. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

/**
 * What the writer does when the branch does not exist on the remote:
 * - `orphan`: the branch starts from an empty tree (its first commit has no parent);
 * - `from-default`: the branch starts from the tip of the remote's default branch (the branch its
 *   HEAD names); only an empty repository (no branch at all) gets a first, parentless commit;
 * - `error`: fail with a {@link GitBranchMissingError}; nothing is pushed.
 */
export type MissingBranchPolicy = 'orphan' | 'from-default' | 'error';

/** Thrown when the target branch does not exist and the writer was told not to create it. */
export class GitBranchMissingError extends Error {
  constructor(
    readonly url: string,
    readonly branch: string,
  ) {
    super(`branch ${show(branch)} does not exist on ${show(url)}`);
    this.name = 'GitBranchMissingError';
  }
}

/** A GitTarget with defaults applied. */
export interface ResolvedGitTarget extends GitTarget {
  readonly branch: string;
  readonly path: string;
  readonly author: GitAuthor;
  readonly maxPushAttempts: number;
}

// scp-like `user@host:path`
const SCP_URL = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;

/** Throws unless `url` is a Git remote URL without credentials. */
export function checkGitUrl(url: string, field = 'git.url'): void {
  if (typeof url !== 'string' || url === '')
    throw new Error(`'${field}' must be a non-empty URL, got ${show(url)}`);
  // Tokens in a query string or fragment (`?access_token=…`) are credentials too (Flux and Argo CD
  // take credentials from a Secret only); a Git remote needs neither.
  if (/[?#]/.test(url)) {
    throw new Error(
      `'${field}' must not contain a query string or fragment (credentials such as ?access_token= belong in 'git.auth'), got ${show(redactUrl(url))}`,
    );
  }
  if (SCP_URL.test(url)) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `'${field}' must be an https://, http://, ssh://, file:// or user@host:path URL, got ${show(redactUrl(url))}`,
    );
  }
  if (!['https:', 'http:', 'ssh:', 'file:', 'git:'].includes(parsed.protocol)) {
    throw new Error(`'${field}' must use https, http, ssh, git or file, got ${show(parsed.protocol)}`);
  }
  if (parsed.password !== '' || (parsed.username !== '' && parsed.protocol !== 'ssh:')) {
    throw new Error(`'${field}' must not contain credentials (use 'git.auth'), got ${show(redactUrl(url))}`);
  }
  if (parsed.protocol !== 'file:' && parsed.hostname === '') {
    throw new Error(`'${field}' has no host, got ${show(url)}`);
  }
}

/** Throws unless `branch` is a valid branch name (git check-ref-format rules). */
export function checkBranchName(branch: string, field = 'git.branch'): void {
  const bad =
    typeof branch !== 'string' ||
    branch === '' ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    branch === '@' ||
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch) ||
    branch.split('/').some((c) => c.startsWith('.'));
  if (bad) throw new Error(`'${field}' must be a valid branch name, got ${show(branch)}`);
}

function checkAuth(auth: GitAuth | undefined, url: string, field: string): void {
  if (auth === undefined) return;
  if (auth === null || typeof auth !== 'object')
    throw new Error(`'${field}' must be an object, got ${show(auth)}`);
  const isSsh = url.startsWith('ssh://') || SCP_URL.test(url);
  const isHttp = /^https?:\/\//.test(url);
  const nonEmpty = (key: string, value: unknown): void => {
    if (typeof value !== 'string' || value === '') {
      throw new Error(
        `'${field}.${key}' must be a non-empty string, got ${value === undefined ? 'undefined' : 'a ' + typeof value}`,
      );
    }
  };
  switch (auth.type) {
    case 'token':
      nonEmpty('token', auth.token);
      if (auth.username !== undefined) nonEmpty('username', auth.username);
      break;
    case 'basic':
      nonEmpty('username', auth.username);
      nonEmpty('password', auth.password);
      if (auth.username.includes(':'))
        throw new Error(`'${field}.username' must not contain ':', got ${show(auth.username)}`);
      break;
    case 'ssh':
      nonEmpty('privateKey', auth.privateKey);
      nonEmpty('knownHosts', auth.knownHosts);
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(auth.privateKey)) {
        throw new Error(
          `'${field}.privateKey' must be a PEM/OpenSSH private key (-----BEGIN … PRIVATE KEY-----)`,
        );
      }
      if (auth.passphrase !== undefined) nonEmpty('passphrase', auth.passphrase);
      break;
    default:
      throw new Error(
        `'${field}.type' must be 'token', 'basic' or 'ssh', got ${show((auth as { type: unknown }).type)}`,
      );
  }
  if (auth.type === 'ssh' && !isSsh) {
    throw new Error(
      `'${field}' is SSH auth but 'git.url' is not an ssh:// or user@host:path URL, got ${show(redactUrl(url))}`,
    );
  }
  if (auth.type !== 'ssh' && !isHttp) {
    throw new Error(
      `'${field}' is ${auth.type} auth but 'git.url' is not an http(s) URL, got ${show(redactUrl(url))}`,
    );
  }
}

/**
 * Validates a Git target and applies its defaults. Never does I/O; errors name the field and
 * the value (secrets are never echoed).
 */
export function resolveGitTarget(target: GitTarget, field = 'git'): ResolvedGitTarget {
  if (target === null || typeof target !== 'object')
    throw new Error(`'${field}' must be an object, got ${show(target)}`);
  checkGitUrl(target.url, `${field}.url`);
  const branch = target.branch ?? 'main';
  checkBranchName(branch, `${field}.branch`);
  const managed = (target.path ?? '').replace(/\/+$/, '');
  checkRelativePath(managed, `'${field}.path'`, { allowEmpty: true });
  checkAuth(target.auth, target.url, `${field}.auth`);
  const author = target.author ?? DEFAULT_GIT_AUTHOR;
  if (typeof author.name !== 'string' || author.name.trim() === '' || /[<>\n]/.test(author.name)) {
    throw new Error(
      `'${field}.author.name' must be a non-empty name without <, > or newlines, got ${show(author.name)}`,
    );
  }
  if (typeof author.email !== 'string' || !/^[^\s<>@]+@[^\s<>@]+$/.test(author.email)) {
    throw new Error(`'${field}.author.email' must be an e-mail address, got ${show(author.email)}`);
  }
  if (target.commitMessage !== undefined) {
    if (typeof target.commitMessage !== 'string' || target.commitMessage.trim() === '') {
      throw new Error(
        `'${field}.commitMessage' must be a non-empty string, got ${show(target.commitMessage)}`,
      );
    }
    compileStringTemplate(
      target.commitMessage,
      new Set(COMMIT_MESSAGE_PLACEHOLDERS),
      `'${field}.commitMessage'`,
    );
  }
  const maxPushAttempts = target.maxPushAttempts ?? DEFAULT_MAX_PUSH_ATTEMPTS;
  if (!Number.isInteger(maxPushAttempts) || maxPushAttempts < 1 || maxPushAttempts > 50) {
    throw new Error(
      `'${field}.maxPushAttempts' must be an integer from 1 to 50, got ${show(maxPushAttempts)}`,
    );
  }
  return { ...target, branch, path: managed, author, maxPushAttempts };
}

/** A hint for git's most confusing failures. */
function hint(stderr: string): string {
  if (/could not read (Username|Password)|Authentication failed|\b401\b|\b403\b/i.test(stderr)) {
    return ' (the remote refused the credentials: check git.auth)';
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
    return ' (the SSH host key is not in git.auth.knownHosts)';
  }
  if (/Permission denied \(publickey/.test(stderr)) return ' (the SSH server refused the key)';
  return '';
}

/** Runs git in a prepared environment; errors carry git's (redacted) stderr. */
class Git {
  constructor(
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly redact: (text: string) => string,
    private readonly log: (line: string) => void,
  ) {}

  run(
    args: readonly string[],
    options: { input?: string; allowFail?: boolean } = {},
  ): Promise<{ stdout: string; stderr: string; code: number }> {
    this.log(this.redact(`git ${args.join(' ')}`));
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        {
          cwd: this.cwd,
          env: this.env,
          maxBuffer: 256 * 1024 * 1024,
          encoding: 'utf8',
          timeout: GIT_COMMAND_TIMEOUT_MS,
          killSignal: 'SIGKILL',
        },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          if (err && (err as { killed?: boolean }).killed) {
            reject(
              new Error(
                this.redact(
                  `git ${args[0]} timed out after ${GIT_COMMAND_TIMEOUT_MS / 1000} s and was killed`,
                ),
              ),
            );
          } else if (err && !options.allowFail) {
            reject(
              new Error(
                this.redact(`git ${args[0]} failed: ${(stderr || err.message).trim()}${hint(stderr)}`),
              ),
            );
          } else {
            resolve({ stdout, stderr, code });
          }
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }
}

/** What applying the files to a checkout changed. */
interface Applied {
  written: string[];
  removed: string[];
  unchanged: string[];
}

/** Throws if any existing component of `rel` (under `root`) is a symlink or leaves `managedRoot`. */
function checkNoEscape(root: string, managedRoot: string, rel: string): void {
  const parts = rel.split('/');
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = path.join(current, parts[i]);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch {
      return; // does not exist yet: nothing below it can be a link
    }
    if (stat.isSymbolicLink()) {
      const target = fs.realpathSync.native(current);
      const inside = target === managedRoot || target.startsWith(managedRoot + path.sep);
      const isFile = i === parts.length - 1;
      if (isFile || !inside) {
        throw new Error(
          `refusing to write ${show(rel)}: ${show(parts.slice(0, i + 1).join('/'))} is a symbolic link` +
            (inside ? '' : ' leading outside the managed path'),
        );
      }
    }
  }
}

/** The bytes `content` is written as. */
const contentBytes = (content: string | Uint8Array): Buffer =>
  typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);

function applyFiles(
  workDir: string,
  managed: string,
  files: readonly GitWriterFile[],
  mode: GitWriteMode,
  tracked: readonly string[],
): Applied {
  const root = fs.realpathSync.native(workDir);
  const managedAbs = managed === '' ? root : path.join(root, managed);
  if (managed !== '') checkNoEscape(root, root, managed);
  fs.mkdirSync(managedAbs, { recursive: true });
  const managedReal = fs.realpathSync.native(managedAbs);
  const applied: Applied = { written: [], removed: [], unchanged: [] };
  const given = new Set<string>();
  for (const file of files) {
    const rel = joinRepoPath(managed, file.path);
    given.add(rel);
    checkNoEscape(root, managedReal, rel);
    const abs = path.join(root, rel);
    const bytes = contentBytes(file.content);
    let existing: Buffer | undefined;
    try {
      existing = fs.readFileSync(abs);
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && existing.equals(bytes)) {
      applied.unchanged.push(rel);
      continue;
    }
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, bytes);
    applied.written.push(rel);
  }
  if (mode === 'sync') {
    for (const rel of tracked) {
      if (!given.has(rel)) {
        fs.rmSync(path.join(root, rel), { force: true });
        applied.removed.push(rel);
      }
    }
  }
  applied.written.sort();
  applied.removed.sort();
  applied.unchanged.sort();
  return applied;
}

function defaultCommitMessage(applied: Applied, managed: string): string {
  const n = applied.written.length + applied.removed.length;
  const lines = [...applied.written.map((f) => `  + ${f}`), ...applied.removed.map((f) => `  - ${f}`)];
  return `jobforge: update ${n} file${n === 1 ? '' : 's'} in ${managed || '/'}\n\n${lines.join('\n')}\n`;
}

function commitMessage(target: ResolvedGitTarget, applied: Applied): string {
  if (target.commitMessage === undefined) return defaultCommitMessage(applied, target.path);
  const tpl = compileStringTemplate(
    target.commitMessage,
    new Set(COMMIT_MESSAGE_PLACEHOLDERS),
    `'git.commitMessage'`,
  );
  return tpl.render({
    Count: String(applied.written.length + applied.removed.length),
    Added: String(applied.written.length),
    Removed: String(applied.removed.length),
    Files: [...applied.written, ...applied.removed].join('\n'),
    Path: target.path,
  });
}

const REJECTED =
  /\[rejected\]|\[remote rejected\].*(?:cannot lock ref|incorrect old value)|non-fast-forward|fetch first|failed to update ref|stale info/i;
const MISSING_BRANCH = /couldn't find remote ref|Couldn't find remote ref/;

/**
 * Fetches the remote's default branch (the branch its HEAD names) and returns the ref to start a
 * new branch from, or undefined when the remote has no branch at all (an empty repository).
 */
async function fetchDefaultBranch(
  git: Git,
  redact: (text: string) => string,
  url: string,
): Promise<string | undefined> {
  const heads = (await git.run(['ls-remote', '--heads', 'origin'])).stdout;
  if (heads.trim() === '') return undefined;
  const listed = await git.run(['ls-remote', '--symref', 'origin', 'HEAD']);
  const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(listed.stdout);
  if (symref === null || !heads.split('\n').some((l) => l.endsWith(`\trefs/heads/${symref[1]}`))) {
    throw new Error(
      redact(
        `cannot create the branch from the default branch of ${show(redactUrl(url))}: its HEAD names no existing branch`,
      ),
    );
  }
  const ref = `refs/remotes/origin/${symref[1]}`;
  await git.run(['fetch', '--quiet', '--no-tags', '--depth=1', 'origin', `+refs/heads/${symref[1]}:${ref}`]);
  return ref;
}

/** Options of {@link writeGitFiles}. */
export interface WriteGitFilesOptions {
  readonly mode: GitWriteMode;
  /** Receives each git command (redacted). @default - silent */
  readonly log?: (line: string) => void;
  /**
   * Called after each commit is made and before it is pushed (attempt starts at 1). Tests use
   * it to move the remote concurrently.
   * @default - none
   */
  readonly beforePush?: (attempt: number) => Promise<void> | void;
  /** What to do when the branch does not exist on the remote. @default 'orphan' */
  readonly missingBranch?: MissingBranchPolicy;
}

/**
 * Writes `files` (paths relative to the target's `path`) to the target branch in one commit
 * and pushes it. Returns the commit SHA, or null when the branch already had this content.
 */
export async function writeGitFiles(
  target: GitTarget,
  files: readonly GitWriterFile[],
  options: WriteGitFilesOptions,
): Promise<GitWriteResult> {
  const resolved = resolveGitTarget(target);
  const { mode } = options;
  if (mode !== 'add-only' && mode !== 'sync')
    throw new Error(`'mode' must be 'add-only' or 'sync', got ${show(mode)}`);
  const missingBranch = options.missingBranch ?? 'orphan';
  if (missingBranch !== 'orphan' && missingBranch !== 'from-default' && missingBranch !== 'error') {
    throw new Error(
      `'missingBranch' must be 'orphan', 'from-default' or 'error', got ${show(options.missingBranch)}`,
    );
  }
  if (!Array.isArray(files)) throw new Error(`'files' must be an array, got ${show(files)}`);
  const seen = new Set<string>();
  for (const [i, f] of files.entries()) {
    checkRelativePath(f?.path, `'files[${i}].path'`);
    if (typeof f.content !== 'string' && !(f.content instanceof Uint8Array))
      throw new Error(`'files[${i}].content' must be a string or bytes, got ${typeof f.content}`);
    if (seen.has(f.path)) throw new Error(`'files' lists ${show(f.path)} twice`);
    seen.add(f.path);
  }
  for (const p of seen) {
    // a file that is also a directory of another file cannot exist
    const parent = [...seen].find((q) => q.startsWith(`${p}/`));
    if (parent)
      throw new Error(`'files' has ${show(p)} both as a file and as a directory of ${show(parent)}`);
  }

  const redact = redactorFor(resolved.auth);
  const log = options.log ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-git-'));
  fs.chmodSync(tmp, 0o700);
  try {
    const env = gitEnvironment(resolved.auth, tmp, resolved.author);
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    const git = new Git(work, env, redact, log);
    const remoteBranch = `refs/remotes/origin/${resolved.branch}`;
    await git.run(['init', '--quiet', `--initial-branch=${resolved.branch}`]);
    await git.run(['remote', 'add', 'origin', resolved.url]);

    let pushAttempts = 0;
    for (;;) {
      const fetched = await git.run(
        [
          'fetch',
          '--quiet',
          '--no-tags',
          '--depth=1',
          'origin',
          `+refs/heads/${resolved.branch}:${remoteBranch}`,
        ],
        { allowFail: true },
      );
      const exists = fetched.code === 0;
      if (!exists && !MISSING_BRANCH.test(fetched.stderr)) {
        throw new Error(
          redact(
            `git fetch of ${show(redactUrl(resolved.url))} branch ${show(resolved.branch)} failed: ${fetched.stderr.trim()}${hint(fetched.stderr)}`,
          ),
        );
      }
      // the commit the new content goes on: the branch's tip, or for a missing branch (per
      // `missingBranch`) the default branch's tip, or none (a parentless first commit)
      let base: string | undefined;
      if (exists) {
        base = remoteBranch;
      } else if (missingBranch === 'error') {
        throw new GitBranchMissingError(redactUrl(resolved.url), resolved.branch);
      } else if (missingBranch === 'from-default') {
        base = await fetchDefaultBranch(git, redact, resolved.url);
      }
      if (base !== undefined) {
        await git.run(['checkout', '--quiet', '--force', '-B', resolved.branch, base]);
        await git.run(['clean', '-fdxq']);
      } else {
        // a new branch: start from an empty tree (dropping our commit of a previous attempt)
        await git.run(['symbolic-ref', 'HEAD', `refs/heads/${resolved.branch}`]);
        await git.run(['update-ref', '-d', `refs/heads/${resolved.branch}`], { allowFail: true });
        await git.run(['rm', '-rfq', '--cached', '--ignore-unmatch', '.']);
        await git.run(['clean', '-fdxq']);
      }
      const tracked =
        mode === 'sync' && base !== undefined
          ? (await git.run(['ls-files', '-z', '--', resolved.path === '' ? '.' : resolved.path])).stdout
              .split('\0')
              .filter((f) => f !== '')
          : [];
      const applied = applyFiles(work, resolved.path, files, mode, tracked);
      await git.run(['add', '--all']);
      const diff = await git.run(['diff', '--cached', '--quiet'], { allowFail: true });
      if (diff.code === 0 && exists) {
        return { commitSha: null, written: [], removed: [], unchanged: applied.unchanged, pushAttempts };
      }
      if (applied.written.length === 0 && applied.removed.length === 0 && base === undefined) {
        return { commitSha: null, written: [], removed: [], unchanged: applied.unchanged, pushAttempts };
      }
      const changed = diff.code !== 0;
      // a branch created from the default branch with nothing to change points at its tip
      if (changed) {
        await git.run(['commit', '--quiet', '--no-verify', '-F', '-'], {
          input: commitMessage(resolved, applied),
        });
      }
      const head = (await git.run(['rev-parse', 'HEAD'])).stdout.trim();
      const sha = changed ? head : null;
      pushAttempts += 1;
      await options.beforePush?.(pushAttempts);
      const pushed = await git.run(
        ['push', '--quiet', '--porcelain', 'origin', `HEAD:refs/heads/${resolved.branch}`],
        { allowFail: true },
      );
      if (pushed.code === 0) {
        return {
          commitSha: sha,
          written: applied.written,
          removed: applied.removed,
          unchanged: applied.unchanged,
          pushAttempts,
        };
      }
      const output = `${pushed.stdout}\n${pushed.stderr}`;
      if (!REJECTED.test(output)) {
        throw new Error(
          redact(
            `git push to ${show(redactUrl(resolved.url))} branch ${show(resolved.branch)} failed: ${pushed.stderr.trim() || pushed.stdout.trim()}${hint(pushed.stderr)}`,
          ),
        );
      }
      if (pushAttempts >= resolved.maxPushAttempts) {
        throw new Error(
          `git push to ${show(redactUrl(resolved.url))} branch ${show(resolved.branch)} was rejected ${pushAttempts} ` +
            `time(s) because the branch kept moving (fetched and re-applied each time); giving up. ` +
            `Nothing was pushed; the remote branch is unchanged by this run.`,
        );
      }
      log(
        `push rejected (attempt ${pushAttempts}/${resolved.maxPushAttempts}); fetching and re-applying on the new tip`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
