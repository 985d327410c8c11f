import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OnDemandRunnerMetrics } from './on-demand-runner';

/** The runner's Prometheus metrics (prom-client) in a registry of their own. */
export interface RunnerPrometheus {
  readonly registry: Registry;
  readonly metrics: OnDemandRunnerMetrics;
}

/**
 * Metrics of the on-demand job runner:
 * - `jobforge_on_demand_claims_total{result}`: claims sent (`ok`, `error`);
 * - `jobforge_on_demand_claimed_jobs_total`: jobs received;
 * - `jobforge_on_demand_jobs_running`: runs in progress;
 * - `jobforge_on_demand_jobs_total{report_type,outcome}`: runs ended (`completed`, `failed`);
 * - `jobforge_on_demand_job_duration_seconds{report_type,outcome}`: how long runs took;
 * - `jobforge_on_demand_status_reports_total{status,result}`: status reports sent.
 */
export function runnerPrometheus(): RunnerPrometheus {
  const registry = new Registry();
  const claims = new Counter({
    name: 'jobforge_on_demand_claims_total',
    help: 'Claims of on-demand jobs sent to Insights, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const claimed = new Counter({
    name: 'jobforge_on_demand_claimed_jobs_total',
    help: 'On-demand jobs received from Insights.',
    registers: [registry],
  });
  const running = new Gauge({
    name: 'jobforge_on_demand_jobs_running',
    help: 'On-demand jobs in progress.',
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'jobforge_on_demand_jobs_total',
    help: 'On-demand jobs ended, by report type and outcome.',
    labelNames: ['report_type', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'jobforge_on_demand_job_duration_seconds',
    help: 'Duration of on-demand jobs, by report type and outcome.',
    labelNames: ['report_type', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800],
    registers: [registry],
  });
  const reports = new Counter({
    name: 'jobforge_on_demand_status_reports_total',
    help: 'Status reports sent to Insights, by status and result.',
    labelNames: ['status', 'result'],
    registers: [registry],
  });
  return {
    registry,
    metrics: {
      claim(result, count) {
        claims.inc({ result });
        claimed.inc(count);
      },
      running(count) {
        running.set(count);
      },
      jobFinished(reportType, outcome, seconds) {
        jobs.inc({ report_type: reportType, outcome });
        duration.observe({ report_type: reportType, outcome }, seconds);
      },
      statusReported(status, result) {
        reports.inc({ status, result });
      },
    },
  };
}
