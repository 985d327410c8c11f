import * as http from 'node:http';
import * as https from 'node:https';
import { KubeTarget } from './kube-auth';

/** An apiserver answer that is not 2xx. */
export class KubeApiError extends Error {
  constructor(
    public readonly method: string,
    public readonly path: string,
    public readonly status: number,
    /** The Status `reason` (`NotFound`, `Conflict`, `Invalid`, ...), when the server sent one. */
    public readonly reason: string,
    /** The Status `message`, or the raw body. */
    public readonly detail: string,
    /** The Status `details.retryAfterSeconds`, when sent. */
    public readonly retryAfterSeconds?: number,
  ) {
    super(`${method} ${path}: HTTP ${status}${reason ? ` ${reason}` : ''}: ${detail}`);
    this.name = 'KubeApiError';
  }
}

/** Options of one request. */
export interface KubeRequest {
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

/** What the policy sync needs from an apiserver client: one JSON request (implemented by {@link KubeRest}). */
export interface KubeClient {
  /** Sends one request; returns the parsed JSON body of a 2xx answer, throws a {@link KubeApiError} otherwise. */
  request<T = unknown>(method: string, path: string, req?: KubeRequest): Promise<T>;
}

/**
 * A minimal JSON REST client for the apiserver: exact status codes, `dryRun`, preconditions and
 * field managers without going through generated clients. Authentication comes from the
 * {@link KubeTarget} (see `resolveKubeTarget`).
 */
export class KubeRest implements KubeClient {
  private readonly server: URL;

  constructor(private readonly target: KubeTarget) {
    this.server = target.server;
  }

  /**
   * Sends one request; returns the parsed JSON body of a 2xx answer, throws a {@link KubeApiError}
   * otherwise. A 429 (the apiserver's "retry later", e.g. while a CRD's storage initializes) is
   * retried after its Retry-After, up to 5 times.
   */
  async request<T = unknown>(method: string, path: string, req: KubeRequest = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, req);
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.status !== 429 || attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(err.retryAfterSeconds ?? 1, 10) * 1000));
      }
    }
  }

  private async once<T>(method: string, path: string, req: KubeRequest): Promise<T> {
    // The path is taken literally: a query or fragment goes in `req.query`, never in the path
    // (a `#` or `?` would silently cut the path and send the request somewhere else).
    if (!/^\/[A-Za-z0-9._~%:@!$&'()*+,;=/-]*$/.test(path) || /\/\/|\/\.\.?(\/|$)/.test(path)) {
      throw new Error(
        `${method} ${JSON.stringify(path)}: not a plain API path (no '?', '#', '//', '.' or '..' segments); nothing sent`,
      );
    }
    const url = new URL(this.server.pathname.replace(/\/+$/, '') + path, this.server);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: 'application/json' },
    };
    await this.target.apply(opts);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    if (payload) {
      opts.headers = {
        ...opts.headers,
        'content-type': 'application/json',
        'content-length': payload.length,
      };
    }
    const lib = url.protocol === 'http:' ? http : https;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = lib.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      r.setTimeout(req.timeoutMs ?? 60_000, () =>
        r.destroy(new Error(`no answer within ${req.timeoutMs ?? 60_000} ms`)),
      );
      r.on('error', (err) => reject(new Error(`${method} ${path}: ${err.message}`)));
      if (payload) r.write(payload);
      r.end();
    });
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status >= 200 && status < 300) return body as T;
    const st = (body ?? {}) as {
      reason?: string;
      message?: string;
      details?: { retryAfterSeconds?: number };
    };
    throw new KubeApiError(
      method,
      path,
      status,
      st.reason ?? '',
      st.message ?? text.slice(0, 300),
      st.details?.retryAfterSeconds,
    );
  }
}

/** True when `err` is a {@link KubeApiError} with this status. */
export function isStatus(err: unknown, status: number): err is KubeApiError {
  return err instanceof KubeApiError && err.status === status;
}
