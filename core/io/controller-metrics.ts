import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The managers' Prometheus metrics (prom-client), in a registry of their own:
 * `jobforge_image_scan_duration_seconds`, `jobforge_api_calls_total{api,operation}`,
 * `jobforge_images_detected_total`, `jobforge_git_commits_total`,
 * `jobforge_images_skipped_total{reason}`, `jobforge_reconcile_errors_total{reason}`,
 * `jobforge_leader`, plus Node's process metrics.
 */
export interface ControllerMetrics {
  readonly registry: Registry;
  readonly scanDuration: Histogram<'policy'>;
  readonly apiCalls: Counter<'api' | 'operation'>;
  readonly imagesDetected: Counter;
  readonly commits: Counter;
  readonly skips: Counter<'reason'>;
  readonly errors: Counter<'reason'>;
  readonly leader: Gauge;
}

/** A new registry with the managers' metrics, labelled with the manager's name. */
export function controllerMetrics(manager: string): ControllerMetrics {
  const prom = require('prom-client') as typeof import('prom-client');
  const registry = new prom.Registry();
  registry.setDefaultLabels({ manager });
  prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    scanDuration: new prom.Histogram({
      name: 'jobforge_image_scan_duration_seconds',
      help: 'Duration of one ECR scan of a policy.',
      labelNames: ['policy'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    apiCalls: new prom.Counter({
      name: 'jobforge_api_calls_total',
      help: 'API calls made, by API (ecr, kubernetes, git) and operation.',
      labelNames: ['api', 'operation'],
      registers,
    }),
    imagesDetected: new prom.Counter({
      name: 'jobforge_images_detected_total',
      help: 'ImageDetected objects created or updated for a newly selected image.',
      registers,
    }),
    commits: new prom.Counter({ name: 'jobforge_git_commits_total', help: 'Git commits pushed.', registers }),
    skips: new prom.Counter({
      name: 'jobforge_images_skipped_total',
      help: 'Images skipped, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    errors: new prom.Counter({
      name: 'jobforge_reconcile_errors_total',
      help: 'Reconcile errors, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    leader: new prom.Gauge({ name: 'jobforge_leader', help: '1 while this replica leads.', registers }),
  };
}
