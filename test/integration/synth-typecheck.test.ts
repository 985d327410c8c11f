// `npm run synth` type-checks the app: cdk8s.yaml's `app` command, run on a copy of main.ts with
// one misspelled prop, fails and names it (a transpile-only run would ignore the typo).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

jest.setTimeout(120000);

const ROOT = path.resolve(__dirname, '../..');

test('the synth command fails on a misspelled prop in main.ts', async () => {
  const { app } = parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')) as { app: string };
  // A sibling of main.ts's directory, so that its imports and node_modules resolve the same way.
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-synth-'));
  try {
    const main = fs.readFileSync(path.join(ROOT, 'main.ts'), 'utf8');
    expect(main).toContain('  backoffLimit: 2,');
    fs.writeFileSync(
      path.join(dir, 'main.ts'),
      main.replace(/from '\.\//g, "from '../").replace('  backoffLimit: 2,', '  backofLimit: 2,'),
    );
    const result = await new Promise<{ failed: boolean; output: string }>((resolve) =>
      execFile(
        'sh',
        ['-c', app],
        { cwd: dir, env: { ...process.env, CDK8S_OUTDIR: dir } },
        (err, stdout, stderr) => resolve({ failed: err !== null, output: `${stdout}${stderr}` }),
      ),
    );
    expect(result.output).toContain("'backofLimit' does not exist in type 'KubernetesJobProps'");
    expect(result.failed).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
