import { insightsPolicySource } from '../../../core/policy-sync/insights-source';
import { PolicySourceError } from '../../../core/policy-sync/policy-source';
import { InsightsServer, startInsightsServer } from '../../support/insights-server';

const YAML = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: a\nspec: {}\n';
let server: InsightsServer;

beforeEach(async () => {
  server = await startInsightsServer({
    token: 't0ken',
    organization: 'acme',
    cluster: 'prod',
    policies: YAML,
  });
});
afterEach(() => server.close());

const source = (over: Partial<Parameters<typeof insightsPolicySource>[0]> = {}) =>
  insightsPolicySource({
    host: server.url,
    token: 't0ken',
    organization: 'acme',
    cluster: 'prod',
    retryDelayMs: 10,
    timeoutMs: 2000,
    ...over,
  });

async function failure(p: Promise<unknown>): Promise<PolicySourceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PolicySourceError);
    return err as PolicySourceError;
  }
  throw new Error('expected a failure');
}

test('GETs the documented endpoint with the Bearer token and returns the YAML', async () => {
  const texts = await source().fetchYaml();
  expect(texts).toEqual([
    {
      origin: `${server.url}/v0/organizations/acme/clusters/prod/kyverno-policies/with-app-groups-applied/yaml`,
      yaml: YAML,
    },
  ]);
  expect(server.requests).toEqual([
    {
      method: 'GET',
      url: '/v0/organizations/acme/clusters/prod/kyverno-policies/with-app-groups-applied/yaml',
      authorization: 'Bearer t0ken',
    },
  ]);
  expect(source().description).not.toContain('t0ken');
});

test('401: a bad token, not retried', async () => {
  const err = await failure(source({ token: 'wrong' }).fetchYaml());
  expect(err.status).toBe(401);
  expect(err.message).toMatch(
    /refused the token \(HTTP 401 Unauthorized\).*check the token \(FAIRWINDS_TOKEN\)/,
  );
  expect(err.message).not.toContain('wrong');
  expect(server.requests).toHaveLength(1);
});

test('403: a token without access, not retried', async () => {
  server.answers.push({ status: 403, body: 'forbidden' });
  const err = await failure(source().fetchYaml());
  expect(err.status).toBe(403);
  expect(err.message).toContain('HTTP 403 Forbidden');
  expect(server.requests).toHaveLength(1);
});

test('404: an unknown organization or cluster, named in the message', async () => {
  const err = await failure(source({ cluster: 'staging' }).fetchYaml());
  expect(err.status).toBe(404);
  expect(err.message).toContain('does not know organization "acme", cluster "staging" (HTTP 404 Not Found)');
  expect(err.message).toContain('FAIRWINDS_ORG and FAIRWINDS_CLUSTER');
  expect(server.requests).toHaveLength(1);
});

test('5xx: retried with backoff, succeeds when the API recovers', async () => {
  server.answers.push({ status: 503, body: 'busy' }, { status: 500, body: 'oops' });
  const texts = await source().fetchYaml();
  expect(texts[0].yaml).toBe(YAML);
  expect(server.requests).toHaveLength(3);
});

test('5xx: gives up after the retries with the last status', async () => {
  for (let i = 0; i < 5; i++) server.answers.push({ status: 502, body: 'bad gateway' });
  const err = await failure(source({ retries: 2 }).fetchYaml());
  expect(err.status).toBe(502);
  expect(err.message).toMatch(/answered HTTP 502 Bad Gateway .*: bad gateway \(gave up after 3 attempts\)/);
  expect(server.requests).toHaveLength(3);
});

test('timeouts: retried, then fail naming the timeout', async () => {
  server.answers.push('hang', 'hang');
  const err = await failure(source({ retries: 1, timeoutMs: 300 }).fetchYaml());
  expect(err.message).toMatch(/no answer within 300 ms.*gave up after 2 attempts/);
  expect(server.requests).toHaveLength(2);
});

test('a hang followed by an answer succeeds', async () => {
  server.answers.push('hang');
  expect((await source({ timeoutMs: 300 }).fetchYaml())[0].yaml).toBe(YAML);
});

test('connection refused: retried, then fails', async () => {
  const url = server.url;
  await server.close();
  const err = await failure(
    insightsPolicySource({
      host: url,
      token: 't',
      organization: 'o',
      cluster: 'c',
      retries: 1,
      retryDelayMs: 5,
    }).fetchYaml(),
  );
  expect(err.message).toContain('ECONNREFUSED');
  server = await startInsightsServer({ token: 'x', organization: 'o', cluster: 'c' });
});

test('encodes organization and cluster in the path', async () => {
  await failure(source({ organization: 'a/b c', retries: 0 }).fetchYaml());
  expect(server.requests[0].url).toBe(
    '/v0/organizations/a%2Fb%20c/clusters/prod/kyverno-policies/with-app-groups-applied/yaml',
  );
});

