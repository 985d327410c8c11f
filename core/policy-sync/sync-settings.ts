/**
 * The settings of the Kyverno policy sync that users set by name: the environment variable and
 * flag of each (read by `jobforge policy-sync`, set by the KyvernoPolicySync construct) and the
 * defaults. The one place defining them; errors name them from here.
 */
export const POLICY_SYNC_SETTINGS = {
  dryRun: { env: 'DRY_RUN', flag: '--dry-run' },
  validate: { env: 'VALIDATE_POLICIES', flag: '--no-validate' },
  force: { env: 'FORCE_REMOVALS', flag: '--force' },
  maxRemovals: { env: 'MAX_REMOVALS', flag: '--max-removals' },
  maxRemovalRatio: { env: 'MAX_REMOVAL_RATIO', flag: '--max-removal-ratio' },
  allowEmptySource: { env: 'ALLOW_EMPTY_SOURCE', flag: '--allow-empty-source' },
  maxResponseBytes: { env: 'INSIGHTS_MAX_RESPONSE_BYTES', flag: '--max-response-bytes' },
} as const;

/** Default deletion guard: a run removing more than this many policies removes none. */
export const DEFAULT_MAX_REMOVALS = 10;

/** Default ratio guard: a run removing more than this share of the owned policies removes none. */
export const DEFAULT_MAX_REMOVAL_RATIO = 0.5;

/** Default cap on the Insights response: 10 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** How an error names a setting: `force (--force, FORCE_REMOVALS=true)`. */
export function settingHint(name: keyof typeof POLICY_SYNC_SETTINGS, value: string): string {
  const s = POLICY_SYNC_SETTINGS[name];
  const flag = name === 'validate' ? s.flag : value === 'true' ? s.flag : `${s.flag} ${value}`;
  return `${name} (${flag}, ${s.env}=${value})`;
}
