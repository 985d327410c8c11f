/**
 * The report types the Fairwinds on-demand job runner knows, with what it does for each: the
 * CronJob (in the runner's namespace) its Job is made from, which is named exactly after the
 * report type; the time the run may take (20 minutes for the image scans, 10 for the policy
 * sync, 5 for the others); and the Job's `backoffLimit` when the runner sets one (the policy
 * sync is never retried: the next sync converges).
 */
export interface ReportTypeRun {
  /** Name of the CronJob the Job is made from. */
  readonly cronJobName: string;
  /** Time allowed from the Job's creation to its end, in milliseconds. */
  readonly timeoutMs: number;
  /** @default - the CronJob's own */
  readonly backoffLimit?: number;
}

const MINUTE = 60_000;

/** Report type → how it runs, as in the Fairwinds runner's processor. */
export const REPORT_TYPE_RUNS: Readonly<Record<string, ReportTypeRun>> = Object.freeze({
  trivy: { cronJobName: 'trivy', timeoutMs: 20 * MINUTE },
  'image-trust': { cronJobName: 'image-trust', timeoutMs: 20 * MINUTE },
  cloudcosts: { cronJobName: 'cloudcosts', timeoutMs: 5 * MINUTE },
  falco: { cronJobName: 'falco', timeoutMs: 5 * MINUTE },
  nova: { cronJobName: 'nova', timeoutMs: 5 * MINUTE },
  pluto: { cronJobName: 'pluto', timeoutMs: 5 * MINUTE },
  polaris: { cronJobName: 'polaris', timeoutMs: 5 * MINUTE },
  'prometheus-metrics': { cronJobName: 'prometheus-metrics', timeoutMs: 5 * MINUTE },
  goldilocks: { cronJobName: 'goldilocks', timeoutMs: 5 * MINUTE },
  'rbac-reporter': { cronJobName: 'rbac-reporter', timeoutMs: 5 * MINUTE },
  'right-sizer': { cronJobName: 'right-sizer', timeoutMs: 5 * MINUTE },
  workloads: { cronJobName: 'workloads', timeoutMs: 5 * MINUTE },
  'kube-hunter': { cronJobName: 'kube-hunter', timeoutMs: 5 * MINUTE },
  'kube-bench': { cronJobName: 'kube-bench', timeoutMs: 5 * MINUTE },
  kyverno: { cronJobName: 'kyverno', timeoutMs: 5 * MINUTE },
  'kyverno-policy-sync': { cronJobName: 'kyverno-policy-sync', timeoutMs: 10 * MINUTE, backoffLimit: 0 },
  gonogo: { cronJobName: 'gonogo', timeoutMs: 5 * MINUTE },
});

/** The report type jobforge runs in process (the policy sync) instead of from a CronJob. */
export const POLICY_SYNC_REPORT_TYPE = 'kyverno-policy-sync';

/** How a report type runs, or undefined for a type the runner does not know. */
export function reportTypeRun(
  reportType: string,
  timeoutOverridesMs: Readonly<Record<string, number>> = {},
): ReportTypeRun | undefined {
  if (!Object.prototype.hasOwnProperty.call(REPORT_TYPE_RUNS, reportType)) return undefined;
  const run = REPORT_TYPE_RUNS[reportType];
  const override = timeoutOverridesMs[reportType] ?? timeoutOverridesMs['*'];
  return override === undefined ? run : { ...run, timeoutMs: override };
}

/**
 * Parses per-type timeouts, `trivy=30m,polaris=2m` (`*` for every type), each a Go duration
 * parsed by `parseDuration`. Throws naming the entry for an unknown type or a bad duration.
 */
export function parseReportTimeouts(
  text: string,
  parseDuration: (value: string, field: string) => number,
  field = 'JOB_TIMEOUTS',
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of text.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const type = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (eq < 0 || type === '') {
      throw new Error(`'${field}' entries must be <report type>=<duration>, got ${JSON.stringify(entry)}`);
    }
    if (type !== '*' && !Object.prototype.hasOwnProperty.call(REPORT_TYPE_RUNS, type)) {
      throw new Error(
        `'${field}' names an unknown report type (one of ${Object.keys(REPORT_TYPE_RUNS).join(', ')}, or *), got ${JSON.stringify(type)}`,
      );
    }
    const ms = parseDuration(entry.slice(eq + 1).trim(), field);
    if (!(ms >= 1000)) {
      throw new Error(`'${field}' timeout of ${type} must be at least 1s, got ${JSON.stringify(entry)}`);
    }
    out[type] = ms;
  }
  return out;
}
