import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// Targeted tests for core/git-auth.ts beyond redactUrl (git-auth.test.ts): the secrets a redactor
// removes, and the environment git runs in, for each kind of auth.
import { gitAuthSecrets, gitEnvironment, redactorFor, redactUrl } from '../../../core/git-auth';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-secret-key\n-----END OPENSSH PRIVATE KEY-----';

describe('gitAuthSecrets and redactorFor', () => {
  test('token: the token and the base64 of user:token (default user x-access-token)', () => {
    expect(gitAuthSecrets({ type: 'token', token: 'tok-123' })).toEqual([
      'tok-123',
      b64('x-access-token:tok-123'),
    ]);
    expect(gitAuthSecrets({ type: 'token', token: 'tok-123', username: 'bot' })).toEqual([
      'tok-123',
      b64('bot:tok-123'),
    ]);
  });

  test('basic: the password and the base64 of user:password; ssh: the key and the passphrase', () => {
    expect(gitAuthSecrets({ type: 'basic', username: 'u', password: 'pw-1' })).toEqual([
      'pw-1',
      b64('u:pw-1'),
    ]);
    expect(gitAuthSecrets({ type: 'ssh', privateKey: `${KEY}\n`, knownHosts: 'h' })).toEqual([KEY]);
    expect(gitAuthSecrets({ type: 'ssh', privateKey: KEY, knownHosts: 'h', passphrase: 'pp-1' })).toEqual([
      KEY,
      'pp-1',
    ]);
    expect(gitAuthSecrets(undefined)).toEqual([]);
  });

  test('the redactor replaces every secret, longest first, and URL credentials', () => {
    const redact = redactorFor({ type: 'token', token: 'tok-123' });
    expect(
      redact(`a tok-123 b Authorization: Basic ${b64('x-access-token:tok-123')} c https://u:p@h/r`),
    ).toBe('a *** b Authorization: Basic *** c https://***@h/r');
    // a secret inside a longer one: the longer is replaced whole
    const nested = redactorFor({ type: 'basic', username: 'u', password: 'abc' });
    expect(nested(`x ${b64('u:abc')} abc`)).toBe('x *** ***');
  });

  test('a secret inside a longer one: the longer is replaced first, whole', () => {
    // the token c3Mt is part of the base64 of x-access-token:c3Mt
    const header = b64('x-access-token:c3Mt');
    expect(header).toContain('c3Mt');
    expect(redactorFor({ type: 'token', token: 'c3Mt' })(`Basic ${header} and c3Mt`)).toBe(
      'Basic *** and ***',
    );
  });

  test('URL credentials: one-letter schemes and scp-like hosts with long names too', () => {
    expect(redactUrl('x://u:p@h/r')).toBe('x://***@h/r');
    expect(redactUrl('git@github.com:org/x.git?token=s3cr3t')).toBe('git@github.com:org/x.git?***');
    expect(redactUrl('x://h/r?token=s3cr3t')).toBe('x://h/r?***');
  });

  test('secrets shorter than 3 characters are not redacted (they would mangle every message)', () => {
    expect(redactorFor({ type: 'token', token: 'ab' })('ab cab')).toBe(`ab cab`);
    expect(redactorFor({ type: 'token', token: 'abc' })('abc x')).toBe('*** x');
    expect(redactorFor(undefined)('https://u:p@h/r abc')).toBe('https://***@h/r abc');
  });
});

