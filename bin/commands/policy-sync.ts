import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { directoryPolicySource } from '../../core/policy-sync/directory-source';
import { parseGoDuration } from '../../core/policy-sync/go-duration';
import { insightsPolicySource } from '../../core/policy-sync/insights-source';
import { PolicySource } from '../../core/policy-sync/policy-source';
import { syncKyvernoPolicies } from '../../core/policy-sync/sync-kyverno-policies';
import { summaryLine } from '../../core/policy-sync/sync-summary';
import { jsonLineLogger, parseLogLevel } from '../../core/policy-sync/sync-logger';

/** Flags of `jobforge policy-sync`; each falls back to its environment variable. */
interface PolicySyncFlags {
  host?: string;
  org?: string;
  cluster?: string;
  tokenFile?: string;
  fromDir?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  validate?: boolean;
  kyverno?: string;
  lock?: boolean;
  lockTimeout?: string;
  lockNamespace?: string;
  lockName?: string;
  maxRemovals?: string;
  force?: boolean;
  ownerKey?: string;
  ownerValue?: string;
  requestTimeout?: string;
  retries?: string;
  logLevel?: string;
}

type Env = Record<string, string | undefined>;

/** Parses a boolean environment variable: true/false, 1/0, yes/no (case-insensitive). */
export function envBool(env: Env, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new Error(`'${name}' must be true or false, got ${JSON.stringify(v)}`);
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new Error(`'${name}' must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function required(value: string | undefined, flag: string, envName: string): string {
  if (value === undefined || value.trim() === '') {
    throw new Error(`'${envName}' (or ${flag}) is required, got ${JSON.stringify(value ?? '')}`);
  }
  return value.trim();
}

/** Runs one sync from flags and environment; prints JSON logs on stderr and the summary line on stdout. Returns the exit code. */
export async function runPolicySync(
  flags: PolicySyncFlags,
  env: Env = process.env,
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const logger = jsonLineLogger(parseLogLevel(flags.logLevel ?? env.LOG_LEVEL), err);
  let source: PolicySource;
  const fromDir = flags.fromDir ?? env.POLICY_DIR;
  if (fromDir) {
    source = directoryPolicySource(fromDir);
  } else {
    let token = env.FAIRWINDS_TOKEN;
    const tokenFile = flags.tokenFile ?? env.FAIRWINDS_TOKEN_FILE;
    if (tokenFile) token = fs.readFileSync(tokenFile, 'utf8').trim();
    source = insightsPolicySource({
      host: required(flags.host ?? env.FAIRWINDS_INSIGHTS_HOST, '--host', 'FAIRWINDS_INSIGHTS_HOST'),
      organization: required(flags.org ?? env.FAIRWINDS_ORG, '--org', 'FAIRWINDS_ORG'),
      cluster: required(flags.cluster ?? env.FAIRWINDS_CLUSTER, '--cluster', 'FAIRWINDS_CLUSTER'),
      token: required(token, '--token-file', 'FAIRWINDS_TOKEN'),
      timeoutMs: parseGoDuration(flags.requestTimeout ?? env.INSIGHTS_TIMEOUT ?? '30s', 'INSIGHTS_TIMEOUT'),
      retries: intOption(flags.retries ?? env.INSIGHTS_RETRIES, 'INSIGHTS_RETRIES'),
      logger,
    });
  }
  const lockTimeoutMs = parseGoDuration(flags.lockTimeout ?? env.LOCK_TIMEOUT ?? '30m', 'LOCK_TIMEOUT');
  const kyverno = flags.kyverno ?? env.KYVERNO_CLI;
  const result = await syncKyvernoPolicies({
    source,
    kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
    dryRun: flags.dryRun ?? envBool(env, 'DRY_RUN') ?? false,
    validate: (flags.validate === false ? false : undefined) ?? envBool(env, 'VALIDATE_POLICIES') ?? true,
    kyvernoCli: kyverno === 'none' ? false : kyverno || undefined,
    lock:
      flags.lock === false
        ? false
        : {
            timeoutMs: lockTimeoutMs,
            namespace: flags.lockNamespace ?? env.LOCK_NAMESPACE,
            name: flags.lockName ?? env.LOCK_NAME,
          },
    maxRemovals: intOption(flags.maxRemovals ?? env.MAX_REMOVALS, 'MAX_REMOVALS'),
    force: flags.force ?? envBool(env, 'FORCE_REMOVALS') ?? false,
    ownership: {
      annotationKey: flags.ownerKey ?? env.OWNER_ANNOTATION_KEY,
      annotationValue: flags.ownerValue ?? env.OWNER_ANNOTATION_VALUE,
    },
    logger,
  });
  out(`${summaryLine(result)}\n`);
  return result.success ? 0 : 1;
}

/** Registers `jobforge policy-sync`. */
export function registerPolicySync(program: Command): void {
  program
    .command('policy-sync')
    .description(
      'Sync Kyverno policies from Fairwinds Insights (or a directory) into the cluster: apply new, update changed, ' +
        'remove owned policies no longer expected. Prints one JSON summary line; exits non-zero on any failure.',
    )
    .option('--host <url>', 'Insights base URL (env FAIRWINDS_INSIGHTS_HOST)')
    .option('--org <name>', 'Insights organization (env FAIRWINDS_ORG)')
    .option('--cluster <name>', 'Insights cluster (env FAIRWINDS_CLUSTER)')
    .option(
      '--token-file <path>',
      'file holding the Insights token (env FAIRWINDS_TOKEN_FILE; else env FAIRWINDS_TOKEN)',
    )
    .option(
      '--from-dir <dir>',
      'read expected policies from a directory of YAML files instead of Insights (env POLICY_DIR)',
    )
    .option('--kubeconfig <path>', 'kubeconfig (env KUBECONFIG; default ~/.kube/config or in-cluster)')
    .option('--dry-run', 'compute and print the plan, write nothing (env DRY_RUN)')
    .option(
      '--no-validate',
      'skip Kyverno CLI validation; invalid policies then fail alone (env VALIDATE_POLICIES=false)',
    )
    .option('--kyverno <path>', "Kyverno CLI path, or 'none' (env KYVERNO_CLI; default kyverno on PATH)")
    .option('--no-lock', 'do not take the Lease lock')
    .option(
      '--lock-timeout <duration>',
      'take over a lock not renewed for this long (env LOCK_TIMEOUT, default 30m)',
    )
    .option(
      '--lock-namespace <ns>',
      'namespace of the lock Lease (env LOCK_NAMESPACE; default the pod namespace)',
    )
    .option(
      '--lock-name <name>',
      'name of the lock Lease (env LOCK_NAME, default jobforge-kyverno-policy-sync)',
    )
    .option(
      '--max-removals <n>',
      'deletion guard: fail without writing if more would be removed (env MAX_REMOVALS, default 10)',
    )
    .option('--force', 'remove more than --max-removals (env FORCE_REMOVALS)')
    .option('--owner-key <key>', 'ownership annotation key (env OWNER_ANNOTATION_KEY)')
    .option('--owner-value <value>', 'ownership annotation value (env OWNER_ANNOTATION_VALUE)')
    .option('--request-timeout <duration>', 'Insights request timeout (env INSIGHTS_TIMEOUT, default 30s)')
    .option('--retries <n>', 'Insights retries on 5xx/timeouts (env INSIGHTS_RETRIES, default 3)')
    .addOption(
      new Option('--log-level <level>', 'log level (env LOG_LEVEL, default info)').choices([
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .action(async (flags: PolicySyncFlags) => {
      process.exitCode = await runPolicySync(flags);
    });
}
