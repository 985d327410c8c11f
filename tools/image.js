#!/usr/bin/env node
// Builds jobforge's container image (the Containerfile at the repository root) with buildah, no
// Docker daemon, into a per-machine cache outside the repository keyed by its inputs, so a second
// run finds it and returns at once. The result is an OCI archive.
//
//   node tools/image.js                 build if missing; print the image's JSON description
//   node tools/image.js --check         exit 1 if the image of the current inputs is not built
//   node tools/image.js --context DIR   write only the build context (no rootfs.tar), for Docker:
//                                       docker build --build-arg BASE=docker.io/library/debian:bookworm-slim -f Containerfile DIR
//
// Two cache entries: the root filesystem (debootstrap --variant=minbase of Debian bookworm with
// git, openssh-client and ca-certificates, then the security updates, trimmed, as a tar made with
// --numeric-owner), keyed by the suite, the packages and the mirrors; and the image, keyed by the
// Containerfile, the sources, the lock file, the Node.js version, the Kyverno CLI build and the
// root filesystem's key. Both are built under tools/engines.js's lock (buildOnce).
//
// Needs (root): buildah, debootstrap, strip (binutils); .ci/run installs them. Node.js 24 comes
// from tools/node24.js, the Kyverno CLI from the engines build (`npm run tools`).
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildOnce, enginePaths } = require('./engines');
const { node24, VERSION: NODE_VERSION } = require('./node24');

const REPO = path.resolve(__dirname, '..');
const SUITE = 'bookworm';
const PACKAGES = ['git', 'openssh-client', 'ca-certificates'];
/** Removed from the root filesystem: documentation (but the copyright files), caches, apt lists. */
const TRIM = [
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'var/cache/apt',
  'var/lib/apt/lists',
  'var/log',
];
/** What the compiled code is made from (besides package.json, the lock file and the tsconfigs). */
const SOURCES = ['index.ts', 'pulumi.ts', 'main.ts', 'core', 'constructs', 'stacks', 'imports', 'bin'];
/** Files of the production node_modules no program reads: types, source maps, docs. */
const PRUNE = /\.(d\.ts|d\.mts|d\.cts|map|md|markdown)$/i;
const ARCHIVE = 'jobforge.oci.tar';
/** Part of the root filesystem's cache key: bump it when ensureRootfs changes what it makes. */
const ROOTFS_RECIPE = 1;
/** Completed image entries kept in the cache (the newest); older ones are removed after a build. */
const KEEP_IMAGES = 3;

function cacheRoot() {
  return (
    process.env.JOBFORGE_IMAGE_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'jobforge', 'image')
  );
}

function log(msg) {
  process.stderr.write(`[image] ${msg}\n`);
}

// Children write to stderr: stdout carries only the image's JSON description.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 'inherit'], ...opts });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with status ${r.status}`);
}

function requireCommands(names) {
  const missing = names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
  if (missing.length) {
    throw new Error(
      `tools/image.js needs ${missing.join(', ')} on PATH (apt-get install buildah debootstrap binutils), got none`,
    );
  }
}

const sha256 = (parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

/**
 * The Debian mirror and the security mirror named in apt sources (one-line `deb` entries or deb822
 * `URIs:` fields; the first of each kind wins), else deb.debian.org. `env` overrides:
 * JOBFORGE_DEBIAN_MIRROR, JOBFORGE_DEBIAN_SECURITY_MIRROR.
 */
function parseAptMirrors(texts, env = {}) {
  const uris = texts
    .join('\n')
    .split('\n')
    .map((l) => l.trim())
    .flatMap((l) => {
      const deb = l.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/);
      if (deb) return [deb[1]];
      const m = l.match(/^URIs:\s*(.+)$/i);
      return m ? m[1].split(/\s+/) : [];
    })
    .map((u) => u.replace(/\/+$/, ''));
  const main =
    env.JOBFORGE_DEBIAN_MIRROR || uris.find((u) => /\/debian$/.test(u)) || 'http://deb.debian.org/debian';
  const security =
    env.JOBFORGE_DEBIAN_SECURITY_MIRROR ||
    uris.find((u) => /\/debian-security$/.test(u)) ||
    'http://deb.debian.org/debian-security';
  for (const [name, value] of [
    ['JOBFORGE_DEBIAN_MIRROR', main],
    ['JOBFORGE_DEBIAN_SECURITY_MIRROR', security],
  ]) {
    if (!/^(https?|file):\/\/\S+$/.test(value)) {
      throw new Error(`'${name}' must be an http(s):// or file:// URL, got ${JSON.stringify(value)}`);
    }
  }
  return { main, security };
}