describe('gitEnvironment', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'git-auth-test-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const configOf = (env: NodeJS.ProcessEnv): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = 0; i < Number(env.GIT_CONFIG_COUNT); i++) {
      out[env[`GIT_CONFIG_KEY_${i}`] as string] = env[`GIT_CONFIG_VALUE_${i}`] as string;
    }
    return out;
  };

  test('no auth: no prompts, no user or system config, hooks and signing off, no credentials', () => {
    const env = gitEnvironment(undefined, tmp);
    expect(env).toMatchObject({
      HOME: tmp,
      LANG: 'C',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      PATH: process.env.PATH,
    });
    expect(configOf(env)).toEqual({
      'core.hooksPath': '/dev/null',
      'commit.gpgSign': 'false',
      'protocol.file.allow': 'always',
      'core.symlinks': 'true',
    });
    expect(env.GIT_AUTHOR_NAME).toBeUndefined();
    expect(env.GIT_SSH_COMMAND).toBeUndefined();
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('the author sets author and committer', () => {
    expect(gitEnvironment(undefined, tmp, { name: 'Bot', email: 'bot@x.io' })).toMatchObject({
      GIT_AUTHOR_NAME: 'Bot',
      GIT_AUTHOR_EMAIL: 'bot@x.io',
      GIT_COMMITTER_NAME: 'Bot',
      GIT_COMMITTER_EMAIL: 'bot@x.io',
    });
  });

  test('token and basic auth travel as an Authorization header in GIT_CONFIG_*, never in argv or URL', () => {
    expect(configOf(gitEnvironment({ type: 'token', token: 'tok-123' }, tmp))['http.extraHeader']).toBe(
      `Authorization: Basic ${b64('x-access-token:tok-123')}`,
    );
    expect(
      configOf(gitEnvironment({ type: 'basic', username: 'u', password: 'pw' }, tmp))['http.extraHeader'],
    ).toBe(`Authorization: Basic ${b64('u:pw')}`);
  });

  test('ssh: key and known_hosts in private files, host keys checked, batch mode without a passphrase', () => {
    const env = gitEnvironment({ type: 'ssh', privateKey: KEY, knownHosts: '[h]:22 ssh-ed25519 AAAA' }, tmp);
    const key = path.join(tmp, 'id');
    const known = path.join(tmp, 'known_hosts');
    expect(fs.readFileSync(key, 'utf8')).toBe(`${KEY}\n`);
    expect(fs.readFileSync(known, 'utf8')).toBe('[h]:22 ssh-ed25519 AAAA\n');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(fs.statSync(known).mode & 0o777).toBe(0o600);
    expect(env.GIT_SSH_COMMAND).toBe(
      `ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${known} ` +
        '-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=20 -o PasswordAuthentication=no ' +
        '-o KbdInteractiveAuthentication=no -o BatchMode=yes',
    );
    expect(env.SSH_ASKPASS).toBeUndefined();
    expect(configOf(env)['http.extraHeader']).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('secret-key');
  });

  test('ssh with a passphrase: answered by an askpass helper from the environment, never in a file', () => {
    const env = gitEnvironment(
      { type: 'ssh', privateKey: `${KEY}\n`, knownHosts: 'h ssh-ed25519 AAAA\n', passphrase: 'pp-1' },
      tmp,
    );
    expect(fs.readFileSync(path.join(tmp, 'id'), 'utf8')).toBe(`${KEY}\n`);
    expect(fs.readFileSync(path.join(tmp, 'known_hosts'), 'utf8')).toBe('h ssh-ed25519 AAAA\n');
    const askpass = path.join(tmp, 'askpass.sh');
    expect(env).toMatchObject({
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      JOBFORGE_SSH_PASSPHRASE: 'pp-1',
    });
    expect(env.DISPLAY).toBe(':0');
    // the helper prints the passphrase from the environment, and nothing else
    expect(execFileSync(askpass, { env: { JOBFORGE_SSH_PASSPHRASE: 'pp-1' } }).toString()).toBe('pp-1\n');
    expect(fs.statSync(askpass).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(askpass, 'utf8')).not.toContain('pp-1');
    expect(env.GIT_SSH_COMMAND).not.toContain('BatchMode');
  });

  test('a temp dir path that needs quoting is quoted for the shell', () => {
    const spaced = path.join(tmp, "it's here");
    fs.mkdirSync(spaced);
    const env = gitEnvironment({ type: 'ssh', privateKey: KEY, knownHosts: 'h k' }, spaced);
    expect(env.GIT_SSH_COMMAND).toContain(`-i '${path.join(tmp, "it'\\''s here")}/id'`);
  });
});
