// The npm package as other projects get it: the build (tsconfig.build.json) into a temp directory,
// its entries required in fresh Node processes, and `npm pack`'s file list for it. The root entry
// (`jobforge`) must never load Pulumi, the AWS SDK or the TypeScript compiler.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../support/processes';

jest.setTimeout(180000);

const ROOT = path.resolve(__dirname, '../..');
const FORBIDDEN = /[\\/]node_modules[\\/](@pulumi[\\/][^\\/]+|@aws-sdk[\\/][^\\/]+|typescript)[\\/]/;

/** The first package directory of a module path under node_modules. */
const PACKAGE = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/;

let pkgDir: string;

beforeAll(() => {
  pkgDir = makeTempDir('package');
  execFileSync(process.execPath, [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    path.join(pkgDir, 'lib'),
  ]);
  for (const f of ['package.json', 'README.md', 'LICENSE'])
    fs.copyFileSync(path.join(ROOT, f), path.join(pkgDir, f));
});

interface Loaded {
  modules: number;
  forbidden: string[];
  /** The npm packages it loaded. */
  packages: string[];
  exports: string[];
}

/** Requires an entry of the built package in a fresh Node process; what it loaded. */
function load(entry: string): Loaded {
  const script = `
    const exp = require(process.argv[1]);
    const modules = Object.keys(require.cache);
    const forbidden = [...new Set(modules.map((m) => (${FORBIDDEN}.exec(m) || [])[1]).filter(Boolean))];
    const packages = [...new Set(modules.map((m) => (${PACKAGE}.exec(m) || [])[1]).filter(Boolean))].sort();
    process.stdout.write(JSON.stringify({ modules: modules.length, forbidden, packages, exports: Object.keys(exp) }));`;
  const out = execFileSync(process.execPath, ['-e', script, path.join(pkgDir, entry)], {
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  return JSON.parse(out.toString()) as Loaded;
}

test('the root entry loads the constructs and the core without Pulumi, the AWS SDK or TypeScript', () => {
  const root = load('lib/index.js');
  console.log(`require('jobforge') loaded ${root.modules} modules`);
  expect(root.forbidden).toEqual([]);
  expect(root.exports).toEqual(
    expect.arrayContaining([
      'KubernetesJob',
      'KubernetesCronJob',
      'DaemonJob',
      'loadNodes',
      'syncKyvernoPolicies',
    ]),
  );
  expect(root.exports).not.toContain('ImagePipeline');
  // The libraries of the pipeline, the policy sync and the CLI load on first use, not with the
  // constructs (bench/package-entry.bench.ts measures the cost).
  expect(root.packages).toEqual(['cdk8s', 'cdk8s-plus-28', 'constructs', 'tzdata']);
});

test('jobforge/pulumi holds the Pulumi components', () => {
  const pulumi = load('lib/pulumi.js');
  expect(pulumi.exports).toEqual(
    expect.arrayContaining([
      'ImagePipeline',
      'EcrReadRole',
      'KyvernoPolicySyncResource',
      'imagePipelineProgram',
      'KubernetesJob',
      'KubernetesCronJob',
      'DaemonJob',
      'UniqueJobPerImagePolicy',
      'KyvernoPolicySync',
      'OnDemandJobRunner',
      'ImageResourceController',
    ]),
  );
  expect(pulumi.forbidden).toContain('@pulumi/pulumi');
  // @pulumi/kubernetes (an optional peer) loads when a component that needs it is constructed.
  expect(pulumi.forbidden).not.toContain('@pulumi/kubernetes');
});

test('the tarball holds the compiled library, README and LICENSE, and no example app or source map', () => {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir }).toString(),
  ) as { files: { path: string }[]; size: number; entryCount: number }[];
  const files = packed.files.map((f) => f.path).sort();
  console.log(`tarball: ${packed.entryCount} files, ${packed.size} bytes`);
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
  expect(files).toEqual(
    expect.arrayContaining([
      'lib/index.js',
      'lib/index.d.ts',
      'lib/pulumi.js',
      'lib/pulumi.d.ts',
      'lib/bin/jobforge.js',
    ]),
  );
  const other = files.filter((f) => !['LICENSE', 'README.md', 'package.json'].includes(f));
  expect(other.filter((f) => !/^lib\/.*\.(js|d\.ts)$/.test(f))).toEqual([]);
  expect(files.filter((f) => /^lib\/(main|stacks\/program)\./.test(f))).toEqual([]);
  // Every .js ships with its declarations.
  expect(other.filter((f) => f.endsWith('.js') && !files.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
});
