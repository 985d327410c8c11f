import * as fs from 'node:fs';
import { Command } from 'commander';
import { directoryPolicySource } from '../../core/policy-sync/directory-source';
import { parseGoDuration } from '../../core/policy-sync/go-duration';
import { insightsPolicySource } from '../../core/policy-sync/insights-source';
import { PolicySource } from '../../core/policy-sync/policy-source';
import { syncKyvernoPolicies } from '../../core/policy-sync/sync-kyverno-policies';
import { summaryLine } from '../../core/policy-sync/sync-summary';
import { jsonLineLogger, parseLogLevel } from '../../core/policy-sync/sync-logger';
import { logLevelOption, required } from './cli-settings';
import {
  DEFAULT_MAX_REMOVAL_RATIO,
  DEFAULT_MAX_REMOVALS,
  DEFAULT_MAX_RESPONSE_BYTES,
  POLICY_SYNC_SETTINGS as S,
} from '../../core/policy-sync/sync-settings';

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
  maxRemovalRatio?: string;
  force?: boolean;
  allowEmptySource?: boolean;
  maxResponseBytes?: string;
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

function ratioOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value.trim());
  if (!/^\d*\.?\d+$/.test(value.trim()) || !(n >= 0 && n <= 1))
    throw new Error(`'${name}' must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  return n;
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
      maxResponseBytes: intOption(
        flags.maxResponseBytes ?? env[S.maxResponseBytes.env],
        S.maxResponseBytes.env,
      ),
      logger,
    });
  }
  const lockTimeoutMs = parseGoDuration(flags.lockTimeout ?? env.LOCK_TIMEOUT ?? '30m', 'LOCK_TIMEOUT');
  const kyverno = flags.kyverno ?? env.KYVERNO_CLI;
  const result = await syncKyvernoPolicies({
    source,
    kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
    dryRun: flags.dryRun ?? envBool(env, S.dryRun.env) ?? false,
    validate: (flags.validate === false ? false : undefined) ?? envBool(env, S.validate.env) ?? true,
    kyvernoCli: kyverno === 'none' ? false : kyverno || undefined,
    lock:
      flags.lock === false
        ? false
        : {
            timeoutMs: lockTimeoutMs,
            namespace: flags.lockNamespace ?? env.LOCK_NAMESPACE,
            name: flags.lockName ?? env.LOCK_NAME,
          },
    maxRemovals: intOption(flags.maxRemovals ?? env[S.maxRemovals.env], S.maxRemovals.env),
    maxRemovalRatio: ratioOption(flags.maxRemovalRatio ?? env[S.maxRemovalRatio.env], S.maxRemovalRatio.env),
    force: flags.force ?? envBool(env, S.force.env) ?? false,
    allowEmptySource: flags.allowEmptySource ?? envBool(env, S.allowEmptySource.env) ?? false,
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
    .option(S.dryRun.flag, `compute and print the plan, write nothing (env ${S.dryRun.env})`)
    .option(
      S.validate.flag,
      `skip Kyverno CLI validation; invalid policies then fail alone (env ${S.validate.env}=false)`,
    )
    .option('--kyverno <path>', "Kyverno CLI path, or 'none' (env KYVERNO_CLI; default kyverno on PATH)")
    .option('--no-lock', 'do not take the Lease lock')
    .option(
      '--lock-timeout <duration>',
      'take over a lock not renewed for this long (env LOCK_TIMEOUT, default 30m)',
    )
    .option(
      '--lock-namespace <ns>',
      'namespace of the lock Lease (env LOCK_NAMESPACE; default $POD_NAMESPACE, else the kubeconfig context namespace, else default)',
    )
    .option(
      '--lock-name <name>',
      'name of the lock Lease (env LOCK_NAME, default jobforge-kyverno-policy-sync)',
    )
    .option(
      `${S.maxRemovals.flag} <n>`,
      `deletion guard: fail without writing if more would be removed (env ${S.maxRemovals.env}, default ${DEFAULT_MAX_REMOVALS})`,
    )
    .option(
      `${S.maxRemovalRatio.flag} <ratio>`,
      `ratio guard: fail without writing if more than this share (0 to 1) of the owned policies would be removed ` +
        `(env ${S.maxRemovalRatio.env}, default ${DEFAULT_MAX_REMOVAL_RATIO})`,
    )
    .option(
      S.force.flag,
      `remove more than ${S.maxRemovals.flag} or ${S.maxRemovalRatio.flag} allow (env ${S.force.env})`,
    )
    .option(
      S.allowEmptySource.flag,
      `accept a source with no policies while owned policies exist (env ${S.allowEmptySource.env})`,
    )
    .option(
      `${S.maxResponseBytes.flag} <bytes>`,
      `largest Insights response accepted (env ${S.maxResponseBytes.env}, default ${DEFAULT_MAX_RESPONSE_BYTES})`,
    )
    .option('--owner-key <key>', 'ownership annotation key (env OWNER_ANNOTATION_KEY)')
    .option('--owner-value <value>', 'ownership annotation value (env OWNER_ANNOTATION_VALUE)')
    .option('--request-timeout <duration>', 'Insights request timeout (env INSIGHTS_TIMEOUT, default 30s)')
    .option('--retries <n>', 'Insights retries on 5xx/timeouts (env INSIGHTS_RETRIES, default 3)')
    .addOption(logLevelOption())
    .action(async (flags: PolicySyncFlags) => {
      process.exitCode = await runPolicySync(flags);
    });
}
