#!/usr/bin/env node
// `npm run test:mutation [-- [--force] [module ...]]`: mutation testing with StrykerJS, one Stryker
// run per module (a run over all of core/ does not finish in reasonable time on 2 cores).
//
// Each module has its own incremental file, reports/mutation/<module>.json (a mutation-testing
// report; committed, so that a re-run, here or on another machine, only tests mutants whose code or
// covering tests changed). `--force` re-tests every mutant of the named modules. With no module
// named, every module of MODULES runs. At the end it prints the score of every module that has a
// report: killed + timed out / (killed + timed out + survived + no coverage), compile errors
// (mutants the TypeScript checker rejects) excluded.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const REPORTS = path.join(ROOT, 'reports', 'mutation');

/** core/ and the pod/construct model, in the order they are run. */
const MODULES = [
  'core/quantity.ts',
  'core/time-zone.ts',
  'core/git-path.ts',
  'core/dns-name.ts',
  'core/cron-schedule.ts',
  'core/node-inventory.ts',
  'core/unique-job-name.ts',
  'core/image-reference.ts',
  'core/git-auth.ts',
  'core/workload-index.ts',
  'core/git-tree.ts',
  'core/git-writer.ts',
  'core/load-nodes.ts',
  'core/io/kube.ts',
  'core/pipeline/validate.ts',
  'core/pipeline/select.ts',
  'core/pipeline/render.ts',
  'core/pipeline/plan.ts',
  'core/io/ecr.ts',
  'core/policy-sync/go-duration.ts',
  'core/policy-sync/kyverno-policy.ts',
  'core/policy-sync/sync-plan.ts',
  'core/policy-sync/sync-summary.ts',
  'core/k8s/field-checks.ts',
  'constructs/pod/container.ts',
  'constructs/pod/env.ts',
  'constructs/pod/job-spec.ts',
  'constructs/pod/pod-failure-policy.ts',
  'constructs/pod/resources.ts',
  'constructs/pod/security-context.ts',
  'constructs/pod/tolerations.ts',
  'constructs/pod/validate-workload.ts',
  'constructs/pod/volumes.ts',
  'constructs/pod/workload-support.ts',
];

const reportFile = (module) =>
  path.join(REPORTS, `${module.replace(/\.ts$/, '').replace(/[/\\]/g, '--')}.json`);

/** Mutant counts by status in a report, for the files under `prefix`. */
function counts(report, prefix = '') {
  const c = {};
  for (const [file, data] of Object.entries(report.files ?? {})) {
    if (!file.startsWith(prefix)) continue;
    for (const m of data.mutants) c[m.status] = (c[m.status] ?? 0) + 1;
  }
  return c;
}

function score(c) {
  const detected = (c.Killed ?? 0) + (c.Timeout ?? 0);
  const valid = detected + (c.Survived ?? 0) + (c.NoCoverage ?? 0);
  return valid === 0 ? null : (100 * detected) / valid;
}

function main(argv) {
  const force = argv.includes('--force');
  const named = argv.filter((a) => !a.startsWith('--'));
  for (const m of named) {
    if (!fs.existsSync(path.join(ROOT, m))) {
      console.error(
        `test:mutation: module must be a source file such as core/quantity.ts, got ${JSON.stringify(m)}`,
      );
      process.exit(2);
    }
  }
  const modules = named.length > 0 ? named : MODULES;
  fs.mkdirSync(REPORTS, { recursive: true });
  let failed = false;
  for (const module of modules) {
    const t0 = Date.now();
    console.log(`\n=== stryker: ${module}`);
    const args = [
      path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'),
      'run',
      'stryker.config.json',
      '--mutate',
      module,
      '--incrementalFile',
      path.relative(ROOT, reportFile(module)),
      ...(force ? ['--force'] : []),
    ];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    console.log(`=== ${module}: exit ${r.status}, ${Math.round((Date.now() - t0) / 1000)} s`);
    if (r.status !== 0) failed = true;
  }
  printSummary();
  process.exit(failed ? 1 : 0);
}

function printSummary() {
  const rows = [];
  const total = {};
  for (const module of MODULES) {
    const file = reportFile(module);
    if (!fs.existsSync(file)) continue;
    const c = counts(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (module.startsWith('core/')) for (const [k, v] of Object.entries(c)) total[k] = (total[k] ?? 0) + v;
    rows.push([module, c]);
  }
  const fmt = (name, c) => {
    const s = score(c);
    return [
      name.padEnd(40),
      (s === null ? 'n/a' : `${s.toFixed(2)}%`).padStart(8),
      ...['Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError'].map((k) =>
        String(c[k] ?? 0).padStart(8),
      ),
    ].join(' ');
  };
  console.log(
    `\n${'module'.padEnd(40)} ${'score'.padStart(8)}   killed  timeout survived  no-cov compile-err`,
  );
  for (const [m, c] of rows) console.log(fmt(m, c));
  console.log(fmt('core/ (modules with a report)', total));
}

main(process.argv.slice(2));
