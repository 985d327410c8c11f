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
const path = require('node:path');
const YAML = require('yaml');
const { moduleFile, syncGenerated } = require('./go-module');

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

/** The vendored text of one entry: the source comment, then the CRD with only the kept versions. */
function render(entry) {
  const { text: source, version, sha256 } = moduleFile(entry.goMod, entry.module, entry.upstream);
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
    const message = `${entry.out} differs from ${entry.module} ${entry.upstream}: run npm run crds:vendor`;
    if (syncGenerated(entry.out, render(entry), { check, stale: message }) && check) stale += 1;
  }
  if (stale > 0) process.exit(1);
}

if (require.main === module) main();
