#!/usr/bin/env node
// Builds the real engines the e2e suite runs (Pulumi CLI and pulumi-resource-kubernetes,
// kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok, the Kyverno CLI and
// controllers, moto) into a per-machine cache outside the repository, keyed by the pinned versions, so a
// second run finds everything and returns in well under a second.
//
//   node tools/engines.js            build whatever is missing, print the bin directory
//   node tools/engines.js --check    exit 1 if something is missing, build nothing
//
// Each Go tool family has its own module under tools/<family>/ (go.mod with a `tool` directive,
// the upstream `replace`s it needs, checked-in go.sum). The cache key is a hash of that go.mod
// and go.sum plus the Go version and the build flags, so changing a pin rebuilds only that family.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TOOLS_DIR = __dirname;
const MOTO_VERSION = '5.2.5';
// The IaC scanner the e2e suite runs over every synthesized example (test/e2e/checkov.test.ts).
const CHECKOV_VERSION = '3.3.30';
const PULUMI_KUBERNETES_VERSION = '4.25.0';
const PULUMI_KUBERNETES_MODULE = 'github.com/pulumi/pulumi-kubernetes/provider/v4';
const KUBE_LDFLAGS = [
  '-X k8s.io/component-base/version.gitVersion=v1.36.3',
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=36',
  '-X k8s.io/component-base/version.gitTreeState=clean',
].join(' ');

/**
 * `keyFiles`: more files of the family's directory that go into its cache key; `prepare`: runs in
 * that directory before the build (not part of the key: list what it reads or writes in keyFiles).
 * @type {Record<string, {binaries: Record<string, {pkg: string, ldflags?: string, tags?: string}>, keyFiles?: string[], prepare?: (dir: string) => void}>}
 */
const FAMILIES = {
  pulumi: {
    binaries: {
      pulumi: {
        pkg: 'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
        tags: 'osusergo,grpcnotrace',
        ldflags: '-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.248.0',
      },
    },
  },
  etcd: {
    binaries: { etcd: { pkg: 'go.etcd.io/etcd/server/v3' } },
  },
  kubernetes: {
    binaries: Object.fromEntries(
      ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((name) => [
        name,
        { pkg: `k8s.io/kubernetes/cmd/${name}`, ldflags: KUBE_LDFLAGS },
      ]),
    ),
  },
  kwok: {
    binaries: {
      kwok: {
        pkg: 'sigs.k8s.io/kwok/cmd/kwok',
        ldflags: '-X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0',
      },
    },
  },
  // The provider plugin of @pulumi/kubernetes, built from a copy of its main package (see
  // tools/pulumi-kubernetes/go.mod); writePulumiKubernetesEmbeds makes the files it embeds.
  'pulumi-kubernetes': {
    binaries: {
      'pulumi-resource-kubernetes': {
        pkg: './cmd/pulumi-resource-kubernetes',
        ldflags: `-X ${PULUMI_KUBERNETES_MODULE}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}`,
      },
    },
    keyFiles: ['cmd/pulumi-resource-kubernetes/main.go'],
    prepare: writePulumiKubernetesEmbeds,
  },
  kyverno: {
    binaries: Object.fromEntries(
      [
        ['kyverno', 'cmd/cli/kubectl-kyverno'],
        ['kyverno-admission-controller', 'cmd/kyverno'],
        ['kyverno-background-controller', 'cmd/background-controller'],
      ].map(([name, cmd]) => [
        name,
        {
          pkg: `github.com/kyverno/kyverno/${cmd}`,
          ldflags: '-X github.com/kyverno/kyverno/pkg/version.BuildVersion=v1.19.1',
        },
      ]),
    ),
  },
};

function cacheRoot() {
  return (
    process.env.JOBFORGE_TOOLS_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'jobforge', 'tools')
  );
}

function goVersion() {
  return execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
}

function familyKey(family, goVer) {
  const h = crypto.createHash('sha256');
  for (const f of ['go.mod', 'go.sum', ...(FAMILIES[family].keyFiles ?? [])]) {
    h.update(fs.readFileSync(path.join(TOOLS_DIR, family, f)));
  }
  h.update(goVer);
  h.update(JSON.stringify(FAMILIES[family]));
  return `${family}-${h.digest('hex').slice(0, 12)}`;
}

