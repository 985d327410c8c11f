import { resolveEcrConfig } from '../../core/pipeline/repository-match';
import { scanEcr } from '../../core/io/ecr';
import { selectImages } from '../../core/pipeline/select';
import { createRepository, motoEcrClient, putImage, useMotoCredentials } from '../support/ecr-seed';
import { e2eEnv } from '../support/e2e-env';
import { startMoto, type MotoServer } from '../support/moto';

jest.setTimeout(120000);

// Its own moto server (not the shared one), so other suites' resets cannot touch this seed.
const BIN_DIR = e2eEnv().binDir;

describe('scanEcr against moto (real ECR API server)', () => {
  let moto: MotoServer;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    useMotoCredentials();
    moto = await startMoto({ binDir: BIN_DIR });
    const client = motoEcrClient(moto.endpoint);
    for (const repo of ['team-a/api', 'team-a/web', 'team-b/api', 'service-x'])
      await createRepository(client, repo);
    for (const tag of ['1.0.0', 'v1.1.0', '2.0.0-rc.1', 'latest']) {
      digests[`team-a/api:${tag}`] = await putImage(client, 'team-a/api', tag);
    }
    digests['team-a/web:stable-1'] = await putImage(client, 'team-a/web', 'stable-1');
    digests['team-b/api:3.0.0'] = await putImage(client, 'team-b/api', '3.0.0');
    digests['service-x:7'] = await putImage(client, 'service-x', '7');
    client.destroy();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  test('repositoryPattern team-a/*: both repositories, every tag, real digests, one call per repository', async () => {
    const result = await scanEcr(
      resolveEcrConfig({ region: 'eu-west-1', endpoint: moto.endpoint, repositoryPattern: 'team-a/*' }),
    );
    expect(result.repositories).toEqual(['team-a/api', 'team-a/web']);
    expect(result.apiCalls).toEqual({ describeRepositories: 1, describeImages: 2, total: 3 });
    expect(result.candidates.map((c) => `${c.repository}:${c.tag}`)).toEqual([
      'team-a/api:1.0.0',
      'team-a/api:2.0.0-rc.1',
      'team-a/api:latest',
      'team-a/api:v1.1.0',
      'team-a/web:stable-1',
    ]);
    for (const c of result.candidates) {
      expect(c.digest).toBe(digests[`${c.repository}:${c.tag}`]);
      expect(c.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(c.registry).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      expect(Date.parse(c.pushedAt)).toBeGreaterThan(Date.now() - 10 * 60 * 1000);
    }
    expect(new Set(result.candidates.map((c) => c.digest)).size).toBe(5);
    const selected = selectImages(result.candidates, { semver: { range: '>=1.0.0' } });
    expect(selected.map((i) => i.fullImageName)).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/api:v1.1.0',
    ]);
  });

  test('imagePattern and imageNamePattern', async () => {
    const byImage = await scanEcr(
      resolveEcrConfig({ region: 'eu-west-1', endpoint: moto.endpoint, imagePattern: '*/api:v*' }),
    );
    expect(byImage.candidates.map((c) => `${c.repository}:${c.tag}`)).toEqual(['team-a/api:v1.1.0']);
    expect(byImage.repositories).toEqual(['team-a/api', 'team-b/api']);
    const byName = await scanEcr(
      resolveEcrConfig({ region: 'eu-west-1', endpoint: moto.endpoint, imageNamePattern: 'service-*' }),
    );
    expect(byName.candidates.map((c) => `${c.repository}:${c.tag}`)).toEqual(['service-x:7']);
  });

  test('roleArn: the scan runs with credentials from STS AssumeRole (served by moto)', async () => {
    const result = await scanEcr(
      resolveEcrConfig({
        region: 'eu-west-1',
        endpoint: moto.endpoint,
        repositoryPattern: 'service-*',
        roleArn: 'arn:aws:iam::123456789012:role/jobforge-ecr-read',
      }),
    );
    expect(result.candidates.map((c) => `${c.repository}:${c.tag}`)).toEqual(['service-x:7']);
    // moto records the assumed-role session in its state
    const state = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
      sts?: { assumed_roles?: Array<{ role_arn?: string }> | Record<string, unknown> };
    };
    expect(JSON.stringify(state.sts ?? {})).toContain('jobforge-ecr-read');
  });

  test('an unreachable endpoint fails with the API named', async () => {
    await expect(
      scanEcr(
        resolveEcrConfig({
          region: 'eu-west-1',
          repositoryPattern: '**',
          endpoint: 'http://127.0.0.1:9',
          scanTimeout: '20s',
        }),
      ),
    ).rejects.toThrow(/^ECR DescribeRepositories failed: /);
  });
});

describe('throttling', () => {
  test('ThrottlingException is retried by the adaptive retry of the client scanEcr builds', async () => {
    useMotoCredentials();
    const http = await import('node:http');
    let requests = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        if (requests <= 2) {
          res.writeHead(400, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-ErrorType': 'ThrottlingException',
          });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ repositories: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const result = await scanEcr(
        resolveEcrConfig({
          region: 'eu-west-1',
          repositoryPattern: '**',
          endpoint: `http://127.0.0.1:${port}`,
        }),
      );
      expect(requests).toBe(3);
      expect(result.apiCalls).toEqual({ describeRepositories: 1, describeImages: 0, total: 1 });
      expect(result.candidates).toEqual([]);
    } finally {
      server.close();
    }
  });
});
