import { parseListenAddress, startProbeServer } from '../../../core/io/probe-server';
import { runnerPrometheus } from '../../../core/on-demand/runner-metrics';

test('/healthz follows healthy(); /metrics serves the runner metrics; other paths 404', async () => {
  let healthy = true;
  const prom = runnerPrometheus();
  prom.metrics.claim('ok', 2);
  prom.metrics.claim('error', 0);
  prom.metrics.running(1);
  prom.metrics.jobFinished('trivy', 'completed', 12);
  prom.metrics.jobFinished('polaris', 'failed', 3);
  prom.metrics.statusReported('completed', 'ok');
  const server = await startProbeServer({
    listen: '127.0.0.1:0',
    healthy: () => healthy,
    metrics: async () => ({ contentType: prom.registry.contentType, body: await prom.registry.metrics() }),
  });
  try {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    healthy = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('jobforge_on_demand_claims_total{result="ok"} 1');
    expect(text).toContain('jobforge_on_demand_claims_total{result="error"} 1');
    expect(text).toContain('jobforge_on_demand_claimed_jobs_total 2');
    expect(text).toContain('jobforge_on_demand_jobs_running 1');
    expect(text).toContain('jobforge_on_demand_jobs_total{report_type="trivy",outcome="completed"} 1');
    expect(text).toContain('jobforge_on_demand_jobs_total{report_type="polaris",outcome="failed"} 1');
    expect(text).toContain(
      'jobforge_on_demand_job_duration_seconds_sum{report_type="trivy",outcome="completed"} 12',
    );
    expect(text).toContain('jobforge_on_demand_status_reports_total{status="completed",result="ok"} 1');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  } finally {
    await server.close();
  }
});

test('parseListenAddress', () => {
  expect(parseListenAddress(':8080')).toEqual({ host: undefined, port: 8080 });
  expect(parseListenAddress('8080')).toEqual({ host: undefined, port: 8080 });
  expect(parseListenAddress('127.0.0.1:9')).toEqual({ host: '127.0.0.1', port: 9 });
  expect(parseListenAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
  for (const bad of ['', 'x', ':99999', 'a:b', 'http://x:1']) {
    expect(() => parseListenAddress(bad)).toThrow(
      `'LISTEN_ADDRESS' must be [host]:port or a port (0-65535), got ${JSON.stringify(bad)}`,
    );
  }
});
