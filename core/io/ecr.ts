import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RE2JS } from 're2js';

/** `picomatch` and `re2js`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const picomatch = (): typeof import('picomatch') => require('picomatch') as typeof import('picomatch');
const re2js = (): typeof import('re2js') => require('re2js') as typeof import('re2js');
import type {
  EcrClientLike,
  EcrConfig,
  EcrScanResult,
  ImageCandidate,
  ResolvedEcrConfig,
} from '../pipeline/types';

/**
 * Scans ECR for image candidates with the fewest API calls possible: DescribeRepositories
 * (paginated, 1000 per page) once, then DescribeImages (paginated, 1000 per page) once per
 * matching repository, `maxConcurrentScans` repositories at a time, under one overall timeout.
 * No call is ever made per tag. Throttling is retried by the SDK in `adaptive` mode (client-side
 * rate limiting plus exponential backoff). Every call is counted and reported.
 *
 * The client is built here from plain configuration: credentials come from the AWS default
 * chain, or from STS AssumeRole on `roleArn` (with the default chain's credentials); never
 * from inputs.
 */

const show = (value: unknown): string => JSON.stringify(value);

/** Default of {@link EcrConfig.maxRepositories}. */
export const DEFAULT_MAX_REPOSITORIES = 50;
/** Default of {@link EcrConfig.maxConcurrentScans}. */
export const DEFAULT_MAX_CONCURRENT_SCANS = 10;
/** Default of {@link EcrConfig.scanTimeoutSeconds}. */
export const DEFAULT_SCAN_TIMEOUT_SECONDS = 300;
/** Page size asked of DescribeRepositories and DescribeImages (ECR's maximum). */
export const ECR_PAGE_SIZE = 1000;
/** Attempts per API call under adaptive retry. */
export const ECR_MAX_ATTEMPTS = 8;

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

/**
 * picomatch guards every path segment against `.` and `..` (and a `*` segment against the empty
 * string) with look-aheads, which RE2 does not have. ECR names can hold neither (a name component
 * starts with a letter or digit), so dropping the guards changes no match on a valid name.
 */
const PICOMATCH_SEGMENT_GUARDS = ['(?!(?:^|\\/)\\.{1,2}(?:\\/|$))', '(?!\\.{1,2}(?:\\/|$))', '(?=.)'];

/**
 * Compiles a glob with picomatch's syntax and semantics (`*` any run without `/`, `?` one
 * character other than `/`, `**` as a whole path segment any number of segments), matched by
 * RE2 (re2js) so that the time is linear in the name's length whatever the pattern (picomatch's
 * own JavaScript regex backtracks polynomially on `*a*a*a*…`). `allowed` lists the literal
 * characters the glob may contain.
 */
export function compileGlob(glob: string, field: string, allowed: RegExp): (name: string) => boolean {
  if (typeof glob !== 'string' || glob === '')
    throw new Error(`'${field}' must be a non-empty pattern, got ${show(glob)}`);
  const literal = glob.replace(/[*?]/g, '');
  const bad = [...literal].find((c) => !allowed.test(c));
  if (bad !== undefined) {
    throw new Error(
      `'${field}' contains ${show(bad)}, which cannot appear in what it matches; got ${show(glob)}`,
    );
  }
  let source = picomatch().makeRe(glob, { dot: true, nobrace: true, noextglob: true, nonegate: true }).source;
  for (const guard of PICOMATCH_SEGMENT_GUARDS) source = source.split(guard).join('');
  let re: RE2JS;
  try {
    re = re2js().RE2JS.compile(source);
  } catch (err) {
    throw new Error(`'${field}' is not a supported glob, got ${show(glob)} (${(err as Error).message})`);
  }
  return (name) => re.matches(name);
}

const REPOSITORY_CHAR = /[a-z0-9._/-]/;
const IMAGE_NAME_CHAR = /[a-z0-9._-]/;
const TAG_CHAR = /[A-Za-z0-9._-]/;

/** What a scan keeps: repositories by name, and tags. */
export interface EcrMatcher {
  repository(name: string): boolean;
  tag(tag: string): boolean;
}

