import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { GitBranchMissingError, writeGitFiles, type GitWriterFile } from '../../core/git-writer';
import type { GitAuth, GitTarget, GitWriteResult } from '../../core/pipeline/types';
import { findSecretManifests } from '../../core/secret-manifests';

/**
 * `jobforge publish`: commits the output of `cdk8s synth` (a directory of manifests) to a path
 * of a GitOps repository in one commit, with the Git writer in `sync` mode: the managed path
 * becomes exactly the directory's files (files deleted from the directory are deleted from the
 * repository), no commit when nothing changed, and the push never forces.
 *
 * Files are committed byte for byte (a file that is not UTF-8 is never re-encoded). A manifest of
 * `kind: Secret` in the directory is refused unless `allowSecrets`. A branch missing on the remote
 * is an error unless `createBranch`, which creates it from the remote's default branch.
 *
 * Secrets are never taken from argv: options name ENVIRONMENT VARIABLES or files holding them.
 */

/** Options of {@link publish}. */
export interface PublishOptions {
  /** The directory to publish (e.g. `dist`). */
  readonly dir: string;
  readonly repo: string;
  /** @default 'main' */
  readonly branch?: string;
  /** The managed path inside the repository; must not be empty unless `allowRoot`. */
  readonly path: string;
  readonly message?: string;
  readonly authorName?: string;
  readonly authorEmail?: string;
  /** Name of the environment variable holding an HTTPS token. */
  readonly tokenEnv?: string;
  /** User name for basic auth (with `passwordEnv`) or for the token. */
  readonly username?: string;
  /** Name of the environment variable holding the basic-auth password. */
  readonly passwordEnv?: string;
  /** Path of an SSH private key file. */
  readonly sshKeyFile?: string;
  /** Name of the environment variable holding the SSH key's passphrase. */
  readonly sshPassphraseEnv?: string;
  /** Path of a known_hosts file for the SSH server. */
  readonly knownHostsFile?: string;
  readonly maxPushAttempts?: number;
  /** Publish even when `dir` has no files (which empties the managed path). @default false */
  readonly allowEmpty?: boolean;
  /** Allow an empty `path` (the whole repository is then managed). @default false */
  readonly allowRoot?: boolean;
  /** Publish even when the directory holds manifests of `kind: Secret`. @default false */
  readonly allowSecrets?: boolean;
  /**
   * Create `branch` when the remote does not have it, from the tip of the remote's default branch
   * (in an empty repository, as its first commit).
   * @default false - a missing branch is an error
   */
  readonly createBranch?: boolean;
}

const show = (value: unknown): string => JSON.stringify(value);

/**
 * The regular files under `dir`, relative, `/`-separated, sorted, with their bytes as they are on
 * disk. Symlinks are refused.
 */
export function readPublishDir(dir: string): GitWriterFile[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new Error(`'--dir' does not exist, got ${show(dir)}`);
  }
  if (!stat.isDirectory()) throw new Error(`'--dir' must be a directory, got ${show(dir)}`);
  const files: GitWriterFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymbolicLink())
        throw new Error(`'--dir' must not contain symbolic links, got ${show(child)}`);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push({ path: child, content: fs.readFileSync(path.join(dir, child)) });
    }
  };
  walk('');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function envSecret(option: string, name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`'${option}' names the environment variable ${show(name)}, which is not set`);
  }
  return value;
}

/** Builds the Git auth from the options (secrets from the environment and files). */
export function publishAuth(
  options: PublishOptions,
  env: NodeJS.ProcessEnv = process.env,
): GitAuth | undefined {
  const kinds = [
    options.tokenEnv && 'token',
    options.passwordEnv && 'basic',
    options.sshKeyFile && 'ssh',
  ].filter(Boolean);
  if (kinds.length > 1) {
    throw new Error(
      `use only one of --token-env, --password-env and --ssh-key-file, got ${kinds.join(' and ')}`,
    );
  }
  if (options.tokenEnv) {
    const token = envSecret('--token-env', options.tokenEnv, env);
    return { type: 'token', token, ...(options.username ? { username: options.username } : {}) };
  }
  if (options.passwordEnv) {
    if (!options.username) throw new Error(`'--username' is required with --password-env, got undefined`);
    return {
      type: 'basic',
      username: options.username,
      password: envSecret('--password-env', options.passwordEnv, env),
    };
  }
  if (options.sshKeyFile) {
    if (!options.knownHostsFile)
      throw new Error(`'--known-hosts-file' is required with --ssh-key-file, got undefined`);
    const read = (option: string, file: string): string => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        throw new Error(`'${option}' cannot be read, got ${show(file)}`);
      }
    };
    return {
      type: 'ssh',
      privateKey: read('--ssh-key-file', options.sshKeyFile),
      knownHosts: read('--known-hosts-file', options.knownHostsFile),
      ...(options.sshPassphraseEnv
        ? { passphrase: envSecret('--ssh-passphrase-env', options.sshPassphraseEnv, env) }
        : {}),
    };
  }
  return undefined;
}