/** The mirrors apt uses on this machine (so debootstrap reaches the same one). */
function debianMirrors() {
  const texts = [];
  for (const f of ['/etc/apt/sources.list', '/etc/apt/sources.list.d']) {
    if (!fs.existsSync(f)) continue;
    const files = fs.statSync(f).isDirectory()
      ? fs
          .readdirSync(f)
          .sort()
          .map((n) => path.join(f, n))
      : [f];
    for (const file of files)
      if (/(^|\/)sources\.list$|\.(list|sources)$/.test(file)) texts.push(fs.readFileSync(file, 'utf8'));
  }
  return parseAptMirrors(texts, process.env);
}

function rootfsKey(mirrors) {
  return `rootfs-${SUITE}-${sha256([JSON.stringify({ ROOTFS_RECIPE, SUITE, PACKAGES, TRIM, mirrors })]).slice(0, 12)}`;
}

/** Mounts /proc in `root` for `fn` (apt and dpkg's maintainer scripts want it). */
function withProc(root, fn) {
  const proc = path.join(root, 'proc');
  run('mount', ['-t', 'proc', 'proc', proc]);
  try {
    fn();
  } finally {
    run('umount', [proc]);
  }
}

/** The root filesystem tar (built once per key): debootstrap, security updates, trimmed. */
function ensureRootfs() {
  const mirrors = debianMirrors();
  const dir = path.join(cacheRoot(), rootfsKey(mirrors));
  const tar = path.join(dir, 'rootfs.tar');
  buildOnce(dir, path.join(dir, '.complete'), () => {
    requireCommands(['debootstrap', 'chroot', 'mount']);
    const t0 = Date.now();
    fs.rmSync(dir, { recursive: true, force: true });
    const root = path.join(dir, 'root');
    fs.mkdirSync(root, { recursive: true });
    log(`debootstrap ${SUITE} from ${mirrors.main}`);
    run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, root, mirrors.main], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    fs.writeFileSync(
      path.join(root, 'etc', 'apt', 'sources.list'),
      [
        `deb ${mirrors.main} ${SUITE} main`,
        `deb ${mirrors.main} ${SUITE}-updates main`,
        `deb ${mirrors.security} ${SUITE}-security main`,
        '',
      ].join('\n'),
    );
    withProc(root, () => {
      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
      const quiet = { env, stdio: ['ignore', 'ignore', 'inherit'] };
      run('chroot', [root, 'apt-get', 'update', '-qq'], quiet);
      run('chroot', [root, 'apt-get', 'upgrade', '-y', '-qq', '--no-install-recommends'], quiet);
      run('chroot', [root, 'apt-get', 'clean'], { env });
    });
    for (const t of TRIM) {
      const p = path.join(root, t);
      if (!fs.existsSync(p)) continue;
      for (const e of fs.readdirSync(p)) fs.rmSync(path.join(p, e), { recursive: true, force: true });
    }
    const doc = path.join(root, 'usr', 'share', 'doc');
    for (const pkg of fs.readdirSync(doc)) {
      const d = path.join(doc, pkg);
      if (!fs.lstatSync(d).isDirectory()) continue;
      for (const e of fs.readdirSync(d))
        if (e !== 'copyright') fs.rmSync(path.join(d, e), { recursive: true, force: true });
    }
    // The runtime provides DNS; the host's resolver does not belong in the image.
    fs.rmSync(path.join(root, 'etc', 'resolv.conf'), { force: true });
    run('tar', ['--numeric-owner', '--xattrs', '-C', root, '-cf', tar, '.']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.writeFileSync(path.join(dir, '.complete'), new Date().toISOString());
    log(
      `root filesystem: ${(fs.statSync(tar).size / 1e6).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  });
  return { tar, key: path.basename(dir) };
}

/** Every file the compiled code and its dependencies come from, sorted (relative to the repo). */
function inputFiles() {
  const files = [
    'Containerfile',
    'package.json',
    'package-lock.json',
    '.npmrc',
    'tsconfig.json',
    'tsconfig.build.json',
  ];
  const walk = (rel) => {
    const abs = path.join(REPO, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isFile()) {
      files.push(rel);
      return;
    }
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(rel, e.name));
      else if (e.isFile() && e.name.endsWith('.ts')) files.push(path.join(rel, e.name));
    }
  };
  for (const s of SOURCES) walk(s);
  return files.sort();
}

/** The Kyverno CLI of the engines build (its path names its family's cache key). */
function kyvernoCli() {
  const link = enginePaths().kyverno;
  if (!fs.existsSync(link)) {
    throw new Error(`the Kyverno CLI is not built, got no ${link}: run \`npm run tools\` first`);
  }
  return fs.realpathSync(link);
}

function packageJson() {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
}

/** The image's name (repository) and tag, from the compiled core/jobforge-image.js of `appDir`. */
function imageNameFrom(appDir) {
  const m = require(path.join(appDir, 'lib', 'core', 'jobforge-image.js'));
  return { repository: m.JOBFORGE_IMAGE_REPOSITORY, tag: m.JOBFORGE_VERSION, source: m.JOBFORGE_SOURCE };
}

function revision() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...inputFiles()], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * Writes the build context into `dir` (which must not exist): node and kyverno (stripped of
 * debug information), app/ (package.json, lib/, production node_modules/), and rootfs.tar when given.
 */
