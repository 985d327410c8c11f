#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerPolicySync } from './commands/policy-sync';
import { registerPublish } from './commands/publish';
import { registerPipelinePlan } from './commands/pipeline-plan';
import { registerController } from './commands/controller-on-demand-jobs';

/** The package version, read from the nearest package.json above this file (src or lib). */
function packageVersion(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildCli(): Command {
  const program = new Command('jobforge')
    .description(
      'Runtime pieces of jobforge: Kyverno policy sync, publishing synthesized YAML to a GitOps repo, the on-demand job runner.',
    )
    .version(packageVersion(), '-v, --version');
  registerPolicySync(program);
  registerPublish(program);
  registerPipelinePlan(program);
  registerController(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`jobforge: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
