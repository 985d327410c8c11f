/** The outcome of one policy sync: what the summary line prints. */
export interface PolicySyncResult {
  /** True when every step succeeded and no policy failed. Conflicts alone do not fail a sync. */
  readonly success: boolean;
  /** True when nothing was written: the name lists say what a real run would do. */
  readonly dryRun: boolean;
  /** Wall time, in milliseconds. */
  readonly durationMs: number;
  /** Names (`name`, or `namespace/name` for a namespaced Policy) of created policies. */
  readonly applied: readonly string[];
  /** Names of updated policies. */
  readonly updated: readonly string[];
  /** Names of removed policies. */
  readonly removed: readonly string[];
  /** Names of policies that failed validation or whose write failed. */
  readonly failed: readonly string[];
  /** Names of expected policies already up to date. */
  readonly unchanged: readonly string[];
  /** Names of expected policies left alone because an unowned object has their kind and name. */
  readonly conflicts: readonly string[];
  /** Why things failed, each naming the policy or the step. */
  readonly errors: readonly string[];
  /** For updates: the changed paths per policy name. */
  readonly changes: Readonly<Record<string, readonly string[]>>;
}

/** `Applied 2, Updated 1, Removed 0, Failed 0`, with ` (dry run, nothing written)` for a dry run. */
export function summaryText(result: PolicySyncResult): string {
  const text =
    `Applied ${result.applied.length}, Updated ${result.updated.length}, ` +
    `Removed ${result.removed.length}, Failed ${result.failed.length}`;
  return result.dryRun ? `${text} (dry run, nothing written)` : text;
}

/** A duration as Go prints it, short: `850ms`, `5.2s`, `1m3.2s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(1))}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Number((s - m * 60).toFixed(1))}s`;
}

/**
 * The one JSON summary line printed at the end of a sync, as the Fairwinds runner prints it:
 * `level`, `msg`, `success`, `duration`, `summary` (`Applied 2, Updated 1, Removed 0, Failed 0`)
 * and the name lists, plus `dryRun`, `unchanged`, `conflicts` and `errors`.
 */
export function summaryLine(result: PolicySyncResult): string {
  return JSON.stringify({
    level: result.success ? 'info' : 'error',
    msg: result.success ? 'Policy sync completed' : 'Policy sync failed',
    success: result.success,
    dryRun: result.dryRun,
    duration: formatDuration(result.durationMs),
    summary: summaryText(result),
    applied: result.applied,
    updated: result.updated,
    removed: result.removed,
    failed: result.failed,
    unchanged: result.unchanged.length,
    conflicts: result.conflicts,
    errors: result.errors,
  });
}
