// The process supervision every engine relies on (test/support/processes.ts): a stopped process
// takes its whole group with it, and nothing survives the death of the process that started it.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, sleep, startProcess, waitFor } from '../support/processes';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); ps tells them apart.
    return !/Z/.test(execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

describe('startProcess', () => {
  it('stop() kills the whole process group, children included', async () => {
    const dir = makeTempDir('proc');
    const pidFile = path.join(dir, 'child.pid');
    const proc = startProcess('group', 'sh', ['-c', `sleep 300 & echo $! > ${pidFile}; wait`], {
      logFile: path.join(dir, 'group.log'),
    });
    const childPid = await waitFor(
      'child pid',
      async () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) || undefined,
      { timeoutMs: 5000 },
    );
    expect(alive(Number(childPid))).toBe(true);
    await proc.stop();
    expect(proc.running()).toBe(false);
    expect(alive(proc.pid)).toBe(false);
    expect(alive(Number(childPid))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kills what a SIGKILLed parent left behind (watchdog)', async () => {
    const dir = makeTempDir('proc');
    const pidFile = path.join(dir, 'server.pid');
    const orphanDir = path.join(dir, 'state');
    fs.mkdirSync(orphanDir);
    // A parent that starts a long-running process through startProcess, then dies without cleanup.
    const script = [
      "require('ts-node').register({ transpileOnly: true });",
      `const { startProcess } = require(${JSON.stringify(path.join(__dirname, '..', 'support', 'processes.ts'))});`,
      `const p = startProcess('orphan', 'sleep', ['300'], { logFile: ${JSON.stringify(path.join(dir, 'orphan.log'))}, orphanDir: ${JSON.stringify(orphanDir)} });`,
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(p.pid));`,
      "process.kill(process.pid, 'SIGKILL');",
    ].join('\n');
    const parent = spawn(process.execPath, ['-e', script], {
      stdio: 'ignore',
      cwd: path.join(__dirname, '..', '..'),
    });
    await new Promise((r) => parent.on('exit', r));
    const orphan = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor('orphan to be killed', async () => (alive(orphan) ? undefined : true), {
      timeoutMs: 10000,
    });
    expect(alive(orphan)).toBe(false);
    await sleep(10);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the exit code and keeps the output in the log file', async () => {
    const proc = startProcess('short', 'sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(await proc.exited).toBe(3);
    expect(proc.logTail()).toContain('out\nerr');
    await proc.stop();
    fs.rmSync(proc.logFile, { force: true });
  });
});
