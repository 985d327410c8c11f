#!/usr/bin/env node
'use strict';
/**
 * Vendors the CRDs that `cdk8s import` turns into imports/ (see cdk8s.yaml), from the Kyverno
 * module pinned in tools/kyverno/go.mod, keeping only the API versions jobforge renders.
 *
 *   node tools/vendor-crds.js          rewrite crds/ from the Go module cache
 *   node tools/vendor-crds.js --check  exit 1 when crds/ differs from what it would write
 *
 * Each vendored file starts with a comment that records its source (module, version, path and
 * the SHA-256 of the upstream file), so anyone can see where it came from and `cdk8s import`
 * reproduces imports/ on any machine without the Go module cache.
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const REPO_ROOT = path.resolve(__dirname, '..');
const KYVERNO_MODULE = 'github.com/kyverno/kyverno';

/** What is vendored: the upstream file inside the module and the versions kept. */
const VENDORED = [
  {
    module: KYVERNO_MODULE,
    goMod: path.join('tools', 'kyverno', 'go.mod'),
    upstream: 'config/crds/kyverno/kyverno.io_clusterpolicies.yaml',
    versions: ['v1'],
    out: path.join('crds', 'kyverno.io_clusterpolicies.yaml'),
  },
];

/** The version of `module` that a go.mod requires. */
function requiredVersion(goModFile, module) {
  const text = fs.readFileSync(path.join(REPO_ROOT, goModFile), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`${goModFile} does not require ${module}`);
  return match[1];
}

/** The module's directory in the Go module cache, downloaded when missing. */
function moduleDir(entry, version) {
  const modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const dir = path.join(modcache, `${entry.module}@${version}`);
  if (!fs.existsSync(path.join(dir, entry.upstream))) {
    execFileSync('go', ['mod', 'download', entry.module], {
      cwd: path.join(REPO_ROOT, path.dirname(entry.goMod)),
      stdio: 'inherit',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    });
  }
  return dir;
}

/** The vendored text of one entry: the source comment, then the CRD with only the kept versions. */
function render(entry) {
  const version = requiredVersion(entry.goMod, entry.module);
  const source = fs.readFileSync(path.join(moduleDir(entry, version), entry.upstream), 'utf8');
  const sha256 = crypto.createHash('sha256').update(source).digest('hex');
  const crd = YAML.parse(source);
  const served = crd.spec.versions.map((v) => v.name);
  const missing = entry.versions.filter((v) => !served.includes(v));
  if (missing.length > 0) {
    throw new Error(
      `${entry.upstream} in ${entry.module}@${version} has no version ${missing.join(', ')} (it has ${served.join(', ')})`,
    );
  }
  crd.spec.versions = crd.spec.versions.filter((v) => entry.versions.includes(v.name));
  const header = [
    `# Vendored by tools/vendor-crds.js; do not edit. Regenerate: npm run crds:vendor`,
    `# source: ${entry.module}@${version} ${entry.upstream}`,
    `# sha256: ${sha256}`,
    `# versions kept: ${entry.versions.join(', ')} (of ${served.join(', ')})`,
  ].join('\n');
  return `${header}\n${YAML.stringify(crd, { lineWidth: 0 })}`;
}

function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const entry of VENDORED) {
    const out = path.join(REPO_ROOT, entry.out);
    const text = render(entry);
    const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined;
    if (check) {
      if (current !== text) {
        stale += 1;
        console.error(`${entry.out} differs from ${entry.module} ${entry.upstream}: run npm run crds:vendor`);
      }
    } else if (current !== text) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
      console.log(`wrote ${entry.out}`);
    }
  }
  if (stale > 0) process.exit(1);
}

if (require.main === module) main();

module.exports = { VENDORED, render, requiredVersion };
