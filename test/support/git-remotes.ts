// Real Git remotes for tests, on this machine only: a bare repository over file://, the smart HTTP
// protocol (`git http-backend` as CGI behind a node HTTP server with bearer-token and basic auth),
// and SSH (Debian's openssh-server on 127.0.0.1 with generated keys, git-shell only). They need no
// global setup: integration tests use them as well as e2e tests.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { ManagedProcess, freePort, makeTempDir, startProcess, waitFor } from './processes';

/** Environment for git commands in tests: no prompts, no user/system config, a fixed identity. */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'jobforge test',
    GIT_AUTHOR_EMAIL: 'test@jobforge.invalid',
    GIT_COMMITTER_NAME: 'jobforge test',
    GIT_COMMITTER_EMAIL: 'test@jobforge.invalid',
    ...extra,
  };
}

/** Runs git; resolves with stdout, rejects with an Error carrying git's stderr. */
export function runGit(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd: opts.cwd, env: opts.env ?? gitEnv(), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

async function initBare(dir: string): Promise<void> {
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
}

export interface BareRemote {
  /** file:// URL of the bare repository. */
  readonly url: string;
  /** Its directory (a bare repository: read it with `git --git-dir`). */
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** A new empty bare repository (default branch main), reachable over file://. */
export async function createBareRemote(): Promise<BareRemote> {
  const root = makeTempDir('git-file');
  const dir = path.join(root, 'remote.git');
  await initBare(dir);
  return {
    url: pathToFileURL(dir).href,
    dir,
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Smart HTTP

export interface HttpGitServerOptions {
  /**
   * A token accepted as `Authorization: Bearer <token>` and as the password of basic auth with
   * any user name (the way GitHub and GitLab accept tokens).
   * @default - no token
   */
  readonly token?: string;
  /** User name accepted with `password` over basic auth. @default - none */
  readonly username?: string;
  /** Password for `username`. @default - none */
  readonly password?: string;
  /**
   * Awaited before a push (`POST …/git-receive-pack`) is handed to git: tests hold a push in
   * flight with it (e.g. to kill the pushing process mid-commit).
   * @default - pushes are served at once
   */
  readonly beforeReceivePack?: () => Promise<void>;
}

export interface HttpGitRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Who was authenticated, or undefined when the request was refused. */
  readonly user?: string;
}

export interface HttpGitServer {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** Directory holding the repositories. */
  readonly root: string;
  /** Every request served, in order (for asserting what a client did). */
  readonly requests: readonly HttpGitRequest[];
  /** Creates an empty bare repository `<name>.git`; returns its URL (no credentials) and directory. */
  createRepo(name: string): Promise<{ url: string; dir: string }>;
  /** The repository URL with basic-auth credentials in it. */
  urlWithCredentials(name: string, username: string, password: string): string;
  stop(): Promise<void>;
}

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function authenticate(header: string | undefined, opts: HttpGitServerOptions): string | undefined {
  if (!opts.token && !opts.username) return 'anonymous';
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) return opts.token && value === opts.token ? 'token' : undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const [user, pass] = i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)];
    if (opts.username && user === opts.username && pass === opts.password) return user;
    if (opts.token && pass === opts.token) return user || 'token';
  }
  return undefined;
}

/**
 * Serves bare repositories under a temp root over git's smart HTTP protocol, through the real
 * `git http-backend`. With a token or username configured every request must authenticate
 * (401 + `WWW-Authenticate: Basic` otherwise, so git reports "Authentication failed"); with
 * neither, anonymous reads and pushes are allowed.
 */
