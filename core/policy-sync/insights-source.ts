import { PolicySource, PolicySourceError, PolicySourceText } from './policy-source';
import { decodeUtf8Strict } from './strict-utf8';
import { SILENT_LOGGER, SyncLogger } from './sync-logger';
import { DEFAULT_MAX_RESPONSE_BYTES, POLICY_SYNC_SETTINGS } from './sync-settings';

/**
 * Reads a response body, aborting the read (and the connection) once it passes `max` bytes; a
 * declared Content-Length above `max` is refused before reading.
 */
async function readCapped(res: Response, max: number, url: URL): Promise<Uint8Array> {
  const tooLarge = (): PolicySourceError =>
    new PolicySourceError(
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

/** Options of {@link insightsPolicySource}. */
export interface InsightsPolicySourceOptions {
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

/** `https://***@host/`: a URL text with any `user:password@` part masked, for error messages. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/** Path of the endpoint serving the cluster's Kyverno policies with app groups applied. */
export function insightsPoliciesPath(organization: string, cluster: string): string {
  return (
    `/v0/organizations/${encodeURIComponent(organization)}/clusters/${encodeURIComponent(cluster)}` +
    '/kyverno-policies/with-app-groups-applied/yaml'
  );
}

function nonNegativeInt(value: number | undefined, field: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`'${field}' must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * The Fairwinds Insights API as a policy source:
 * `GET /v0/organizations/{organization}/clusters/{cluster}/kyverno-policies/with-app-groups-applied/yaml`
 * with `Authorization: Bearer <token>`. 5xx, 429, timeouts and network errors are retried with
 * exponential backoff; 401/403 (token), 404 (organization or cluster) and the final failure throw
 * a {@link PolicySourceError} that says what to check.
 */
export function insightsPolicySource(options: InsightsPolicySourceOptions): PolicySource {
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
  const url = new URL(
    base.pathname.replace(/\/+$/, '') + insightsPoliciesPath(options.organization, options.cluster),
    base,
  );
  const where = `organization ${JSON.stringify(options.organization)}, cluster ${JSON.stringify(options.cluster)}`;

  async function attempt(): Promise<{ retry: boolean; error?: PolicySourceError; body?: string }> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/yaml, text/yaml, */*' },
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
        error: new PolicySourceError(`Insights API request to ${url} failed (${reason})`),
      };
    }
    let body: string;
    try {
      body = decodeUtf8Strict(
        await readCapped(res, maxResponseBytes, url),
        `Insights API response from ${url}`,
      );
    } catch (err) {
      if (err instanceof PolicySourceError) return { retry: false, error: err };
      return {
        retry: true,
        error: new PolicySourceError(
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
        error: new PolicySourceError(
          `Insights API refused the token (${status}) for ${where} at ${url}: check the token (FAIRWINDS_TOKEN) ` +
            'and that it belongs to this organization and cluster',
          res.status,
        ),
      };
    }
    if (res.status === 404) {
      return {
        retry: false,
        error: new PolicySourceError(
          `Insights API does not know ${where} (${status}) at ${url}: check FAIRWINDS_ORG and FAIRWINDS_CLUSTER`,
          res.status,
        ),
      };
    }
    const retry = res.status >= 500 || res.status === 429;
    return {
      retry,
      error: new PolicySourceError(
        `Insights API answered ${status} for ${url}${snippet ? `: ${snippet}` : ''}`,
        res.status,
      ),
    };
  }

  return {
    description: `Fairwinds Insights ${url.toString()}`,
    redact,
    async fetchYaml(): Promise<PolicySourceText[]> {
      const attempts = retries + 1;
      for (let i = 1; ; i++) {
        const r = await attempt().catch((err: unknown) => {
          throw new PolicySourceError(redact((err as Error).message));
        });
        if (r.body !== undefined) {
          logger.log('debug', 'Fetched expected policies from Insights', {
            url: url.toString(),
            bytes: r.body.length,
          });
          return [{ origin: url.toString(), yaml: r.body }];
        }
        const error = new PolicySourceError(redact(r.error!.message), r.error!.status);
        if (!r.retry) throw error;
        if (i >= attempts) {
          throw new PolicySourceError(`${error.message} (gave up after ${attempts} attempts)`, error.status);
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
