/**
 * The on-demand job protocol of Fairwinds Insights, as its on-demand job runner speaks it
 * (FairwindsOps/insights-plugins, plugins/on-demand-job-runner): the runner claims jobs with
 * `POST …/reports/on-demand-jobs/claim?limit=N`, runs each, and reports `completed` or `failed`
 * with `PATCH …/reports/on-demand-jobs/{id}/status`.
 */

/** Statuses of an on-demand job in Insights; the runner reports only `completed` and `failed`. */
export type OnDemandJobStatus = 'pending' | 'running' | 'completed' | 'failed';

/** One on-demand job as Insights hands it out on a claim. */
export interface OnDemandJob {
  readonly id: number;
  /** The report to run: `trivy`, `polaris`, `kyverno-policy-sync`, … */
  readonly reportType: string;
  readonly status: string;
  /** Options of the run, passed to the report's Job as environment variables. */
  readonly options: Readonly<Record<string, string>>;
}

/** Path of the claim endpoint for an organization and cluster (names URL-encoded). */
export function claimPath(organization: string, cluster: string, limit: number): string {
  return `${clusterReportsPath(organization, cluster)}/on-demand-jobs/claim?limit=${limit}`;
}

/** Path of the status endpoint of one on-demand job. */
export function statusPath(organization: string, cluster: string, id: number): string {
  return `${clusterReportsPath(organization, cluster)}/on-demand-jobs/${id}/status`;
}

function clusterReportsPath(organization: string, cluster: string): string {
  return `/v0/organizations/${encodeURIComponent(organization)}/clusters/${encodeURIComponent(cluster)}/reports`;
}

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/**
 * The jobs of a claim answer (a JSON array; `null` is no job), checked field by field: an id
 * that is a non-negative integer, a non-empty report type, options of string values (a missing
 * or null `options` is none). Throws an Error naming the entry and the field.
 */
export function parseClaimedJobs(body: unknown): OnDemandJob[] {
  if (body === null) return [];
  if (!Array.isArray(body)) {
    throw new Error(`claim answer must be a JSON array of on-demand jobs, got ${typeof body}`);
  }
  return body.map((raw: unknown, i) => {
    const where = `claim answer [${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`${where} must be an object, got ${show(raw)}`);
    }
    const entry = raw as Record<string, unknown>;
    if (!Number.isSafeInteger(entry.id) || (entry.id as number) < 0) {
      throw new Error(`${where}.id must be a non-negative integer, got ${show(entry.id)}`);
    }
    if (typeof entry.reportType !== 'string' || entry.reportType.trim() === '') {
      throw new Error(`${where}.reportType must be a non-empty string, got ${show(entry.reportType)}`);
    }
    const options: Record<string, string> = {};
    if (entry.options !== undefined && entry.options !== null) {
      if (typeof entry.options !== 'object' || Array.isArray(entry.options)) {
        throw new Error(`${where}.options must be an object of strings, got ${show(entry.options)}`);
      }
      for (const [key, value] of Object.entries(entry.options as Record<string, unknown>)) {
        if (typeof value !== 'string') {
          throw new Error(`${where}.options.${key} must be a string, got ${show(value)}`);
        }
        options[key] = value;
      }
    }
    return {
      id: entry.id as number,
      reportType: entry.reportType,
      status: typeof entry.status === 'string' ? entry.status : '',
      options,
    };
  });
}
