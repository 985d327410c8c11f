import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onDemandJobsSettings } from '../../../bin/commands/controller-on-demand-jobs';

const ENV = {
  FAIRWINDS_ORG: 'acme',
  FAIRWINDS_CLUSTER: 'prod',
  FAIRWINDS_TOKEN: 'tok-123',
  NAMESPACE: 'insights-agent',
};

test('defaults: the Insights host, 10 jobs at once, claims every 15s, Jobs read every 5s, :8080, in-process policy sync', () => {
  expect(onDemandJobsSettings({}, ENV)).toEqual({
    host: 'https://insights.fairwinds.com',
    organization: 'acme',
    cluster: 'prod',
    token: 'tok-123',
    namespace: 'insights-agent',
    kubeconfig: undefined,
    maxConcurrentJobs: 10,
    pollIntervalMs: 15_000,
    jobPollIntervalMs: 5000,
    timeoutOverridesMs: {},
    listen: ':8080',
    shutdownGraceMs: 25_000,
    requestTimeoutMs: 10_000,
    retries: 3,
    policySync: 'in-process',
  });
});

test('environment and flags (flags win); the token from a file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-settings-'));
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'from-file\n');
  const s = onDemandJobsSettings(
    { maxConcurrentJobs: '2', tokenFile, jobTimeouts: 'trivy=3s' },
    {
      ...ENV,
      FAIRWINDS_INSIGHTS_HOST: 'http://127.0.0.1:1',
      MAX_CONCURRENT_JOBS: '4',
      POLL_INTERVAL: '1s',
      JOB_POLL_INTERVAL: '250ms',
      LISTEN_ADDRESS: '127.0.0.1:0',
      POLICY_SYNC: 'cronjob',
    },
  );
  expect(s).toMatchObject({
    host: 'http://127.0.0.1:1',
    token: 'from-file',
    maxConcurrentJobs: 2,
    pollIntervalMs: 1000,
    jobPollIntervalMs: 250,
    timeoutOverridesMs: { trivy: 3000 },
    listen: '127.0.0.1:0',
    policySync: 'cronjob',
  });
  fs.rmSync(dir, { recursive: true });
});

test.each([
  [{ FAIRWINDS_ORG: '' }, `'FAIRWINDS_ORG' (or --org) is required, got ""`],
  [{ FAIRWINDS_CLUSTER: undefined }, `'FAIRWINDS_CLUSTER' (or --cluster) is required, got ""`],
  [
    { FAIRWINDS_TOKEN: ' ' },
    `'FAIRWINDS_TOKEN' (or FAIRWINDS_TOKEN_FILE, --token-file) is required, got an empty value`,
  ],
  [
    { FAIRWINDS_TOKEN_FILE: '/nonexistent/token' },
    `'FAIRWINDS_TOKEN_FILE' (or --token-file) does not exist, got "/nonexistent/token"`,
  ],
  [{ NAMESPACE: undefined }, `'NAMESPACE' (or --namespace) is required, got ""`],
  [{ MAX_CONCURRENT_JOBS: '0' }, `'MAX_CONCURRENT_JOBS' must be a positive integer, got "0"`],
  [{ MAX_CONCURRENT_JOBS: 'ten' }, `'MAX_CONCURRENT_JOBS' must be a positive integer, got "ten"`],
  [{ POLL_INTERVAL: 'often' }, `'POLL_INTERVAL' must be a duration like 30m, 90s or 1h30m, got "often"`],
  [{ POLL_INTERVAL: '0s' }, `'POLL_INTERVAL' must be a positive duration, got "0s"`],
  [{ JOB_TIMEOUTS: 'trivy' }, `'JOB_TIMEOUTS' entries must be <report type>=<duration>, got "trivy"`],
  [{ INSIGHTS_RETRIES: '-1' }, `'INSIGHTS_RETRIES' must be a non-negative integer, got "-1"`],
  [{ POLICY_SYNC: 'maybe' }, `'POLICY_SYNC' (or --policy-sync) must be in-process or cronjob, got "maybe"`],
])('%j is refused naming the setting', (over, message) => {
  const env: Record<string, string | undefined> = { ...ENV, ...over };
  expect(() => onDemandJobsSettings({}, env)).toThrow(message);
});

test('the token is never in an error', () => {
  try {
    onDemandJobsSettings({}, { ...ENV, MAX_CONCURRENT_JOBS: 'x' });
  } catch (err) {
    expect((err as Error).message).not.toContain('tok-123');
  }
});
