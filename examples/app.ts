// The examples app: one chart per construct, each from its own file in this directory (every
// `*.ts` but this one and `_*.ts` helpers exports `default (app: App) => void`), so a new example is picked up by the
// e2e suite's Checkov scan and apiserver dry-run without being listed anywhere.
// Synthesize: `npx cdk8s synth --app 'npx ts-node --transpile-only examples/app.ts' --output dist-examples`
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';

/** The example modules next to this file, by file name. */
export function exampleFiles(dir = __dirname): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts') && f !== 'app.ts' && !f.startsWith('_'))
    .sort();
}

/** Adds every example's chart to `app`. */
export function buildExamples(app: App, dir = __dirname): void {
  for (const file of exampleFiles(dir)) {
    const mod = require(path.join(dir, file)) as { default?: (app: App) => void };
    if (typeof mod.default !== 'function') {
      throw new Error(
        `examples/${file} must export a default function (app: App) => void, got ${typeof mod.default}`,
      );
    }
    mod.default(app);
  }
}

if (require.main === module) {
  const app = new App();
  buildExamples(app);
  app.synth();
}
