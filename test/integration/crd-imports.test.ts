// imports/ is generated code: `cdk8s import` of the CRDs vendored in crds/, as cdk8s.yaml lists
// them. These tests run the real cdk8s CLI in a directory that holds only cdk8s.yaml and crds/
// (as on any other machine) and require the result to equal what the repository ships.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as YAML from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CDK8S = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s');

interface Cdk8sConfig {
  imports?: string[];
}

function cdk8sConfig(): Cdk8sConfig {
  return YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk8s.yaml'), 'utf8')) as Cdk8sConfig;
}

/** The file part of an import spec (`[prefix:=]file`). */
function importFile(spec: string): string {
  return spec.includes(':=') ? spec.slice(spec.indexOf(':=') + 2) : spec;
}

describe('cdk8s imports', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-imports-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports only CRDs vendored in crds/, by relative path', () => {
    const imports = cdk8sConfig().imports ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) {
      const file = importFile(spec);
      expect(path.isAbsolute(file)).toBe(false);
      expect(path.normalize(file).startsWith(`crds${path.sep}`)).toBe(true);
      expect(fs.existsSync(path.join(REPO_ROOT, file))).toBe(true);
    }
  });

  it('records the source of every vendored CRD', () => {
    for (const spec of cdk8sConfig().imports ?? []) {
      const head = fs
        .readFileSync(path.join(REPO_ROOT, importFile(spec)), 'utf8')
        .split('\n', 4)
        .join('\n');
      expect(head).toMatch(/^# source: \S+@v\d+\.\d+\.\d+\S* \S+\.ya?ml$/m);
      expect(head).toMatch(/^# sha256: [0-9a-f]{64}$/m);
    }
  });

  it('`cdk8s import` on a machine with only cdk8s.yaml and crds/ reproduces imports/ byte for byte', async () => {
    fs.copyFileSync(path.join(REPO_ROOT, 'cdk8s.yaml'), path.join(dir, 'cdk8s.yaml'));
    fs.cpSync(path.join(REPO_ROOT, 'crds'), path.join(dir, 'crds'), { recursive: true });
    await promisify(execFile)(CDK8S, ['import', '--check-upgrade', 'false', '--output', 'imports'], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
    const shipped = fs.readdirSync(path.join(REPO_ROOT, 'imports')).sort();
    expect(fs.readdirSync(path.join(dir, 'imports')).sort()).toEqual(shipped);
    for (const file of shipped) {
      const generated = fs.readFileSync(path.join(dir, 'imports', file), 'utf8');
      expect(generated === fs.readFileSync(path.join(REPO_ROOT, 'imports', file), 'utf8')).toBe(true);
    }
  });

  it('ships only generated code that something imports', () => {
    const sources = ['constructs', 'core', 'stacks', 'bin']
      .flatMap((d) =>
        fs
          .readdirSync(path.join(REPO_ROOT, d), { recursive: true, encoding: 'utf8' })
          .map((f) => path.join(d, f)),
      )
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(REPO_ROOT, f), 'utf8'))
      .join('\n');
    for (const file of fs.readdirSync(path.join(REPO_ROOT, 'imports'))) {
      const module = path.basename(file, '.ts');
      expect(sources).toContain(`imports/${module}'`);
    }
  });
});
