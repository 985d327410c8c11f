// Long-running helper processes for tests (etcd, kube-apiserver, moto, sshd): each one runs in its
// own process group, logs to a file, and is killed with its whole group on stop(), on process exit,
// on SIGINT/SIGTERM, and, if this process dies without cleaning up (SIGKILL, crash), by a tiny
// watchdog shell that notices the parent is gone. No process may outlive the test run.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Runs `node tools/<script>` from the repository (it builds into its cache what is missing; its
 * progress goes to this process's stderr) and returns what it printed on stdout.
 */
export function runRepoTool(script: string): string {
  const repo = path.resolve(__dirname, '..', '..');
  const r = spawnSync(process.execPath, [path.join(repo, 'tools', script)], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`node tools/${script} failed with status ${r.status}`);
  return r.stdout;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; the caller binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Temporary directories made here; whatever is left of them is removed when the process exits. */
const tempDirs = new Set<string>();

/** A fresh private temporary directory (removed at process exit if the caller has not removed it). */
export function makeTempDir(prefix: string): string {
  installHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jobforge-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Registers a directory made elsewhere for removal at process exit (if still there). */
export function removeAtExit(dir: string): void {
  installHandlers();
  tempDirs.add(dir);
}

function removeTempDirsSync(): void {
  for (const dir of tempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; onTimeout?: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      const extra = opts.onTimeout ? `\n${opts.onTimeout()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${detail}${extra}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

/** Process groups started here and not yet stopped, with the pid of each one's watchdog. */
const liveGroups = new Map<number, number | undefined>();
let handlersInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every process group still running, synchronously (safe in an 'exit' handler). */
export function killAllSync(): void {
  for (const [pgid, watchdog] of liveGroups) {
    killGroup(pgid, 'SIGKILL');
    if (watchdog) killGroup(watchdog, 'SIGKILL');
  }
  liveGroups.clear();
}

/** Pids of every live descendant of `root` (from /proc), children before grandchildren. */
export function descendantPids(root = process.pid): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Kills every process group started here and every remaining descendant of this process
 * (the pulumi CLI and its provider plugins, git, ...), synchronously with SIGKILL.
 */
export function killEverythingSync(): void {
  killAllSync();
  for (const pid of descendantPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Makes sure nothing started from this process outlives it: on exit, SIGINT, SIGTERM and SIGHUP,
 * kill every managed process group and every descendant. Idempotent.
 */
export function installCleanupHandlers(): void {
  installHandlers();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onExit = (): void => {
    killEverythingSync();
    removeTempDirsSync();
  };
  process.on('exit', onExit);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      onExit();
      process.removeListener(sig, handler);
      // Let the default action (or other listeners) run as if we had not been here.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

// Watches the parent ($0) and the group ($1); when the parent is gone, kills the group (TERM, then
// KILL) and removes the orphaned directory ($2, if any).
const WATCHDOG = [
  'while kill -0 "$0" 2>/dev/null && kill -0 -"$1" 2>/dev/null; do sleep 1; done',
  'kill -0 -"$1" 2>/dev/null || exit 0',
  'kill -TERM -"$1" 2>/dev/null; sleep 2; kill -KILL -"$1" 2>/dev/null',
  'if [ -n "$2" ]; then rm -rf "$2"; fi; exit 0',
].join('; ');

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** File that receives the process's stdout and stderr. */
  readonly logFile: string;
  /** Resolves with the exit code (or null when killed by a signal) once the leader exits. */
  readonly exited: Promise<number | null>;
  /** True until the leader exits. */
  running(): boolean;
  /** The last `lines` lines of the log. */
  logTail(lines?: number): string;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Where to write stdout+stderr. @default - <tmpdir>/jobforge-<name>-<pid>.log */
  readonly logFile?: string;
  /** A directory to delete if this process is orphaned (its parent died without stopping it). @default - none */
  readonly orphanDir?: string;
}

/** Starts `command` detached in its own process group, with output to a log file. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  opts: StartProcessOptions = {},
): ManagedProcess {
  installHandlers();
  const logFile = opts.logFile ?? path.join(os.tmpdir(), `jobforge-${name}-${process.pid}-${Date.now()}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  if (child.pid === undefined) {
    throw new Error(`could not start ${name} (${command}): ${fs.readFileSync(logFile, 'utf8')}`);
  }
  const pid = child.pid;
  liveGroups.set(pid, undefined);
  let alive = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      alive = false;
      resolve(code);
    });
    child.on('error', (err) => {
      alive = false;
      fs.appendFileSync(logFile, `\nspawn error: ${err.message}\n`);
      resolve(null);
    });
  });
  child.unref();
  const watchdog = spawn('sh', ['-c', WATCHDOG, String(process.pid), String(pid), opts.orphanDir ?? ''], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  liveGroups.set(pid, watchdog.pid);

  const logTail = (lines = 40): string => {
    try {
      return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  return {
    name,
    pid,
    logFile,
    exited,
    running: () => alive,
    logTail,
    async stop(graceMs = 5000): Promise<void> {
      if (!liveGroups.has(pid)) return;
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      killGroup(pid, 'SIGKILL');
      while (groupAlive(pid)) await sleep(20);
      const watchdogPid = liveGroups.get(pid);
      if (watchdogPid) killGroup(watchdogPid, 'SIGKILL');
      liveGroups.delete(pid);
    },
  };
}
