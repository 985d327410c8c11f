import { OnDemandJob, claimPath, parseClaimedJobs, statusPath } from '../on-demand/on-demand-job';
import { decodeUtf8Strict } from '../policy-sync/strict-utf8';
import { SILENT_LOGGER, SyncLogger } from '../policy-sync/sync-logger';
import { DEFAULT_MAX_RESPONSE_BYTES, POLICY_SYNC_SETTINGS } from '../policy-sync/sync-settings';

/**
 * The one Fairwinds Insights HTTP client of jobforge: the policy sync's policy source and the
 * on-demand job runner both talk to Insights through it. Bearer token, a timeout per request,
 * retries with exponential backoff and jitter after a 5xx, a 429, a timeout or a network error
 * (never after another 4xx), a cap on the response size, strict UTF-8, and the token redacted
 * from every error.
 */

/** An Insights request failed; `status` is the HTTP status when there was an answer. */
export class InsightsApiError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'InsightsApiError';
  }
}

/** Options of {@link insightsClient}. */
export interface InsightsClientOptions {
  /** Base URL of Fairwinds Insights, e.g. `https://insights.fairwinds.com` (`FAIRWINDS_INSIGHTS_HOST`). */
  readonly host: string;
  /** API token of the cluster (`FAIRWINDS_TOKEN`). Sent as a Bearer token, never logged. */
  readonly token: string;
  /** Organization name (`FAIRWINDS_ORG`). */
  readonly organization: string;
  /** Cluster name in Insights (`FAIRWINDS_CLUSTER`). */
  readonly cluster: string;
  /**
   * Time allowed for one request, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /**
   * Retries after a 5xx, a 429, a timeout or a network error (not after other 4xx).
   * @default 3
   */
  readonly retries?: number;
  /**
   * Delay before the first retry, in milliseconds; doubled for each further retry (with jitter).
   * @default 1000
   */
  readonly retryDelayMs?: number;
  /**
   * Largest response accepted, in bytes (`INSIGHTS_MAX_RESPONSE_BYTES`): the read is aborted past it.
   * @default 10485760 (10 MiB)
   */
  readonly maxResponseBytes?: number;
  /** @default - no logging */
  readonly logger?: SyncLogger;
}

/** One request: method, path under the host (with its query), body sent as JSON. */
export interface InsightsRequestOptions {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly accept?: string;
  readonly json?: unknown;
}

/** A configured Insights client. */
export interface InsightsClient {
  readonly organization: string;
  readonly cluster: string;
  /** The URL of a path under the host (a host with a path prefix keeps it). */
  url(path: string): URL;
  /** Sends a request (retried as described) and returns the body of a 2xx answer. */
  request(req: InsightsRequestOptions): Promise<{ readonly url: URL; readonly body: string }>;
  /** Removes the token (plain, trimmed, URL-encoded) from a text. */
  redact(text: string): string;
}

/** `https://***@host/`: a URL text with any `user:password@` part masked, for error messages. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

function nonNegativeInt(value: number | undefined, field: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`'${field}' must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * Reads a response body, aborting the read (and the connection) once it passes `max` bytes; a
 * declared Content-Length above `max` is refused before reading.
 */