function writeContext(dir, rootfsTar) {
  requireCommands(['strip', 'npm']);
  if (fs.existsSync(dir)) throw new Error(`'--context' must not exist yet, got ${JSON.stringify(dir)}`);
  fs.mkdirSync(dir, { recursive: true });
  run('strip', ['-o', path.join(dir, 'node'), node24()]);
  run('strip', ['-o', path.join(dir, 'kyverno'), kyvernoCli()]);
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json', '.npmrc'])
    fs.copyFileSync(path.join(REPO, f), path.join(app, f));
  // No peer dependencies: the CLI loads neither cdk8s nor Pulumi (a user's program brings them).
  run(
    'npm',
    ['ci', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: app,
    },
  );
  fs.rmSync(path.join(app, '.npmrc'));
  pruneNodeModules(path.join(app, 'node_modules'));
  run(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc', { paths: [REPO] }),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      path.join(app, 'lib'),
      '--declaration',
      'false',
    ],
    { cwd: REPO },
  );
  if (rootfsTar) {
    try {
      fs.linkSync(rootfsTar, path.join(dir, 'rootfs.tar'));
    } catch {
      fs.copyFileSync(rootfsTar, path.join(dir, 'rootfs.tar'));
    }
  }
  return imageNameFrom(app);
}

function pruneNodeModules(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) pruneNodeModules(p);
    else if (e.isFile() && PRUNE.test(e.name)) fs.rmSync(p);
  }
}

/** The cache entry of the image of the current inputs over the root filesystem `rootfsKey`. */
function imageDir(rootfsKey) {
  const files = inputFiles();
  const kyverno = kyvernoCli();
  const key = sha256([
    JSON.stringify({ NODE_VERSION, kyverno, rootfs: rootfsKey, files, PRUNE: String(PRUNE) }),
    fs.readFileSync(path.join(__dirname, 'image.js')),
    ...files.map((f) => fs.readFileSync(path.join(REPO, f))),
  ]).slice(0, 16);
  return { key, dir: path.join(cacheRoot(), `jobforge-${packageJson().version}-${key}`) };
}

/** buildah with its own vfs storage under `dir`. */
function buildah(dir, args, opts) {
  run(
    'buildah',
    [
      '--storage-driver',
      'vfs',
      '--root',
      path.join(dir, 'storage'),
      '--runroot',
      path.join(dir, 'run'),
      ...args,
    ],
    opts,
  );
}

