// jobforge's image under podman, for e2e tests: `ensureJobforgeImage()` builds it (tools/image.js,
// cached by its inputs) and `startPodman()` loads it into a podman whose storage (vfs), run root
// and containers.conf live in a temporary directory the test owns. Podman runs here only with runc
// (crun fails on this host's hybrid cgroups), cgroupfs, the file events logger and explicit
// nofile/nproc ulimits (root lacks CAP_SYS_RESOURCE). `stop()` removes every container, kills any
// process left running from that directory (conmon) and deletes it.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { descendantPids, makeTempDir, runRepoTool } from './processes';

/** What tools/image.js prints: the image it built (or found in its cache). */
export interface JobforgeImage {
  readonly reference: string;
  readonly repository: string;
  readonly tag: string;
  readonly revision: string;
  readonly archive: string;
  readonly uncompressedBytes: number;
  readonly gzippedBytes: number;
}

/** Builds jobforge's image unless the cache has the one of the current inputs (`node tools/image.js`). */
export function ensureJobforgeImage(): JobforgeImage {
  return JSON.parse(runRepoTool('image.js')) as JobforgeImage;
}

export interface PodmanRunOptions {
  /** `none` (no network) or `host` (to reach servers the test runs on 127.0.0.1). @default 'none' */
  readonly network?: 'none' | 'host';
  /** host path → container path (`:ro` appended when `readOnly`). */
  readonly mounts?: ReadonlyArray<{ host: string; container: string; readOnly?: boolean }>;
  readonly env?: Record<string, string>;
  /** Replaces the image's entrypoint. */
  readonly entrypoint?: string;
}

export interface PodmanResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Podman {
  /** The directory holding podman's storage, run root and containers.conf. */
  readonly dir: string;
  /** Runs `podman <args>` with this instance's storage and configuration. */
  podman(args: readonly string[]): Promise<PodmanResult>;
  /** `podman run --rm` of `image` with `args`. */
  run(image: string, args: readonly string[], opts?: PodmanRunOptions): Promise<PodmanResult>;
  /** `podman run --detach --name <name>`: a long-running container; stop it with `podman stop`/`rm`. */
  start(name: string, image: string, args: readonly string[], opts?: PodmanRunOptions): Promise<PodmanResult>;
  stop(): Promise<void>;
}

/** The ulimits every container gets: set explicitly, root here cannot raise them itself. */
export const PODMAN_ULIMITS = ['nofile=20000:20000', 'nproc=32768:32768'];

/** A podman with its own storage in a fresh temporary directory, `archive` loaded into it. */
export async function startPodman(archive: string): Promise<Podman> {
  if (spawnSync('sh', ['-c', 'command -v podman && command -v runc']).status !== 0) {
    throw new Error('podman and runc are required (apt-get install podman runc), got none on PATH');
  }
  const dir = makeTempDir('podman');
  const conf = path.join(dir, 'containers.conf');
  fs.mkdirSync(path.join(dir, 'tmp'));
  fs.writeFileSync(
    conf,
    [
      '[containers]',
      `default_ulimits = [${PODMAN_ULIMITS.map((u) => JSON.stringify(u)).join(', ')}]`,
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'runtime = "runc"',
      `tmp_dir = ${JSON.stringify(path.join(dir, 'tmp'))}`,
      '',
    ].join('\n'),
  );
  const base = [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--storage-driver',
    'vfs',
    '--runtime',
    'runc',
  ];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = (args: readonly string[]): Promise<PodmanResult> =>
    new Promise((resolve) => {
      execFile('podman', [...base, ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const loaded = await podman(['load', '--quiet', '--input', archive]);
  if (loaded.code !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`podman load of ${archive} failed with status ${loaded.code}: ${loaded.stderr}`);
  }
  return {
    dir,
    podman,
    run: (image, args, opts = {}) => podman(['run', '--rm', ...runArgs(image, args, opts)]),
    start: (name, image, args, opts = {}) =>
      podman(['run', '--detach', '--name', name, ...runArgs(image, args, opts)]),
    stop: async () => {
      await podman(['rm', '--all', '--force']);
      killProcessesUnder(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runArgs(image: string, args: readonly string[], opts: PodmanRunOptions): string[] {
  return [
    '--network',
    opts.network ?? 'none',
    ...PODMAN_ULIMITS.flatMap((u) => ['--ulimit', u]),
    ...(opts.entrypoint ? ['--entrypoint', opts.entrypoint] : []),
    ...(opts.mounts ?? []).flatMap((m) => ['--volume', `${m.host}:${m.container}${m.readOnly ? ':ro' : ''}`]),
    ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    image,
    ...args,
  ];
}

/** Kills every process whose command line names `dir` (conmon, a stuck runc), and its children. */
function killProcessesUnder(dir: string): void {
  for (const pid of processesUnder(dir)) {
    for (const p of [...descendantPids(pid), pid]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Pids of live processes whose command line names `dir` (none once stop() has run). */
export function processesUnder(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        const stat = fs.readFileSync(path.join('/proc', e, 'stat'), 'utf8');
        if (/\) Z /.test(stat)) return false; // a zombie waiting for its parent holds nothing
        return fs.readFileSync(path.join('/proc', e, 'cmdline'), 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}
