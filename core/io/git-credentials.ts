import * as fs from 'node:fs';
import type { GitAuth, GitAuthSource } from '../pipeline/types';

/**
 * Git credentials from where a {@link GitAuthSource} names them: environment variables, files,
 * or keys of a configuration store (the stack's Pulumi config, read through `readConfig`). Read
 * at call time, never stored; errors name the variable or key, never the value.
 */

/** Reads a key of a configuration store (e.g. the stack's Pulumi config). */
export type ConfigReader = (key: string) => string | undefined;

function readSecret(
  envName: string | undefined,
  configKey: string | undefined,
  what: string,
  readConfig: ConfigReader | undefined,
): string {
  if (configKey !== undefined) {
    const v = readConfig?.(configKey);
    if (v === undefined || v === '') {
      throw new Error(`'git.auth' ${what}: Pulumi config key ${JSON.stringify(configKey)} is not set`);
    }
    return v;
  }
  const name = envName as string;
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new Error(`'git.auth' ${what}: environment variable ${name} is not set`);
  }
  return v;
}

/** The Git credentials a source names, read from the environment, files or Pulumi config. */
export function resolveGitAuth(source: GitAuthSource, readConfig?: ConfigReader): GitAuth {
  switch (source.type) {
    case 'token':
      return {
        type: 'token',
        token: readSecret(source.tokenEnv ?? 'JOBFORGE_GIT_TOKEN', source.tokenConfig, 'token', readConfig),
        ...(source.username !== undefined ? { username: source.username } : {}),
      };
    case 'basic':
      return {
        type: 'basic',
        username: readSecret(
          source.usernameEnv ?? 'JOBFORGE_GIT_USERNAME',
          undefined,
          'username',
          readConfig,
        ),
        password: readSecret(
          source.passwordEnv ?? 'JOBFORGE_GIT_PASSWORD',
          source.passwordConfig,
          'password',
          readConfig,
        ),
      };
    case 'ssh': {
      const privateKey =
        source.privateKeyFile !== undefined
          ? readFile(source.privateKeyFile, 'privateKeyFile')
          : readSecret(
              source.privateKeyEnv ?? 'JOBFORGE_GIT_SSH_KEY',
              source.privateKeyConfig,
              'private key',
              readConfig,
            );
      const passphraseEnv = source.passphraseEnv ?? 'JOBFORGE_GIT_SSH_PASSPHRASE';
      const passphrase = process.env[passphraseEnv];
      const knownHosts =
        source.knownHostsFile !== undefined
          ? readFile(source.knownHostsFile, 'knownHostsFile')
          : source.knownHosts;
      if (knownHosts === undefined || knownHosts.trim() === '') {
        throw new Error(
          `'git.auth' ssh needs knownHosts or knownHostsFile (host keys are always checked), got none`,
        );
      }
      return { type: 'ssh', privateKey, knownHosts, ...(passphrase ? { passphrase } : {}) };
    }
    default:
      throw new Error(
        `'git.auth.type' must be token, basic or ssh, got ${JSON.stringify((source as { type: unknown }).type)}`,
      );
  }
}

function readFile(path: string, field: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `'git.auth.${field}' cannot be read, got ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
}

/** Refuses a source that carries a credential itself (it would be stored in the stack). */
export function checkAuthSource(source: GitAuthSource | null): void {
  if (source === null || source === undefined) return;
  if (typeof source !== 'object' || !['token', 'basic', 'ssh'].includes((source as { type: string }).type)) {
    throw new Error(`'git.auth.type' must be token, basic or ssh, got ${JSON.stringify(source)}`);
  }
  for (const [k, v] of Object.entries(source)) {
    if (/^(token|password|privateKey|passphrase)$/.test(k)) {
      throw new Error(
        `'git.auth.${k}' must not be given as an input (it would be stored in the stack); name an environment variable or Pulumi config key instead, got a value of ${String(v).length} characters`,
      );
    }
  }
}