/** Publishes `options.dir` to the repository. */
export async function publish(
  options: PublishOptions,
  env: NodeJS.ProcessEnv = process.env,
  log?: (line: string) => void,
): Promise<GitWriteResult> {
  const managed = (options.path ?? '').replace(/\/+$/, '');
  if (managed === '' && !options.allowRoot) {
    throw new Error(
      `'--path' must name the directory to manage (publish replaces everything under it); got ${show(options.path ?? '')}. ` +
        'Pass --allow-root to manage the whole repository.',
    );
  }
  const files = readPublishDir(options.dir);
  if (files.length === 0 && !options.allowEmpty) {
    throw new Error(
      `'--dir' has no files, got ${show(options.dir)}; publishing it would delete everything under ${show(managed)}. ` +
        'Pass --allow-empty to do that.',
    );
  }
  if (!options.allowSecrets) {
    const secrets = findSecretManifests(files);
    if (secrets.length > 0) {
      const where = secrets
        .map(
          (s) =>
            `${show(s.path)} document ${s.document}${s.name !== undefined ? ` (name ${show(s.name)})` : ''}`,
        )
        .join(', ');
      throw new Error(
        `'--dir' holds ${secrets.length} manifest(s) of kind: Secret, got ${where}; publishing would commit ` +
          'them to Git. Keep Secrets out of the directory (e.g. a SealedSecret or an external secret store), or ' +
          'pass --allow-secrets.',
      );
    }
  }
  const author =
    options.authorName !== undefined || options.authorEmail !== undefined
      ? {
          name: options.authorName ?? 'jobforge',
          email: options.authorEmail ?? 'jobforge@users.noreply.local',
        }
      : undefined;
  const auth = publishAuth(options, env);
  const target: GitTarget = {
    url: options.repo,
    branch: options.branch ?? 'main',
    path: managed,
    ...(auth ? { auth } : {}),
    ...(author ? { author } : {}),
    ...(options.message !== undefined ? { commitMessage: options.message } : {}),
    ...(options.maxPushAttempts !== undefined ? { maxPushAttempts: options.maxPushAttempts } : {}),
  };
  try {
    return await writeGitFiles(target, files, {
      mode: 'sync',
      missingBranch: options.createBranch ? 'from-default' : 'error',
      ...(log ? { log } : {}),
    });
  } catch (e) {
    if (e instanceof GitBranchMissingError) {
      throw new Error(
        `'--branch' ${show(e.branch)} does not exist on ${show(e.url)}; pass --create-branch to create it ` +
          "from the remote's default branch",
      );
    }
    throw e;
  }
}

const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value))
    throw new Error(`'--max-push-attempts' must be a positive integer, got ${show(value)}`);
  return Number(value);
};

/** Adds `jobforge publish` to the CLI. */
export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description(
      'Commit a directory of synthesized manifests (cdk8s synth output) to a path of a GitOps repository: one ' +
        'commit, none when unchanged, files removed from the directory are removed from the path, never force-pushes.',
    )
    .requiredOption(
      '--repo <url>',
      'repository URL (https://, ssh://, user@host:path or file://), without credentials',
    )
    .requiredOption(
      '--path <dir>',
      'directory inside the repository that publish manages (replaced by --dir)',
    )
    .option('--dir <dir>', 'directory to publish', 'dist')
    .option('--branch <name>', 'branch to commit to', 'main')
    .option(
      '--message <template>',
      'commit message; placeholders {{ .Count }} {{ .Added }} {{ .Removed }} {{ .Files }} {{ .Path }}',
    )
    .option('--author-name <name>', 'commit author name', undefined)
    .option('--author-email <email>', 'commit author e-mail', undefined)
    .option('--token-env <VAR>', 'environment variable holding an HTTPS token')
    .option('--username <name>', 'user name for basic auth (--password-env) or for the token')
    .option('--password-env <VAR>', 'environment variable holding the basic-auth password')
    .option('--ssh-key-file <file>', 'SSH private key file')
    .option('--ssh-passphrase-env <VAR>', "environment variable holding the SSH key's passphrase")
    .option('--known-hosts-file <file>', 'known_hosts file for the SSH server (host keys are always checked)')
    .option('--max-push-attempts <n>', 'push attempts (fetch and re-apply between them)', positiveInt)
    .option('--allow-empty', 'publish an empty directory (deletes everything under --path)', false)
    .option('--allow-root', 'allow an empty --path (manage the whole repository)', false)
    .option('--allow-secrets', 'publish even when --dir holds manifests of kind: Secret', false)
    .option(
      '--create-branch',
      "create --branch when the remote lacks it, from the remote's default branch (else an error)",
      false,
    )
    .option('--verbose', 'print the git commands run (credentials redacted)', false)
    .action(async (opts: PublishOptions & { verbose?: boolean }) => {
      const result = await publish(
        opts,
        process.env,
        opts.verbose ? (l) => process.stderr.write(`${l}\n`) : undefined,
      );
      process.stdout.write(
        `${JSON.stringify({ commit: result.commitSha, written: result.written, removed: result.removed, unchanged: result.unchanged.length, pushAttempts: result.pushAttempts }, null, 2)}\n`,
      );
    });
}
