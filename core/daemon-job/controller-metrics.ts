import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the DaemonJob controller reports (implemented with prom-client by {@link daemonJobPrometheus}). */
export interface DaemonJobControllerMetrics {
  reconciled(result: 'ok' | 'error' | 'invalid', seconds: number): void;
  jobCreated(): void;
  jobDeleted(reason: string): void;
  leader(isLeader: boolean): void;
  watched(daemonJobs: number, nodes: number, jobs: number): void;
}

/** The controller's Prometheus metrics in a registry of their own. */
export interface DaemonJobPrometheus {
  readonly registry: Registry;
  readonly metrics: DaemonJobControllerMetrics;
}

/**
 * Metrics of the DaemonJob controller:
 * - `jobforge_daemonjob_reconciles_total{result}` and `jobforge_daemonjob_reconcile_duration_seconds{result}`;
 * - `jobforge_daemonjob_jobs_created_total`, `jobforge_daemonjob_jobs_deleted_total{reason}`;
 * - `jobforge_daemonjob_leader` (1 while this replica leads);
 * - `jobforge_daemonjob_watched{kind}`: DaemonJobs, nodes and Jobs in the informers' caches.
 */
export function daemonJobPrometheus(): DaemonJobPrometheus {
  const registry = new Registry();
  const reconciles = new Counter({
    name: 'jobforge_daemonjob_reconciles_total',
    help: 'DaemonJob reconciles, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'jobforge_daemonjob_reconcile_duration_seconds',
    help: 'Duration of DaemonJob reconciles, by result.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const created = new Counter({
    name: 'jobforge_daemonjob_jobs_created_total',
    help: 'Per-node Jobs created.',
    registers: [registry],
  });
  const deleted = new Counter({
    name: 'jobforge_daemonjob_jobs_deleted_total',
    help: 'Per-node Jobs deleted, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'jobforge_daemonjob_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [registry],
  });
  const watched = new Gauge({
    name: 'jobforge_daemonjob_watched',
    help: 'Objects in the informer caches, by kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    registry,
    metrics: {
      reconciled(result, seconds) {
        reconciles.inc({ result });
        duration.observe({ result }, seconds);
      },
      jobCreated() {
        created.inc();
      },
      jobDeleted(reason) {
        deleted.inc({ reason });
      },
      leader(isLeader) {
        leader.set(isLeader ? 1 : 0);
      },
      watched(daemonJobs, nodes, jobs) {
        watched.set({ kind: 'DaemonJob' }, daemonJobs);
        watched.set({ kind: 'Node' }, nodes);
        watched.set({ kind: 'Job' }, jobs);
      },
    },
  };
}