test.each([
  [{ host: 'insights.fairwinds.com' }, `'host' must be an http(s) URL, got "insights.fairwinds.com"`],
  [{ host: 'ftp://x' }, `'host' must be an http(s) URL, got "ftp://x"`],
  [{ token: '' }, `'token' is required, got an empty value`],
  [{ organization: ' ' }, `'organization' is required, got " "`],
  [{ cluster: '' }, `'cluster' is required, got ""`],
  [{ retries: -1 }, `'retries' must be a non-negative integer, got -1`],
])('rejects options %j', (over, message) => {
  expect(() => source(over)).toThrow(message);
});

describe('response limits', () => {
  test('a body larger than maxResponseBytes (declared length) is refused, not retried', async () => {
    server.answers.push({ status: 200, body: 'x'.repeat(2048) });
    const err = await failure(source({ maxResponseBytes: 1024 }).fetchYaml());
    expect(err.message).toBe(
      `Insights API response from ${server.url}/v0/organizations/acme/clusters/prod/kyverno-policies/with-app-groups-applied/yaml ` +
        'is larger than 1024 bytes; refused (raise INSIGHTS_MAX_RESPONSE_BYTES / maxResponseBytes if it is genuine)',
    );
    expect(server.requests).toHaveLength(1);
  });

  test('a streamed body without a length is cut off once past the limit (the read is aborted)', async () => {
    server.answers.push({ status: 200, endless: Buffer.alloc(64 * 1024, 'a') });
    const err = await failure(source({ maxResponseBytes: 1024 * 1024 }).fetchYaml());
    expect(err.message).toMatch(/is larger than 1048576 bytes; refused/);
    // The server was stopped well before sending, say, 64 MiB: the client hung up.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.endlessBytesSent).toBeLessThan(64 * 1024 * 1024);
  });

  test('the default limit is 10 MiB', async () => {
    server.answers.push({ status: 200, body: Buffer.alloc(10 * 1024 * 1024 + 1, ' ') });
    expect((await failure(source().fetchYaml())).message).toMatch(/is larger than 10485760 bytes/);
    server.answers.push({ status: 200, body: Buffer.alloc(10 * 1024 * 1024, ' ') });
    expect((await source().fetchYaml())[0].yaml).toHaveLength(10 * 1024 * 1024);
  });

  test.each([0, -1, 1.5])('maxResponseBytes %s is refused', (maxResponseBytes) => {
    expect(() => source({ maxResponseBytes })).toThrow(
      `'maxResponseBytes' must be a positive integer, got ${maxResponseBytes}`,
    );
  });
});

describe('encoding', () => {
  test('invalid UTF-8 is refused, saying where, never replaced with U+FFFD', async () => {
    const body = Buffer.concat([
      Buffer.from('kind: ClusterPolicy\nmetadata:\n  name: caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    server.answers.push({ status: 200, body });
    const err = await failure(source().fetchYaml());
    expect(err.message).toMatch(
      /^Insights API response from http:\/\/127.0.0.1:\d+\/\S+ is not valid UTF-8: byte 0xe9 at offset 41 \(line 3, column 12\)$/,
    );
    expect(server.requests).toHaveLength(1);
  });

  test('valid UTF-8, a genuine U+FFFD included, is kept as is', async () => {
    const yaml = '# café \uFFFD ✓\n' + YAML;
    server.answers.push({ status: 200, body: Buffer.from(yaml, 'utf8') });
    expect((await source().fetchYaml())[0].yaml).toBe(yaml);
  });

  test('an invalid byte after a genuine U+FFFD is still found', async () => {
    server.answers.push({ status: 200, body: Buffer.concat([Buffer.from('a\uFFFDb'), Buffer.from([0xff])]) });
    expect((await failure(source().fetchYaml())).message).toMatch(
      /byte 0xff at offset 5 \(line 1, column 4\)$/,
    );
  });
});

describe('the token is never printed', () => {
  test('echoed by the server in an error body, it is redacted', async () => {
    for (let i = 0; i < 3; i++)
      server.answers.push({ status: 500, body: '{"error":"invalid token t0ken for org acme"}' });
    const err = await failure(source({ retries: 2 }).fetchYaml());
    expect(err.message).toContain('invalid token [REDACTED] for org acme');
    expect(err.message).not.toContain('t0ken');
  });

  test('the source redacts the token (plain and URL-encoded) from any text', () => {
    const s = source({ token: 'a b/c' });
    expect(s.redact!('x a b/c y a%20b%2Fc z')).toBe('x [REDACTED] y [REDACTED] z');
  });

  test.each([
    [
      'https://user:pw@insights.example.com',
      `'host' must not contain credentials (user:password@; the token is FAIRWINDS_TOKEN), got "https://***@insights.example.com"`,
    ],
    ['https://token@insights.example.com/', `got "https://***@insights.example.com/"`],
    ['https://user:pw@bad host', `'host' must be an http(s) URL, got "https://***@bad host"`],
  ])('credentials in the host %s are refused, not echoed', (host, message) => {
    expect(() => source({ host })).toThrow(message);
    try {
      source({ host });
    } catch (err) {
      expect((err as Error).message).not.toContain('pw');
    }
  });
});