/** Sizes of an OCI archive: the layers uncompressed, and gzipped (as a registry would store them). */
function archiveSizes(archive, work) {
  const x = path.join(work, 'oci');
  fs.mkdirSync(x);
  run('tar', ['-xf', archive, '-C', x]);
  const blob = (d) => path.join(x, 'blobs', ...d.split(':'));
  const index = JSON.parse(fs.readFileSync(path.join(x, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
  let uncompressed = 0;
  let gzipped = 0;
  for (const l of manifest.layers) {
    const file = blob(l.digest);
    const gz = /gzip/.test(l.mediaType);
    const raw = gz
      ? Number(execFileSync('sh', ['-c', 'gzip -dc "$1" | wc -c', 'sh', file]).toString())
      : fs.statSync(file).size;
    uncompressed += raw;
    gzipped += gz
      ? fs.statSync(file).size
      : Number(execFileSync('sh', ['-c', 'gzip -c "$1" | wc -c', 'sh', file]).toString());
  }
  fs.rmSync(x, { recursive: true, force: true });
  return {
    uncompressedBytes: uncompressed,
    gzippedBytes: gzipped,
    layers: manifest.layers.length,
    manifestDigest: index.manifests[0].digest,
  };
}

/** Removes completed image entries other than the newest KEEP_IMAGES (never one being built). */
function pruneOldImages() {
  const root = cacheRoot();
  const entries = fs
    .readdirSync(root)
    .filter(
      (n) =>
        n.startsWith('jobforge-') && !n.endsWith('.lock') && fs.existsSync(path.join(root, n, '.complete')),
    )
    .filter((n) => !fs.existsSync(path.join(root, `${n}.lock`)))
    .map((n) => ({ n, t: fs.statSync(path.join(root, n, '.complete')).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of entries.slice(KEEP_IMAGES))
    fs.rmSync(path.join(root, n), { recursive: true, force: true });
}

/** Builds the image of the current inputs unless cached; returns its description (image.json). */
function ensureImage() {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`tools/image.js runs buildah and debootstrap as root, got uid ${process.getuid()}`);
  }
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const rootfs = ensureRootfs();
  const { key, dir } = imageDir(rootfs.key);
  const info = path.join(dir, 'image.json');
  buildOnce(dir, path.join(dir, '.complete'), () => {
    requireCommands(['buildah']);
    const t0 = Date.now();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const context = path.join(dir, 'context');
    const name = writeContext(context, rootfs.tar);
    const tContext = Date.now();
    const reference = `${name.repository}:${name.tag}`;
    const rev = revision();
    buildah(dir, [
      'bud',
      '--isolation',
      'chroot',
      '--build-arg',
      'BASE=rootfs',
      '--build-arg',
      `VERSION=${name.tag}`,
      '--build-arg',
      `REVISION=${rev}`,
      '--build-arg',
      `SOURCE=${name.source}`,
      '--tag',
      reference,
      '-f',
      path.join(REPO, 'Containerfile'),
      context,
    ]);
    const archive = path.join(dir, ARCHIVE);
    buildah(dir, ['push', '--quiet', reference, `oci-archive:${archive}:${reference}`]);
    fs.rmSync(path.join(dir, 'storage'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'run'), { recursive: true, force: true });
    fs.rmSync(context, { recursive: true, force: true });
    const sizes = archiveSizes(archive, dir);
    const description = {
      reference,
      repository: name.repository,
      tag: name.tag,
      revision: rev,
      archive,
      ...sizes,
      contextSeconds: Math.round((tContext - t0) / 1000),
      buildSeconds: Math.round((Date.now() - t0) / 1000),
      key,
      rootfs: rootfs.key,
    };
    fs.writeFileSync(info, `${JSON.stringify(description, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, '.complete'), new Date().toISOString());
    const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
    log(
      `${reference}: ${mb(sizes.uncompressedBytes)} uncompressed, ${mb(sizes.gzippedBytes)} gzipped, built in ${description.buildSeconds} s`,
    );
    pruneOldImages();
  });
  return JSON.parse(fs.readFileSync(info, 'utf8'));
}

/** The description of the image of the current inputs if it is built, else undefined. Builds nothing. */
function builtImage() {
  const { dir } = imageDir(rootfsKey(debianMirrors()));
  if (!fs.existsSync(path.join(dir, '.complete'))) return undefined;
  return JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8'));
}

/** The command line: returns the exit code; output on stdout, messages on stderr. */
function main(args) {
  try {
    if (args[0] === '--check') {
      if (args.length > 1)
        throw new Error(`'--check' takes no argument, got ${JSON.stringify(args.slice(1).join(' '))}`);
      const built = builtImage();
      if (!built) {
        log('the image of the current inputs is not built (npm run image)');
        return 1;
      }
      process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
    } else if (args[0] === '--context') {
      if (!args[1] || args.length > 2) {
        throw new Error(`'--context' takes one directory, got ${JSON.stringify(args.slice(1).join(' '))}`);
      }
      const name = writeContext(path.resolve(args[1]), undefined);
      log(`context written to ${args[1]} for ${name.repository}:${name.tag}`);
    } else if (args.length) {
      throw new Error(`tools/image.js takes --check or --context DIR, got ${JSON.stringify(args.join(' '))}`);
    } else {
      const t0 = Date.now();
      const image = ensureImage();
      log(`${image.reference} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${image.archive}`);
      process.stdout.write(`${JSON.stringify(image, null, 2)}\n`);
    }
    return 0;
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    return 1;
  }
}

module.exports = { ensureImage, builtImage, writeContext, debianMirrors, parseAptMirrors, cacheRoot, main };

if (require.main === module) process.exit(main(process.argv.slice(2)));
