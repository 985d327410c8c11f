import type { ECRClient } from '@aws-sdk/client-ecr';
import { compileEcrMatcher, resolveEcrConfig, scanTimeoutSeconds } from '../pipeline/repository-match';
import type { EcrClientLike, EcrScanResult, ImageCandidate, ResolvedEcrConfig } from '../pipeline/types';
import { mapLimit } from '../map-limit';

/**
 * Scans ECR for image candidates with the fewest API calls possible: DescribeRepositories
 * (paginated, 1000 per page) once, then DescribeImages (paginated, 1000 per page) once per
 * matching repository, `maxConcurrentScans` repositories at a time, under one overall timeout.
 * No call is ever made per tag. Throttling is retried by the SDK in `adaptive` mode (client-side
 * rate limiting plus exponential backoff). Every call is counted and reported.
 *
 * The client is built here from plain configuration: credentials come from the AWS default
 * chain, or from STS AssumeRole on `roleArn` (with the default chain's credentials); never
 * from inputs. Which repositories and tags count is pure logic in ../pipeline/repository-match.ts.
 */

/** Page size asked of DescribeRepositories and DescribeImages (ECR's maximum). */
export const ECR_PAGE_SIZE = 1000;
/** Attempts per API call under adaptive retry. */
export const ECR_MAX_ATTEMPTS = 8;

const show = (value: unknown): string => JSON.stringify(value);

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
 * @throws Error when the scan exceeds `scanTimeout`, or an API call fails after retries
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
    timer = setTimeout(
      () => {
        abort.abort();
        reject(new ScanTimeout());
      },
      scanTimeoutSeconds(ecr) * 1000,
    );
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
    const perRepository = await mapLimit(chosen, ecr.maxConcurrentScans, async (repo) => {
      const found: ImageCandidate[] = [];
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
            found.push({
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
      return found;
    });
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
        `ECR scan exceeded 'ecr.scanTimeout' (${ecr.scanTimeout}) after scanning ${scanned} of ` +
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
