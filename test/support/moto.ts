// moto's server as the AWS ECR API for tests: any credentials, account 123456789012.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManagedProcess, freePort, makeTempDir, startProcess, waitFor } from './processes';

export interface MotoServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly process: ManagedProcess;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** POST /moto-api/reset on a running moto server; throws if it does not answer 200. */
export async function resetMotoAt(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (res.status !== 200)
    throw new Error(`moto reset at ${endpoint} failed: ${res.status} ${await res.text()}`);
}

/** Starts `moto_server` from `binDir` on a free port and waits until it answers. */
export async function startMoto(opts: { binDir: string }): Promise<MotoServer> {
  const dir = makeTempDir('moto');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const proc = startProcess(
      'moto',
      path.join(opts.binDir, 'moto_server'),
      ['-H', '127.0.0.1', '-p', String(port)],
      {
        logFile: path.join(dir, `moto-${attempt}.log`),
        orphanDir: dir,
        cwd: dir,
      },
    );
    try {
      await waitFor(
        'moto server',
        async () => {
          if (!proc.running()) throw new Error(`moto_server exited:\n${proc.logTail()}`);
          const res = await fetch(`${endpoint}/moto-api/data.json`);
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs: 60000, intervalMs: 200 },
      );
    } catch (e) {
      await proc.stop();
      if (attempt < 3 && /already in use/i.test(proc.logTail(200))) continue;
      throw e;
    }
    return {
      endpoint,
      process: proc,
      reset: () => resetMotoAt(endpoint),
      async stop() {
        await proc.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