/** The matcher of the (at most one) pattern the config sets; everything matches without one. */
export function compileEcrMatcher(ecr: EcrConfig, field = 'ecr'): EcrMatcher {
  const given = (['repositoryPattern', 'imageNamePattern', 'imagePattern'] as const).filter(
    (k) => ecr[k] !== undefined,
  );
  if (given.length > 1) {
    throw new Error(
      `'${field}' may set only one of repositoryPattern, imageNamePattern and imagePattern, got ${given.join(' and ')}`,
    );
  }
  const all = (): boolean => true;
  if (ecr.repositoryPattern !== undefined) {
    const re = compileGlob(ecr.repositoryPattern, `${field}.repositoryPattern`, REPOSITORY_CHAR);
    return { repository: re, tag: all };
  }
  if (ecr.imageNamePattern !== undefined) {
    const re = compileGlob(ecr.imageNamePattern, `${field}.imageNamePattern`, IMAGE_NAME_CHAR);
    return { repository: (n) => re(n.slice(n.lastIndexOf('/') + 1)), tag: all };
  }
  if (ecr.imagePattern !== undefined) {
    const p = ecr.imagePattern;
    if (typeof p !== 'string' || p === '')
      throw new Error(`'${field}.imagePattern' must be a non-empty pattern, got ${show(p)}`);
    const colon = p.indexOf(':');
    const repo = colon < 0 ? p : p.slice(0, colon);
    const tag = colon < 0 ? '*' : p.slice(colon + 1);
    const repoRe = compileGlob(repo, `${field}.imagePattern`, REPOSITORY_CHAR);
    const tagRe = compileGlob(tag, `${field}.imagePattern`, TAG_CHAR);
    return { repository: repoRe, tag: tagRe };
  }
  return { repository: all, tag: all };
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`'${field}' must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

/** Validates the ECR part of the configuration and applies its defaults. No I/O. */
export function resolveEcrConfig(ecr: EcrConfig, field = 'ecr'): ResolvedEcrConfig {
  if (ecr === null || typeof ecr !== 'object')
    throw new Error(`'${field}' must be an object, got ${show(ecr)}`);
  if (typeof ecr.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(ecr.region)) {
    throw new Error(`'${field}.region' must be an AWS region like eu-west-1, got ${show(ecr.region)}`);
  }
  compileEcrMatcher(ecr, field);
  if (
    ecr.registryId !== undefined &&
    (typeof ecr.registryId !== 'string' || !/^\d{12}$/.test(ecr.registryId))
  ) {
    throw new Error(`'${field}.registryId' must be a 12-digit AWS account id, got ${show(ecr.registryId)}`);
  }
  if (
    ecr.roleArn !== undefined &&
    (typeof ecr.roleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(ecr.roleArn))
  ) {
    throw new Error(
      `'${field}.roleArn' must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${show(ecr.roleArn)}`,
    );
  }
  if (ecr.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(ecr.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '') {
      throw new Error(
        `'${field}.endpoint' must be an http(s) URL without credentials, got ${show(ecr.endpoint)}`,
      );
    }
  }
  return {
    ...ecr,
    maxRepositories: integerIn(
      `${field}.maxRepositories`,
      ecr.maxRepositories ?? DEFAULT_MAX_REPOSITORIES,
      1,
      10000,
    ),
    maxConcurrentScans: integerIn(
      `${field}.maxConcurrentScans`,
      ecr.maxConcurrentScans ?? DEFAULT_MAX_CONCURRENT_SCANS,
      1,
      100,
    ),
    scanTimeoutSeconds: integerIn(
      `${field}.scanTimeoutSeconds`,
      ecr.scanTimeoutSeconds ?? DEFAULT_SCAN_TIMEOUT_SECONDS,
      1,
      86400,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Scan
// ---------------------------------------------------------------------------------------------

/** Builds the ECR client from plain configuration (adaptive retry; default chain, the given static credentials (a Secret), or an assumed role). */
export function createEcrClient(
  ecr: ResolvedEcrConfig,
  staticCredentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  },
): ECRClient {
  // Loaded here, not at module load: the dynamic provider serializes nothing of the SDK.
  const { ECRClient: Client } = require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr');
  let credentials: unknown = staticCredentials;
  if (ecr.roleArn !== undefined) {
    const providers =
      require('@aws-sdk/credential-providers') as typeof import('@aws-sdk/credential-providers');
    credentials = providers.fromTemporaryCredentials({
      params: { RoleArn: ecr.roleArn, RoleSessionName: 'jobforge-image-pipeline', DurationSeconds: 3600 },
      // An ECR test server (moto) serves STS on the same endpoint.
      clientConfig: { region: ecr.region, ...(ecr.endpoint !== undefined ? { endpoint: ecr.endpoint } : {}) },
    });
  }
  return new Client({
    region: ecr.region,
    retryMode: 'adaptive',
    maxAttempts: ECR_MAX_ATTEMPTS,
    ...(ecr.endpoint !== undefined ? { endpoint: ecr.endpoint } : {}),
    ...(credentials !== undefined
      ? { credentials: credentials as import('@aws-sdk/client-ecr').ECRClientConfig['credentials'] }
      : {}),
  });
}

interface RepositoryPage {
  repositories?: Array<{ repositoryName?: string; repositoryUri?: string; registryId?: string }>;
  nextToken?: string;
}
interface ImagePage {
  imageDetails?: Array<{
    imageDigest?: string;
    imageTags?: string[];
    imagePushedAt?: Date | string | number;
  }>;
  nextToken?: string;
}

/** Options of {@link scanEcr}. */
export interface ScanEcrOptions {
  /** An ECR client (unit tests pass a mock). @default - createEcrClient(config) */
  readonly client?: EcrClientLike;
}

class ScanTimeout extends Error {}

/**
 * Lists the image candidates (one per tag) of the repositories matching the configuration.
 * @throws Error when the scan exceeds `scanTimeoutSeconds`, or an API call fails after retries
 */
export async function scanEcr(
  config: ResolvedEcrConfig,
  options: ScanEcrOptions = {},
): Promise<EcrScanResult> {
  const ecr = resolveEcrConfig(config);
  const matcher = compileEcrMatcher(ecr);
  const ownClient = options.client === undefined;
  const client: EcrClientLike = options.client ?? createEcrClient(ecr);
  const sdk = require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr');
  const started = Date.now();
  const calls = { describeRepositories: 0, describeImages: 0 };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new ScanTimeout());
    }, ecr.scanTimeoutSeconds * 1000);
  });
  let scanned = 0;
  let matchedTotal = 0;
  const registryIdParam = ecr.registryId !== undefined ? { registryId: ecr.registryId } : {};

  const send = async <T>(command: unknown, what: string): Promise<T> => {
    if (abort.signal.aborted) throw new ScanTimeout();
    try {
      return (await client.send(command, { abortSignal: abort.signal })) as T;
    } catch (err) {
      if (abort.signal.aborted) throw new ScanTimeout();
      const e = err as Error & { name?: string };
      throw new Error(`ECR ${what} failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
    }
  };

  const work = async (): Promise<EcrScanResult> => {
    // 1. every repository, all pages
    const repositories: Array<{ name: string; registry: string }> = [];
    let nextToken: string | undefined;
    do {
      calls.describeRepositories += 1;
      const page = await send<RepositoryPage>(
        new sdk.DescribeRepositoriesCommand({ ...registryIdParam, maxResults: ECR_PAGE_SIZE, nextToken }),
        'DescribeRepositories',
      );
      for (const r of page.repositories ?? []) {
        if (r.repositoryName === undefined || !matcher.repository(r.repositoryName)) continue;
        const uri = r.repositoryUri ?? '';
        const registry = uri.includes('/')
          ? uri.slice(0, uri.indexOf('/'))
          : `${r.registryId ?? ecr.registryId ?? 'unknown'}.dkr.ecr.${ecr.region}.amazonaws.com`;
        repositories.push({ name: r.repositoryName, registry });
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken !== undefined);
    repositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    matchedTotal = repositories.length;
    const chosen = repositories.slice(0, ecr.maxRepositories);

    // 2. the images of each chosen repository, all pages, bounded concurrency
    const perRepository: ImageCandidate[][] = chosen.map(() => []);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chosen.length) {
        const index = next++;
        const repo = chosen[index];
        let token: string | undefined;
        do {
          calls.describeImages += 1;
          const page = await send<ImagePage>(
            new sdk.DescribeImagesCommand({
              ...registryIdParam,
              repositoryName: repo.name,
              filter: { tagStatus: 'TAGGED' },
              maxResults: ECR_PAGE_SIZE,
              nextToken: token,
            }),
            `DescribeImages of ${show(repo.name)}`,
          );
          for (const image of page.imageDetails ?? []) {
            if (image.imageDigest === undefined) continue;
            const pushed = image.imagePushedAt === undefined ? new Date(0) : new Date(image.imagePushedAt);
            for (const tag of image.imageTags ?? []) {
              if (!matcher.tag(tag)) continue;
              perRepository[index].push({
                repository: repo.name,
                registry: repo.registry,
                tag,
                digest: image.imageDigest,
                pushedAt: pushed.toISOString(),
              });
            }
          }
          token = page.nextToken || undefined;
        } while (token !== undefined);
        scanned += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(ecr.maxConcurrentScans, chosen.length) }, worker));
    const candidates = perRepository.flatMap((list) =>
      list.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
    );
    return {
      candidates,
      repositories: chosen.map((r) => r.name),
      repositoriesMatched: repositories.length,
      apiCalls: { ...calls, total: calls.describeRepositories + calls.describeImages },
      durationMs: Date.now() - started,
    };
  };

  try {
    return await Promise.race([work(), timeout]);
  } catch (err) {
    if (err instanceof ScanTimeout) {
      throw new Error(
        `ECR scan exceeded 'ecr.scanTimeoutSeconds' (${ecr.scanTimeoutSeconds} s) after scanning ${scanned} of ` +
          `${matchedTotal} matching repositories (${calls.describeRepositories + calls.describeImages} API calls)`,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
    if (ownClient) (client as ECRClient).destroy();
  }
}
