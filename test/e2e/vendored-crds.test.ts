// crds/ holds CRDs copied from the engines' pinned modules (tools/vendor-crds.js). Once the engines
// are built the Go module cache has those modules, and the vendored files must be exactly what the
// script derives from them: a Kyverno bump in tools/kyverno/go.mod without re-vendoring fails here.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('vendored CRDs', () => {
  it('equal the pinned Kyverno module’s CRDs, reduced to the versions jobforge renders', async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'tools', 'vendor-crds.js'), '--check'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, GOTOOLCHAIN: 'local' },
      },
    );
    expect(stderr).toBe('');
  });
});
