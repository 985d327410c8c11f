// The on-demand job endpoints of the shared Insights client (core/io/insights.ts) against a local
// HTTP server that records every call.
import {
  InsightsApiError,
  claimOnDemandJobs,
  insightsClient,
  updateOnDemandJobStatus,
} from '../../../core/io/insights';
import { InsightsServer, startInsightsServer } from '../../support/insights-server';

const TOKEN = 'od-t0ken';
let server: InsightsServer;

beforeEach(async () => {
  server = await startInsightsServer({ token: TOKEN, organization: 'acme', cluster: 'prod' });
});
afterEach(() => server.close());

const client = (over: Partial<Parameters<typeof insightsClient>[0]> = {}) =>
  insightsClient({
    host: server.url,
    token: TOKEN,
    organization: 'acme',
    cluster: 'prod',
    retryDelayMs: 5,
    timeoutMs: 2000,
    ...over,
  });

async function failure(p: Promise<unknown>): Promise<InsightsApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InsightsApiError);
    return err as InsightsApiError;
  }
  throw new Error('expected a failure');
}

const CLAIM = '/v0/organizations/acme/clusters/prod/reports/on-demand-jobs/claim';

test('claim: POST …/claim?limit=N with the Bearer token; the jobs parsed, at most N', async () => {
  server.onDemandJobs.push(
    { id: 1, reportType: 'trivy', options: { imagesToScan: 'nginx:1.27' } },
    { id: 2, reportType: 'polaris' },
    { id: 3, reportType: 'nova' },
  );
  const jobs = await claimOnDemandJobs(client(), 2);
  expect(jobs).toEqual([
    { id: 1, reportType: 'trivy', status: 'running', options: { imagesToScan: 'nginx:1.27' } },
    { id: 2, reportType: 'polaris', status: 'running', options: {} },
  ]);
  expect(server.requests).toEqual([
    { method: 'POST', url: `${CLAIM}?limit=2`, authorization: `Bearer ${TOKEN}` },
  ]);
  expect(await claimOnDemandJobs(client(), 5)).toHaveLength(1);
  expect(await claimOnDemandJobs(client(), 5)).toEqual([]);
});

test('status: PATCH …/on-demand-jobs/{id}/status with {"status": …} as JSON', async () => {
  await updateOnDemandJobStatus(client(), 42, 'completed');
  await updateOnDemandJobStatus(client(), 43, 'failed');
  expect(server.statusUpdates).toEqual([
    { id: 42, status: 'completed' },
    { id: 43, status: 'failed' },
  ]);
  expect(server.requests[0]).toEqual({
    method: 'PATCH',
    url: '/v0/organizations/acme/clusters/prod/reports/on-demand-jobs/42/status',
    authorization: `Bearer ${TOKEN}`,
    body: '{"status":"completed"}',
  });
});

test('401: not retried; the error says to check the token and never contains it', async () => {
  server.answers.push({ status: 401, body: `{"Message":"bad token ${TOKEN}"}` });
  const err = await failure(claimOnDemandJobs(client(), 1));
  expect(err.status).toBe(401);
  expect(err.message).toContain('Insights API refused the token (HTTP 401');
  expect(err.message).not.toContain(TOKEN);
  expect(server.requests).toHaveLength(1);
});

test('5xx: retried with backoff, then the claim succeeds', async () => {
  server.answers.push({ status: 503, body: 'busy' }, { status: 502, body: 'bad gateway' });
  server.onDemandJobs.push({ id: 7, reportType: 'nova' });
  expect((await claimOnDemandJobs(client(), 1)).map((j) => j.id)).toEqual([7]);
  expect(server.requests).toHaveLength(3);
});

test('5xx every time: gives up after the retries, with the status; the token echoed back is redacted', async () => {
  for (let i = 0; i < 3; i++) server.answers.push({ status: 500, body: `oops ${TOKEN}` });
  const err = await failure(claimOnDemandJobs(client({ retries: 2 }), 1));
  expect(err.status).toBe(500);
  expect(err.message).toMatch(/HTTP 500.*\(gave up after 3 attempts\)/);
  expect(err.message).toContain('[REDACTED]');
  expect(err.message).not.toContain(TOKEN);
});

test('a hang: the request times out and is retried', async () => {
  server.answers.push('hang');
  server.onDemandJobs.push({ id: 8, reportType: 'nova' });
  expect((await claimOnDemandJobs(client({ timeoutMs: 200 }), 1)).map((j) => j.id)).toEqual([8]);
});

test.each([
  ['not JSON', 'with invalid JSON'],
  ['{"id":1}', 'with a bad claim answer must be a JSON array of on-demand jobs, got object'],
  ['[{"id":1,"reportType":7}]', 'with a bad claim answer [0].reportType must be a non-empty string, got 7'],
])('a claim answered %s is an error, not retried', async (body, message) => {
  server.answers.push({ status: 200, body, contentType: 'application/json' });
  const err = await failure(claimOnDemandJobs(client(), 1));
  expect(err.message).toContain(message);
  expect(server.requests).toHaveLength(1);
});

test('an empty or null claim answer is no job', async () => {
  server.answers.push({ status: 200, body: '' }, { status: 200, body: 'null' });
  expect(await claimOnDemandJobs(client(), 1)).toEqual([]);
  expect(await claimOnDemandJobs(client(), 1)).toEqual([]);
});

test.each([0, -1, 1.5])('limit %p is refused before any request', async (limit) => {
  await expect(claimOnDemandJobs(client(), limit)).rejects.toThrow(
    `'limit' must be a positive integer, got ${JSON.stringify(limit)}`,
  );
  expect(server.requests).toEqual([]);
});
