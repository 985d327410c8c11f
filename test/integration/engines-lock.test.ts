// tools/engines.js builds each cache entry once even when several processes ask at the same time
// (`npm run tools` beside an e2e global setup, or two worktrees sharing ~/.cache/jobforge).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../support/processes';

const ENGINES = path.resolve(__dirname, '..', '..', 'tools', 'engines.js');

// A child process that asks buildOnce for `dir`; its build appends its pid to `log`, then takes a
// second, so the processes overlap.
function racer(dir: string, log: string): Promise<number> {
  const script = `
    const fs = require('node:fs');
    const { buildOnce } = require(${JSON.stringify(ENGINES)});
    buildOnce(${JSON.stringify(dir)}, ${JSON.stringify(path.join(dir, '.complete'))}, () => {
      fs.appendFileSync(${JSON.stringify(log)}, process.pid + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      fs.mkdirSync(${JSON.stringify(dir)}, { recursive: true });
      fs.writeFileSync(${JSON.stringify(path.join(dir, '.complete'))}, 'x');
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('tools/engines.js buildOnce', () => {
  it('three processes racing for one cache entry build it exactly once, and all succeed', async () => {
    const root = makeTempDir('engines-lock');
    const dir = path.join(root, 'family-abc');
    const log = path.join(root, 'builds.log');
    const codes = await Promise.all([racer(dir, log), racer(dir, log), racer(dir, log)]);
    expect(codes).toEqual([0, 0, 0]);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });

  it('takes over a lock whose owner died, and leaves a completed entry alone', async () => {
    const root = makeTempDir('engines-lock');
    const dir = path.join(root, 'family-def');
    const log = path.join(root, 'builds.log');
    fs.mkdirSync(`${dir}.lock`);
    fs.writeFileSync(path.join(`${dir}.lock`, 'pid'), '2147483646'); // no such process
    expect(await racer(dir, log)).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(await racer(dir, log)).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
