import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type DescribeImagesCommandInput,
  type DescribeRepositoriesCommandInput,
} from '@aws-sdk/client-ecr';
import picomatch from 'picomatch';
import { compileEcrMatcher, resolveEcrConfig } from '../../../../core/pipeline/repository-match';
import { scanEcr } from '../../../../core/io/ecr';
import type { EcrClientLike, EcrConfig } from '../../../../core/pipeline/types';

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * A mocked ECR that paginates as the real one does: `pageSize` items per page (never more than
 * maxResults), with an opaque nextToken. Records every call and the peak of concurrent calls.
 */
function fakeEcr(
  repos: Record<string, number>,
  opts: { pageSize?: number; delayMs?: number; hang?: boolean } = {},
) {
  const pageSize = opts.pageSize ?? 2;
  const calls: Array<{ op: string; input: unknown }> = [];
  let inFlight = 0;
  let peak = 0;
  const names = Object.keys(repos);
  const page = <T>(
    items: T[],
    token: string | undefined,
    max: number | undefined,
  ): { items: T[]; nextToken?: string } => {
    const start = token ? Number(token.replace('tok-', '')) : 0;
    const size = Math.min(pageSize, max ?? 1000);
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { nextToken: `tok-${end}` } : {}) };
  };
  const client: EcrClientLike = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        if (opts.hang) {
          await new Promise((_, reject) =>
            options?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))),
          );
        }
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        if (command instanceof DescribeRepositoriesCommand) {
          const input = command.input as DescribeRepositoriesCommandInput;
          calls.push({ op: 'DescribeRepositories', input });
          const p = page(names, input.nextToken, input.maxResults);
          return {
            repositories: p.items.map((n) => ({
              repositoryName: n,
              registryId: ACCOUNT,
              repositoryUri: `${REGISTRY}/${n}`,
            })),
            nextToken: p.nextToken,
          };
        }
        if (command instanceof DescribeImagesCommand) {
          const input = command.input as DescribeImagesCommandInput;
          calls.push({ op: 'DescribeImages', input });
          const count = repos[input.repositoryName as string];
          const images = Array.from({ length: count }, (_, i) => ({
            imageDigest: digest(i + 1),
            imageTags: i === 0 ? [`1.0.${i}`, 'latest'] : [`1.0.${i}`],
            imagePushedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
          }));
          images.push({
            imageDigest: digest(999),
            imageTags: undefined as unknown as string[],
            imagePushedAt: new Date(0),
          });
          const p = page(images, input.nextToken, input.maxResults);
          return { imageDetails: p.items, nextToken: p.nextToken };
        }
        throw new Error(`unexpected command ${String(command)}`);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { client, calls, peak: () => peak };
}

/** A resolved config; every repository (`**`) unless a pattern is given (the schema wants exactly one). */
const config = (ecr: Partial<EcrConfig> = {}) =>
  resolveEcrConfig({
    region: 'eu-west-1',
    ...((ecr.repositoryPattern ?? ecr.imageNamePattern ?? ecr.imagePattern)
      ? {}
      : { repositoryPattern: '**' }),
    ...ecr,
  });

