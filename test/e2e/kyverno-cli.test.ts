// (3) The Kyverno CLI built by tools/engines.js runs: `kyverno version` reports the pinned release
// and `kyverno test` checks a small generate policy of ours (one Job per image, named with the
// sha256 JMESPath function) against the Job it must generate, and fails when that Job differs.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2eEnv } from '../support/e2e-env';
import { kyvernoVersion } from '../support/e2e-engines';
import { makeTempDir } from '../support/processes';

const FIXTURE = path.join(__dirname, 'fixtures', 'kyverno-generate');

function kyverno(args: string[]): Promise<{ code: number; output: string }> {
  const bin = path.join(e2eEnv().binDir, 'kyverno');
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('kyverno CLI', () => {
  it('reports the pinned version', async () => {
    const r = await kyverno(['version']);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`Version: ${kyvernoVersion()}`);
  });

  it('passes `kyverno test` on our generate policy', async () => {
    const r = await kyverno(['test', FIXTURE, '--remove-color']);
    expect(r.output).toContain('Test Summary: 1 tests passed and 0 tests failed');
    expect(r.output).toMatch(
      /job-per-image\s*│\s*generate-image-job\s*│\s*\/image-job-4b0bf88b0b89\s*│\s*Pass/,
    );
    expect(r.code).toBe(0);
  });

  it('fails `kyverno test` when the expected generated Job differs', async () => {
    const dir = makeTempDir('kyverno-test');
    try {
      for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
      const generated = path.join(dir, 'generated-job.yaml');
      fs.writeFileSync(
        generated,
        fs.readFileSync(generated, 'utf8').replace('backoffLimit: 0', 'backoffLimit: 3'),
      );
      const r = await kyverno(['test', dir, '--remove-color']);
      expect(r.output).toContain('Test Summary: 0 tests passed and 1 tests failed');
      expect(r.code).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