function pythonVersion() {
  return execFileSync('python3', ['-c', 'import sys;print("%d.%d"%sys.version_info[:2])'], {
    encoding: 'utf8',
  }).trim();
}

function motoKey() {
  return `moto-${MOTO_VERSION}-py${pythonVersion()}`;
}

/** The directory the e2e suite puts first on PATH: every engine, by its plain name. */
function binDir() {
  return path.join(cacheRoot(), 'bin');
}

/** Absolute paths of every engine binary, keyed by name. */
function enginePaths() {
  const dir = binDir();
  const names = [
    ...Object.values(FAMILIES).flatMap((f) => Object.keys(f.binaries)),
    'moto_server',
    'checkov',
    'pulumi-resource-pulumi-nodejs',
    'pulumi-language-nodejs',
  ];
  return Object.fromEntries(names.map((n) => [n, path.join(dir, n)]));
}

function missing() {
  return Object.entries(enginePaths())
    .filter(([, p]) => !fs.existsSync(p))
    .map(([n]) => n);
}

function log(msg) {
  process.stderr.write(`[engines] ${msg}\n`);
}

function timed(label, fn) {
  const t0 = Date.now();
  fn();
  log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with status ${r.status}`);
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Runs `build` unless `done` exists, holding `<done's dir>.lock` (mkdir is atomic) so two
 * processes never build one cache entry at once: `npm run tools` and an e2e global setup, or two
 * worktrees. A waiter re-checks `done` once it gets the lock; a lock whose owner died is taken over.
 */
function buildOnce(dir, done, build) {
  if (fs.existsSync(done)) return;
  const lock = `${dir}.lock`;
  const owner = path.join(lock, 'pid');
  let waiting = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(owner, String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number(fs.readFileSync(owner, 'utf8'));
      } catch {
        // the owner is between mkdir and writing its pid
      }
      if (pid && !processAlive(pid)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!waiting) log(`waiting for process ${pid || '?'} building ${path.basename(dir)}`);
      waiting = true;
      sleepMs(2000);
    }
  }
  try {
    if (!fs.existsSync(done)) build();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// Atomic and a no-op when already right: other test runs may be using the bin dir right now.
function linkInto(dir, name, target) {
  const link = path.join(dir, name);
  try {
    if (fs.readlinkSync(link) === target) return;
  } catch {
    // missing, or not a link
  }
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

function buildGoFamily(family, goVer) {
  const out = path.join(cacheRoot(), familyKey(family, goVer));
  const bins = FAMILIES[family].binaries;
  const done = path.join(out, '.complete');
  buildOnce(out, done, () => {
    fs.mkdirSync(out, { recursive: true });
    const prepare = FAMILIES[family].prepare;
    if (prepare) timed(`prepare ${family}`, () => prepare(path.join(TOOLS_DIR, family)));
    for (const [name, b] of Object.entries(bins)) {
      const args = ['build', '-trimpath', '-o', path.join(out, name)];
      if (b.tags) args.push('-tags', b.tags);
      if (b.ldflags) args.push('-ldflags', b.ldflags);
      args.push(b.pkg);
      timed(`go build ${name}`, () =>
        run('go', args, {
          cwd: path.join(TOOLS_DIR, family),
          env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' },
        }),
      );
    }
    fs.writeFileSync(done, new Date().toISOString());
  });
  for (const name of Object.keys(bins)) linkInto(binDir(), name, path.join(out, name));
}

/**
 * What upstream's `go generate` (cmd/pulumi-resource-kubernetes/generate.go) writes next to its
 * main package: schema.json with the version set, and terraform-mapping.json, both compacted. Read
 * from the pinned provider module (downloaded into the Go module cache if missing).
 */
function writePulumiKubernetesEmbeds(dir) {
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', PULUMI_KUBERNETES_MODULE], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    }),
  );
  const upstream = path.join(info.Dir, 'cmd', 'pulumi-resource-kubernetes');
  const main = path.join(dir, 'cmd', 'pulumi-resource-kubernetes');
  const read = (f) => JSON.parse(fs.readFileSync(path.join(upstream, f), 'utf8'));
  const schema = { ...read('schema.json'), version: PULUMI_KUBERNETES_VERSION };
  fs.writeFileSync(path.join(main, 'schema-embed.json'), JSON.stringify(schema));
  fs.writeFileSync(
    path.join(main, 'terraform-mapping-embed.json'),
    JSON.stringify(read('terraform-mapping.json')),
  );
}

/** A pinned PyPI package in its own venv in the cache (keyed by the pin and Python's version), linked into the bin dir. */
function buildPythonTool(label, requirement, venvName, executable) {
  const venv = path.join(cacheRoot(), venvName);
  const exe = path.join(venv, 'bin', executable);
  const done = path.join(venv, '.complete');
  buildOnce(venv, done, () =>
    timed(`${label} venv`, () => {
      fs.rmSync(venv, { recursive: true, force: true });
      run('python3', ['-m', 'venv', venv]);
      run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', requirement]);
      fs.writeFileSync(done, new Date().toISOString());
    }),
  );
  linkInto(binDir(), executable, exe);
}

function buildMoto() {
  const venv = path.join(cacheRoot(), motoKey());
  // A venv from before the .complete marker: complete when its server exists.
  if (fs.existsSync(path.join(venv, 'bin', 'moto_server')) && !fs.existsSync(path.join(venv, '.complete'))) {
    fs.writeFileSync(path.join(venv, '.complete'), new Date().toISOString());
  }
  buildPythonTool('moto', `moto[server]==${MOTO_VERSION}`, motoKey(), 'moto_server');
}

function buildCheckov() {
  buildPythonTool(
    'checkov',
    `checkov==${CHECKOV_VERSION}`,
    `checkov-${CHECKOV_VERSION}-py${pythonVersion()}`,
    'checkov',
  );
}

// The Pulumi engine starts dynamic providers as a plugin named pulumi-resource-pulumi-nodejs.
// Pulumi's release bundles a shell script of that name; this is ours: it runs the provider
// entry point of the @pulumi/pulumi that the program (its working directory) resolves.
function writeDynamicProviderShim() {
  writeExecutable(
    'pulumi-resource-pulumi-nodejs',
    `#!/bin/sh
# Written by jobforge tools/engines.js. Runs @pulumi/pulumi's dynamic provider host.
entry=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd(), process.env.JOBFORGE_NODE_MODULES_ROOT || process.cwd()] }))') || exit 1
exec node "$entry" "$@"
`,
  );
}

// The Go module proxy refuses Pulumi's Node.js language host module, so the bin dir gets our
// stand-in (tools/pulumi-language-nodejs.js), copied rather than linked: the cache outlives clones.
function writeLanguageHost() {
  writeExecutable(
    'pulumi-language-nodejs',
    fs.readFileSync(path.join(TOOLS_DIR, 'pulumi-language-nodejs.js'), 'utf8'),
  );
}

/** Writes an executable into the bin dir atomically, and only when its content changed. */
function writeExecutable(name, body) {
  const file = path.join(binDir(), name);
  try {
    if (fs.readFileSync(file, 'utf8') === body) return;
  } catch {
    // missing
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, body, { mode: 0o755 });
  fs.renameSync(tmp, file);
}

function ensureEngines() {
  fs.mkdirSync(binDir(), { recursive: true });
  const goVer = goVersion();
  const families = (process.env.JOBFORGE_ENGINES || Object.keys(FAMILIES).join(','))
    .split(',')
    .filter((f) => f in FAMILIES);
  for (const family of families) buildGoFamily(family, goVer);
  buildMoto();
  buildCheckov();
  writeDynamicProviderShim();
  writeLanguageHost();
  return binDir();
}

module.exports = { binDir, buildOnce, enginePaths, ensureEngines, missing, cacheRoot, CHECKOV_VERSION };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const m = missing();
    if (m.length) {
      log(`missing: ${m.join(', ')}`);
      process.exit(1);
    }
    process.stdout.write(`${binDir()}\n`);
  } else {
    const t0 = Date.now();
    const dir = ensureEngines();
    log(`all engines ready in ${dir} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    process.stdout.write(`${dir}\n`);
  }
}