describe('scanEcr with a paginating (mocked) ECR client', () => {
  test('follows every nextToken of both APIs, asks 1000 per page, and counts the calls', async () => {
    const ecr = fakeEcr({ 'team-a/api': 5, 'team-a/web': 1, 'team-b/db': 3, other: 0, 'team-a/x': 2 });
    const result = await scanEcr(config({ repositoryPattern: 'team-a/*' }), { client: ecr.client });
    // repositories: 5 names, 2 per page -> 3 calls; images: api 6 items -> 3 pages, web 2 -> 1, x 3 -> 2
    expect(result.apiCalls).toEqual({ describeRepositories: 3, describeImages: 6, total: 9 });
    expect(
      ecr.calls
        .filter((c) => c.op === 'DescribeRepositories')
        .map((c) => (c.input as { nextToken?: string }).nextToken),
    ).toEqual([undefined, 'tok-2', 'tok-4']);
    expect(ecr.calls.every((c) => (c.input as { maxResults: number }).maxResults === 1000)).toBe(true);
    expect(
      ecr.calls
        .filter((c) => c.op === 'DescribeImages')
        .every((c) => (c.input as DescribeImagesCommandInput).filter?.tagStatus === 'TAGGED'),
    ).toBe(true);
    expect(result.repositories).toEqual(['team-a/api', 'team-a/web', 'team-a/x']);
    expect(result.repositoriesMatched).toBe(3);
    // api: 5 images, 6 tags (first has latest too); web: 2 tags; x: 3 tags; untagged skipped
    expect(result.candidates).toHaveLength(6 + 2 + 3);
    expect(result.candidates[0]).toEqual({
      repository: 'team-a/api',
      registry: REGISTRY,
      tag: '1.0.0',
      digest: digest(1),
      pushedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(result.candidates.filter((c) => c.repository === 'team-a/api').map((c) => c.tag)).toEqual([
      '1.0.0',
      '1.0.1',
      '1.0.2',
      '1.0.3',
      '1.0.4',
      'latest',
    ]);
  });

  test('maxRepositories keeps the first N matching names; registryId is passed on every call', async () => {
    const ecr = fakeEcr({ c: 1, a: 1, b: 1, d: 1 });
    const result = await scanEcr(config({ maxRepositories: 2, registryId: ACCOUNT }), { client: ecr.client });
    expect(result.repositories).toEqual(['a', 'b']);
    expect(result.repositoriesMatched).toBe(4);
    expect(result.apiCalls.describeImages).toBe(2);
    expect(ecr.calls.every((c) => (c.input as { registryId?: string }).registryId === ACCOUNT)).toBe(true);
  });

  test('imagePattern filters repositories and tags', async () => {
    const ecr = fakeEcr({ 'team-a/nginx': 3, 'team-b/nginx': 1, 'team-a/api': 2 }, { pageSize: 1000 });
    const result = await scanEcr(config({ imagePattern: '*/nginx:1.0.?' }), { client: ecr.client });
    expect(result.repositories).toEqual(['team-a/nginx', 'team-b/nginx']);
    expect(result.candidates.map((c) => `${c.repository}:${c.tag}`)).toEqual([
      'team-a/nginx:1.0.0',
      'team-a/nginx:1.0.1',
      'team-a/nginx:1.0.2',
      'team-b/nginx:1.0.0',
    ]);
    expect(result.apiCalls.total).toBe(3);
  });

  test.each([1, 3, 10])('never more than maxConcurrentScans=%d DescribeImages calls at once', async (max) => {
    const repos = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`r${String(i).padStart(2, '0')}`, 3]),
    );
    const ecr = fakeEcr(repos, { delayMs: 5, pageSize: 1000 });
    const result = await scanEcr(config({ maxConcurrentScans: max }), { client: ecr.client });
    expect(result.repositories).toHaveLength(12);
    expect(ecr.peak()).toBe(max);
  });

  test('the overall timeout fails the scan with what it had done', async () => {
    const ecr = fakeEcr({ a: 1 }, { hang: true });
    const started = Date.now();
    await expect(scanEcr(config({ scanTimeout: '1s' }), { client: ecr.client })).rejects.toThrow(
      "ECR scan exceeded 'ecr.scanTimeout' (1s) after scanning 0 of 0 matching repositories (1 API calls)",
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('an API error names the call', async () => {
    const client: EcrClientLike = {
      send: async () => {
        throw Object.assign(new Error('User is not authorized to perform ecr:DescribeRepositories'), {
          name: 'AccessDeniedException',
        });
      },
    };
    await expect(scanEcr(config(), { client })).rejects.toThrow(
      'ECR DescribeRepositories failed: AccessDeniedException: User is not authorized to perform ecr:DescribeRepositories',
    );
  });
});

describe('ECR patterns', () => {
  test.each([
    [{ repositoryPattern: 'team-a/*' }, ['team-a/api', 'team-a/web'], ['team-a/x/y', 'team-b/api', 'team-a']],
    [{ repositoryPattern: 'service-*' }, ['service-a', 'service-'], ['x/service-a', 'services']],
    // picomatch's globstar: a whole segment matching any number of segments, including none
    [{ repositoryPattern: 'team-a/**' }, ['team-a/x/y', 'team-a/x', 'team-a'], ['team-b/x', 'team-ab']],
    [{ repositoryPattern: '**/nginx' }, ['nginx', 'a/nginx', 'a/b/nginx'], ['nginx-x', 'a/nginx/b']],
    [{ repositoryPattern: 'a/**/api' }, ['a/api', 'a/x/api', 'a/x/y/api'], ['b/x/api', 'a/xapi']],
    // `**` inside a segment is a `*` (bash, picomatch), not a run across `/`
    [{ repositoryPattern: 'team**api' }, ['team-api', 'teamapi'], ['team/api', 'team-a/x/api']],
    [{ repositoryPattern: 'svc-?' }, ['svc-1', 'svc-a'], ['svc-10', 'svc-/']],
    [{ imageNamePattern: 'nginx*' }, ['nginx', 'a/b/nginx-alpine'], ['nginx/a', 'my-nginx']],
    [{ imagePattern: '*/nginx:stable-*' }, ['team-a/nginx'], ['nginx', 'a/b/nginx']],
  ])('%j', (ecr, yes, no) => {
    const m = compileEcrMatcher({ region: 'eu-west-1', ...ecr });
    for (const name of yes) expect([name, m.repository(name)]).toEqual([name, true]);
    for (const name of no) expect([name, m.repository(name)]).toEqual([name, false]);
  });
  test('tag part of imagePattern', () => {
    const m = compileEcrMatcher({ region: 'eu-west-1', imagePattern: '*/nginx:stable-*' });
    expect(m.tag('stable-1.25')).toBe(true);
    expect(m.tag('1.25')).toBe(false);
    expect(compileEcrMatcher({ region: 'eu-west-1', imagePattern: 'team-a/*' }).tag('anything')).toBe(true);
  });
  // The globs are picomatch's: for every ECR-valid name, the RE2 matcher agrees with picomatch.
  test('agrees with picomatch on a table of globs and names', () => {
    const globs = [
      'team-a/*',
      'service-*',
      '**',
      'a/**',
      'a/**/b',
      'a**b',
      '*a*a*b',
      '?x',
      'x-?-y',
      '**/nginx',
      '*/*',
      'a/*/**',
      '**/a/**',
      'a.b',
      '*-*',
      '*.*',
    ];
    const names = [
      'team-a/api',
      'team-a',
      'team-a/b/c',
      'service-x',
      'a',
      'a/b',
      'a/x/b',
      'a/x/y/b',
      'axb',
      'ab',
      'aab',
      'ax/b',
      'x-1-y',
      'nginx',
      'z/nginx',
      'y/z/nginx',
      'a.b',
      'a-b',
      'a/b/a/c',
      'a1.b2/c',
    ];
    for (const glob of globs) {
      const m = compileEcrMatcher({ region: 'eu-west-1', repositoryPattern: glob });
      for (const name of names) {
        expect([glob, name, m.repository(name)]).toEqual([
          glob,
          name,
          picomatch.isMatch(name, glob, { dot: true }),
        ]);
      }
    }
  });

  // A backtracking matcher takes seconds here (the old hand-written glob: 3.4 s on 40 characters);
  // bench/pattern-matching.bench.ts shows the linear growth. This asserts only the answers.
  test('pathological globs give the right answers', () => {
    const m = compileEcrMatcher({ region: 'eu-west-1', repositoryPattern: `${'*a'.repeat(6)}*b` });
    expect(m.repository('a'.repeat(40))).toBe(false);
    expect(m.repository(`${'a'.repeat(40)}b`)).toBe(true);
    expect(m.repository(`${'a'.repeat(5)}b`)).toBe(false);
  });

  test('a dot in a pattern is literal', () => {
    const m = compileEcrMatcher({ region: 'eu-west-1', repositoryPattern: 'a.b' });
    expect(m.repository('a.b')).toBe(true);
    expect(m.repository('axb')).toBe(false);
  });
});
