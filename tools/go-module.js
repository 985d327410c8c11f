'use strict';
/**
 * The Go modules pinned by the engines' go.mod files (tools/<family>/go.mod), read for the files
 * jobforge derives from them: the version a go.mod requires, the module's directory in the Go
 * module cache (downloaded when missing), and a generated file written or checked (`--check`)
 * against what its generator derives. Used by tools/vendor-crds.js, tools/daemon-job-schema.js and
 * the e2e support (test/support/e2e-engines.ts).
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');

/** The version of `module` that `goModFile` (relative to the repository) requires. */
function requiredVersion(goModFile, module) {
  const text = fs.readFileSync(path.join(REPO_ROOT, goModFile), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`${goModFile} does not require ${module}`);
  return match[1];
}

/**
 * The directory of `module` at the version `goModFile` requires, in the Go module cache; `go mod
 * download`ed (from the go.mod's directory) when `probe`, a path inside it, is missing.
 */
function moduleDir(goModFile, module, probe) {
  const version = requiredVersion(goModFile, module);
  const modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const dir = path.join(modcache, `${module}@${version}`);
  if (!fs.existsSync(path.join(dir, probe))) {
    process.stderr.write(`[go-module] downloading ${module}@${version} into the Go module cache\n`);
    execFileSync('go', ['mod', 'download', module], {
      cwd: path.join(REPO_ROOT, path.dirname(goModFile)),
      stdio: 'inherit',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    });
  }
  return { dir, version };
}

/** A file of `module` (as required by `goModFile`): its text, the module version and its SHA-256. */
function moduleFile(goModFile, module, file) {
  const { dir, version } = moduleDir(goModFile, module, file);
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  return { text, version, sha256: crypto.createHash('sha256').update(text).digest('hex') };
}

/**
 * Writes `text` to `out` (relative to the repository) when it differs, or with `check` reports
 * (`stale`) and writes nothing. Returns whether the file was stale.
 */
function syncGenerated(out, text, { check, stale }) {
  const file = path.join(REPO_ROOT, out);
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current === text) return false;
  if (check) {
    process.stderr.write(`${stale}\n`);
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    process.stdout.write(`wrote ${out} (${text.length} bytes)\n`);
  }
  return true;
}

module.exports = { REPO_ROOT, requiredVersion, moduleDir, moduleFile, syncGenerated };
