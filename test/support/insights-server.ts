import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake Insights API received. */
export interface InsightsRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
  /** The request body, when there was one. */
  readonly body?: string;
}

/** An on-demand job the fake Insights API hands out on a claim. */
export interface FakeOnDemandJob {
  readonly id: number;
  readonly reportType: string;
  readonly options?: Record<string, string>;
}

/**
 * How the fake Insights API answers one request: a status and body (text or raw bytes), a body
 * streamed without Content-Length that never ends (`endless`: this chunk repeated until the client
 * hangs up), or a hang (for timeouts).
 */
export type InsightsAnswer =
  | { status: number; body: string | Buffer; contentType?: string }
  | { status: number; endless: Buffer }
  | 'hang';

/**
 * A local HTTP server serving the Fairwinds Insights endpoints
 * `GET /v0/organizations/{org}/clusters/{cluster}/kyverno-policies/with-app-groups-applied/yaml`,
 * `POST …/reports/on-demand-jobs/claim?limit=N` and `PATCH …/reports/on-demand-jobs/{id}/status`.
 * By default it answers the YAML in `policies` to the right token, org and cluster (401 for a
 * wrong token, 404 for another org or cluster); `answers` queues one-off answers first.
 */
export interface InsightsServer {
  readonly url: string;
  readonly requests: InsightsRequest[];
  /** The YAML served; change it between syncs. */
  policies: string;
  /** Answers used, in order, before the default behaviour. */
  readonly answers: InsightsAnswer[];
  /** Bytes written by `endless` answers before the client hung up. */
  endlessBytesSent: number;
  /**
   * On-demand jobs waiting to be claimed: `POST …/reports/on-demand-jobs/claim?limit=N` hands out
   * (and removes) the first N as JSON.
   */
  readonly onDemandJobs: FakeOnDemandJob[];
  /** Every `PATCH …/reports/on-demand-jobs/{id}/status` received, in order. */
  readonly statusUpdates: { id: number; status: string }[];
  close(): Promise<void>;
}

export async function startInsightsServer(opts: {
  token: string;
  organization: string;
  cluster: string;
  policies?: string;
}): Promise<InsightsServer> {
  const hanging = new Set<http.ServerResponse>();
  const state: InsightsServer = {
    url: '',
    requests: [],
    policies: opts.policies ?? '',
    answers: [],
    endlessBytesSent: 0,
    onDemandJobs: [],
    statusUpdates: [],
    close: async () => {
      for (const res of hanging) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined));
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse, body: string | undefined): void => {
    state.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      ...(body !== undefined ? { body } : {}),
    });
    const next = state.answers.shift();
    if (next === 'hang') {
      hanging.add(res);
      return;
    }
    const send = (status: number, body: string | Buffer, type = 'application/yaml'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (next && 'endless' in next) {
      hanging.add(res);
      res.writeHead(next.status, { 'content-type': 'application/yaml' });
      const pump = (): void => {
        while (!res.destroyed && !res.writableEnded) {
          state.endlessBytesSent += next.endless.length;
          if (!res.write(next.endless)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => hanging.delete(res));
      return pump();
    }
    if (next) return send(next.status, next.body, next.contentType);
    const cluster = `/v0/organizations/${opts.organization}/clusters/${opts.cluster}`;
    const path = `${cluster}/kyverno-policies/with-app-groups-applied/yaml`;
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      return send(401, '{"Message":"Unauthorized"}', 'application/json');
    const claim = new RegExp(`^${cluster}/reports/on-demand-jobs/claim\\?limit=(\\d+)$`).exec(req.url ?? '');
    if (req.method === 'POST' && claim) {
      const jobs = state.onDemandJobs
        .splice(0, Number(claim[1]))
        .map((j) => ({ id: j.id, reportType: j.reportType, status: 'running', options: j.options ?? {} }));
      return send(200, JSON.stringify(jobs), 'application/json');
    }
    const status = new RegExp(`^${cluster}/reports/on-demand-jobs/(\\d+)/status$`).exec(req.url ?? '');
    if (req.method === 'PATCH' && status) {
      const parsed = JSON.parse(body ?? '{}') as { status?: string };
      state.statusUpdates.push({ id: Number(status[1]), status: String(parsed.status) });
      return send(200, '{}', 'application/json');
    }
    if (req.method !== 'GET' || req.url !== path)
      return send(404, '{"Message":"Not found"}', 'application/json');
    send(200, state.policies);
  };
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