export async function startHttpGitServer(opts: HttpGitServerOptions = {}): Promise<HttpGitServer> {
  if (opts.username !== undefined && !opts.password) {
    throw new Error(`'password' is required when 'username' is set, got ${JSON.stringify(opts.password)}`);
  }
  const root = makeTempDir('git-http');
  const requests: HttpGitRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const user = authenticate(req.headers.authorization, opts);
    if (!user) {
      requests.push({ method: req.method ?? '', path: url.pathname, status: 401 });
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="jobforge-test-git"',
        'Content-Type': 'text/plain',
      });
      res.end('Authentication required\n');
      req.resume();
      return;
    }
    const serve = (): void => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      };
      if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
      if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
      if (req.headers['git-protocol']) env.HTTP_GIT_PROTOCOL = String(req.headers['git-protocol']);
      // A client that went away while its push was held (a killed replica) left a destroyed
      // request whose body never arrives: git http-backend would wait for it on stdin forever.
      if (req.destroyed) return;
      const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      // A client that goes away mid-request ends the backend too (pipe() never ends stdin then).
      pipeline(req, cgi.stdin, () => undefined);
      res.on('close', () => {
        if (!res.writableFinished && cgi.exitCode === null && cgi.signalCode === null) cgi.kill('SIGKILL');
      });
      let stderr = '';
      cgi.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      let head = Buffer.alloc(0);
      let headersDone = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const sep = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
        if (sep < 0) return;
        const sepLen = head[sep] === 13 ? 4 : 2;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.subarray(0, sep).toString('utf8').split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const k = line.slice(0, i).trim();
          const v = line.slice(i + 1).trim();
          if (/^status$/i.test(k)) status = parseInt(v, 10);
          else headers[k] = v;
        }
        headersDone = true;
        requests.push({ method: req.method ?? '', path: url.pathname, status, user });
        res.writeHead(status, headers);
        res.write(head.subarray(sep + sepLen));
      });
      cgi.on('close', (code) => {
        if (!headersDone) {
          requests.push({ method: req.method ?? '', path: url.pathname, status: 500, user });
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`git http-backend exited with ${code}: ${stderr}`);
        } else {
          res.end();
        }
      });
    };
    if (opts.beforeReceivePack && req.method === 'POST' && url.pathname.endsWith('/git-receive-pack')) {
      req.pause();
      void opts.beforeReceivePack().then(serve);
      return;
    }
    serve();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    root,
    requests,
    async createRepo(name: string) {
      if (!REPO_NAME.test(name))
        throw new Error(`'name' must match ${REPO_NAME}, got ${JSON.stringify(name)}`);
      const dir = path.join(root, `${name}.git`);
      await initBare(dir);
      return { url: `${baseUrl}/${name}.git`, dir };
    },
    urlWithCredentials(name: string, username: string, password: string) {
      const u = new URL(`${baseUrl}/${name}.git`);
      u.username = encodeURIComponent(username);
      u.password = encodeURIComponent(password);
      return u.href;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SSH

export const SSHD = '/usr/sbin/sshd';

/** True when Debian's openssh-server is installed (`apt-get install -y openssh-server`). */
export function sshdAvailable(): boolean {
  return fs.existsSync(SSHD);
}

export interface SshGitServer {
  readonly port: number;
  /** The login user (the user running the tests). */
  readonly user: string;
  /** Directory holding the repositories. */
  readonly root: string;
  /** Private key authorized on the server. */
  readonly privateKey: string;
  /** Creates an empty bare repository `<name>.git`; returns its ssh:// URL and directory. */
  createRepo(name: string): Promise<{ url: string; dir: string }>;
  /** A GIT_SSH_COMMAND that trusts only this server's host key and offers `key` (default: the authorized one). */
  sshCommand(key?: string): string;
  /** gitEnv() plus GIT_SSH_COMMAND for this server. */
  env(key?: string): NodeJS.ProcessEnv;
  /** A fresh key pair that the server does not accept (for testing refusals). */
  generateUnauthorizedKey(): Promise<string>;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

function sshKeygen(file: string, comment: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], (err, _o, stderr) =>
      err ? reject(new Error(`ssh-keygen failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

async function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(2000);
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString().startsWith('SSH-2.0'));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts sshd (openssh-server) on 127.0.0.1 with a generated host key; one generated client key is
 * authorized, restricted to git-shell (no shell, no forwarding, no pty). Logs in as the current user.
 */
export async function startSshGitServer(): Promise<SshGitServer> {
  if (!sshdAvailable()) {
    throw new Error(`${SSHD} not found: install Debian's openssh-server (apt-get install -y openssh-server)`);
  }
  const user = os.userInfo().username;
  const dir = makeTempDir('git-ssh');
  const root = path.join(dir, 'repos');
  fs.mkdirSync(root);
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  await Promise.all([sshKeygen(hostKey, 'jobforge-test-host'), sshKeygen(clientKey, 'jobforge-test-client')]);
  const pub = fs.readFileSync(`${clientKey}.pub`, 'utf8').trim();
  const gitShell = fs.existsSync('/usr/bin/git-shell') ? '/usr/bin/git-shell' : 'git-shell';
  fs.writeFileSync(
    path.join(dir, 'authorized_keys'),
    `restrict,command="${gitShell} -c \\"$SSH_ORIGINAL_COMMAND\\"" ${pub}\n`,
    { mode: 0o600 },
  );
  // sshd refuses to start without its privilege separation directory.
  if (process.getuid?.() === 0 && !fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', { mode: 0o755 });

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user}`,
        'AllowTcpForwarding no',
        'X11Forwarding no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    const knownHosts = path.join(dir, 'known_hosts');
    const hostPub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
    const proc = startProcess('sshd', SSHD, ['-D', '-e', '-f', config], {
      logFile: path.join(dir, `sshd-${attempt}.log`),
      orphanDir: dir,
    });
    try {
      await waitFor(
        'sshd banner',
        async () => {
          if (!proc.running()) throw new Error(`sshd exited:\n${proc.logTail()}`);
          return (await sshBanner(port)) ? true : undefined;
        },
        { timeoutMs: 20000, intervalMs: 100 },
      );
    } catch (e) {
      await proc.stop();
      if (attempt < 3 && /Address already in use/i.test(proc.logTail(200))) continue;
      throw e;
    }
    const sshCommand = (key = clientKey): string =>
      [
        'ssh',
        '-F /dev/null',
        `-i ${key}`,
        '-o IdentitiesOnly=yes',
        '-o BatchMode=yes',
        '-o StrictHostKeyChecking=yes',
        `-o UserKnownHostsFile=${knownHosts}`,
        '-o GlobalKnownHostsFile=/dev/null',
        '-o ConnectTimeout=10',
      ].join(' ');
    return {
      port,
      user,
      root,
      privateKey: clientKey,
      process: proc,
      async createRepo(name: string) {
        if (!REPO_NAME.test(name))
          throw new Error(`'name' must match ${REPO_NAME}, got ${JSON.stringify(name)}`);
        const repoDir = path.join(root, `${name}.git`);
        await initBare(repoDir);
        return { url: `ssh://${user}@127.0.0.1:${port}${repoDir}`, dir: repoDir };
      },
      sshCommand,
      env: (key?: string) => gitEnv({ GIT_SSH_COMMAND: sshCommand(key) }),
      async generateUnauthorizedKey() {
        const k = path.join(dir, `stranger_${Date.now()}`);
        await sshKeygen(k, 'jobforge-test-stranger');
        return k;
      },
      async stop() {
        await proc.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
