import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitAuth, GitAuthor } from './pipeline/types';

// How jobforge's git processes authenticate, and how their output is kept free of credentials.
// Shared by the Git writer, the Git tree reader and the image pipeline's provider.

/**
 * Removes credentials from URLs in `text`: userinfo (`https://user:secret@host` →
 * `https://***@host`) and query strings and fragments (`…/x.git?access_token=s` → `…/x.git?***`).
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@')
    .replace(
      /((?:[a-z][a-z0-9+.-]*:\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)[^\s?#"'`]*)([?#])[^\s"'`]+/gi,
      '$1$2***',
    );
}

/** A redactor for the secrets of `auth`: replaces each secret (and its base64 forms) with `***`. */
export function redactorFor(auth: GitAuth | undefined): (text: string) => string {
  const sorted = gitAuthSecrets(auth)
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = redactUrl(text);
    for (const s of sorted) out = out.split(s).join('***');
    return out;
  };
}

/** The base64 `user:secret` of HTTP basic auth (tokens go as the password), or undefined. */
function basicCredentials(auth: GitAuth | undefined): string | undefined {
  if (auth?.type === 'token') {
    return Buffer.from(`${auth.username ?? 'x-access-token'}:${auth.token}`).toString('base64');
  }
  if (auth?.type === 'basic') return Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return undefined;
}

/** Every string of `auth` that must never appear in a log, an error or stack state. */
export function gitAuthSecrets(auth: GitAuth | undefined): string[] {
  if (!auth) return [];
  if (auth.type === 'ssh') return [auth.privateKey.trim(), ...(auth.passphrase ? [auth.passphrase] : [])];
  return [auth.type === 'token' ? auth.token : auth.password, basicCredentials(auth) ?? ''];
}

/**
 * The environment for a git process: no prompts, no user/system config, the author (when
 * committing), and the auth. HTTP credentials go in an `http.extraHeader` through GIT_CONFIG_* variables; an SSH key
 * and known_hosts are written into `tmp` (a private directory the caller removes), and a
 * passphrase is answered by an SSH_ASKPASS helper reading the environment.
 */
export function gitEnvironment(
  auth: GitAuth | undefined,
  tmp: string,
  author?: GitAuthor,
): NodeJS.ProcessEnv {
  const config: Array<[string, string]> = [
    ['core.hooksPath', '/dev/null'],
    ['commit.gpgSign', 'false'],
    ['protocol.file.allow', 'always'],
    ['core.symlinks', 'true'],
  ];
  const basic = basicCredentials(auth);
  if (basic) config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmp,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...(author && {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    }),
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  if (auth?.type === 'ssh') {
    const key = path.join(tmp, 'id');
    const knownHosts = path.join(tmp, 'known_hosts');
    fs.writeFileSync(key, auth.privateKey.endsWith('\n') ? auth.privateKey : `${auth.privateKey}\n`, {
      mode: 0o600,
    });
    fs.writeFileSync(knownHosts, auth.knownHosts.endsWith('\n') ? auth.knownHosts : `${auth.knownHosts}\n`, {
      mode: 0o600,
    });
    const ssh = [
      'ssh',
      '-F',
      '/dev/null',
      '-i',
      key,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=20',
      '-o',
      'PasswordAuthentication=no',
      '-o',
      'KbdInteractiveAuthentication=no',
    ];
    if (auth.passphrase !== undefined) {
      const askpass = path.join(tmp, 'askpass.sh');
      fs.writeFileSync(askpass, '#!/bin/sh\nprintf \'%s\\n\' "$JOBFORGE_SSH_PASSPHRASE"\n', { mode: 0o700 });
      env.SSH_ASKPASS = askpass;
      env.SSH_ASKPASS_REQUIRE = 'force';
      env.DISPLAY = env.DISPLAY ?? ':0';
      env.JOBFORGE_SSH_PASSPHRASE = auth.passphrase;
    } else {
      ssh.push('-o', 'BatchMode=yes');
    }
    env.GIT_SSH_COMMAND = ssh
      .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
      .join(' ');
  }
  return env;
}
