// `npm run bench [name ...]`: runs every bench/*.bench.ts, or the ones named (`batch-workloads`,
// `batch-workloads.bench.ts` or a path). A bench file default-exports `async function (): Promise<void>`
// that measures and prints its own ratios; adding one is adding a file.
import * as fs from 'node:fs';
import * as path from 'node:path';

function benchFiles(names: string[]): string[] {
  if (names.length === 0) {
    return fs
      .readdirSync(__dirname)
      .filter((f) => f.endsWith('.bench.ts'))
      .sort()
      .map((f) => path.join(__dirname, f));
  }
  return names.map((name) => {
    const candidates = [
      path.resolve(name),
      path.join(__dirname, name),
      path.join(__dirname, `${name}.bench.ts`),
      path.join(__dirname, `${name}.ts`),
    ];
    const found = candidates.find((c) => c.endsWith('.bench.ts') && fs.existsSync(c));
    if (found === undefined) throw new Error(`no bench named ${JSON.stringify(name)} in ${__dirname}`);
    return found;
  });
}

async function main(): Promise<void> {
  for (const file of benchFiles(process.argv.slice(2))) {
    console.log(`\n## ${path.relative(process.cwd(), file)}`);
    const mod = require(file) as { default?: () => Promise<void> };
    if (typeof mod.default !== 'function') throw new Error(`${file} must default-export an async function`);
    await mod.default();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