async function readCapped(res: Response, max: number, url: URL): Promise<Uint8Array> {
  const tooLarge = (): InsightsApiError =>
    new InsightsApiError(
      `Insights API response from ${url} is larger than ${max} bytes; refused ` +
        `(raise ${POLICY_SYNC_SETTINGS.maxResponseBytes.env} / maxResponseBytes if it is genuine)`,
    );
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Checks the options and returns the client. Throws an Error naming the bad option. */
export function insightsClient(options: InsightsClientOptions): InsightsClient {
  const shownHost = JSON.stringify(maskUrlCredentials(String(options.host)));
  let base: URL;
  try {
    base = new URL(options.host);
  } catch {
    throw new Error(`'host' must be an http(s) URL, got ${shownHost}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`'host' must be an http(s) URL, got ${shownHost}`);
  }
  if (base.username !== '' || base.password !== '') {
    throw new Error(
      `'host' must not contain credentials (user:password@; the token is FAIRWINDS_TOKEN), got ${shownHost}`,
    );
  }
  for (const field of ['token', 'organization', 'cluster'] as const) {
    if (typeof options[field] !== 'string' || options[field].trim() === '') {
      throw new Error(
        `'${field}' is required, got ${field === 'token' ? 'an empty value' : JSON.stringify(options[field])}`,
      );
    }
  }
  const timeoutMs = nonNegativeInt(options.timeoutMs, 'timeoutMs', 30_000) || 30_000;
  const retries = nonNegativeInt(options.retries, 'retries', 3);
  const retryDelayMs = nonNegativeInt(options.retryDelayMs, 'retryDelayMs', 1000);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 1) {
    throw new Error(`'maxResponseBytes' must be a positive integer, got ${options.maxResponseBytes}`);
  }
  const token = options.token;
  const secrets = [...new Set([token, token.trim(), encodeURIComponent(token)])].filter((t) => t.length > 0);
  const redact = (text: string): string =>
    secrets.reduce((t, secret) => t.split(secret).join('[REDACTED]'), text);
  const logger = options.logger ?? SILENT_LOGGER;
  const where = `organization ${JSON.stringify(options.organization)}, cluster ${JSON.stringify(options.cluster)}`;
  const urlOf = (path: string): URL => new URL(base.pathname.replace(/\/+$/, '') + path, base);

  async function attempt(
    req: InsightsRequestOptions,
    url: URL,
  ): Promise<{ retry: boolean; error?: InsightsApiError; body?: string }> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: req.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: req.accept ?? 'application/json',
          ...(req.json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: req.json !== undefined ? JSON.stringify(req.json) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      const reason = timedOut
        ? `no answer within ${timeoutMs} ms`
        : `${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`;
      return {
        retry: true,
        error: new InsightsApiError(`Insights API request to ${url} failed (${reason})`),
      };
    }
    let body: string;
    try {
      body = decodeUtf8Strict(
        await readCapped(res, maxResponseBytes, url),
        `Insights API response from ${url}`,
      );
    } catch (err) {
      if (err instanceof InsightsApiError) return { retry: false, error: err };
      if ((err as Error).name === 'PolicySourceError') {
        return { retry: false, error: new InsightsApiError((err as Error).message) };
      }
      return {
        retry: true,
        error: new InsightsApiError(
          `Insights API response from ${url} was cut off (${(err as Error).message})`,
        ),
      };
    }
    if (res.ok) return { retry: false, body };
    const snippet = redact(body.trim()).slice(0, 200);
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 401 || res.status === 403) {
      return {
        retry: false,
        error: new InsightsApiError(
          `Insights API refused the token (${status}) for ${where} at ${url}: check the token (FAIRWINDS_TOKEN) ` +
            'and that it belongs to this organization and cluster',
          res.status,
        ),
      };
    }
    if (res.status === 404) {
      return {
        retry: false,
        error: new InsightsApiError(
          `Insights API does not know ${where} (${status}) at ${url}: check FAIRWINDS_ORG and FAIRWINDS_CLUSTER`,
          res.status,
        ),
      };
    }
    const retry = res.status >= 500 || res.status === 429;
    return {
      retry,
      error: new InsightsApiError(
        `Insights API answered ${status} for ${url}${snippet ? `: ${snippet}` : ''}`,
        res.status,
      ),
    };
  }

  return {
    organization: options.organization,
    cluster: options.cluster,
    url: urlOf,
    redact,
    async request(req) {
      const url = urlOf(req.path);
      const attempts = retries + 1;
      for (let i = 1; ; i++) {
        const r = await attempt(req, url).catch((err: unknown) => {
          throw new InsightsApiError(redact((err as Error).message));
        });
        if (r.body !== undefined) return { url, body: r.body };
        const error = new InsightsApiError(redact(r.error!.message), r.error!.status);
        if (!r.retry) throw error;
        if (i >= attempts) {
          throw new InsightsApiError(`${error.message} (gave up after ${attempts} attempts)`, error.status);
        }
        const delay = Math.round(retryDelayMs * 2 ** (i - 1) * (0.8 + Math.random() * 0.4));
        logger.log('warn', 'Insights API request failed, retrying', {
          attempt: i,
          of: attempts,
          delayMs: delay,
          error: error.message,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
  };
}

/**
 * Claims at most `limit` on-demand jobs of the client's cluster:
 * `POST /v0/organizations/{org}/clusters/{cluster}/reports/on-demand-jobs/claim?limit=N`.
 */
export async function claimOnDemandJobs(client: InsightsClient, limit: number): Promise<OnDemandJob[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`'limit' must be a positive integer, got ${JSON.stringify(limit)}`);
  }
  const { url, body } = await client.request({
    method: 'POST',
    path: claimPath(client.organization, client.cluster, limit),
  });
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? null : JSON.parse(body);
  } catch (err) {
    throw new InsightsApiError(
      client.redact(`Insights API answered ${url} with invalid JSON (${(err as Error).message})`),
    );
  }
  try {
    return parseClaimedJobs(parsed);
  } catch (err) {
    throw new InsightsApiError(
      client.redact(`Insights API answered ${url} with a bad ${(err as Error).message}`),
    );
  }
}

/**
 * Reports the end of an on-demand job:
 * `PATCH /v0/organizations/{org}/clusters/{cluster}/reports/on-demand-jobs/{id}/status` with
 * `{"status": "completed" | "failed"}`.
 */
export async function updateOnDemandJobStatus(
  client: InsightsClient,
  id: number,
  status: 'completed' | 'failed',
): Promise<void> {
  await client.request({
    method: 'PATCH',
    path: statusPath(client.organization, client.cluster, id),
    json: { status },
  });
}
