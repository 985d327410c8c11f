import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake Insights API received. */
export interface InsightsRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
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
 * A local HTTP server serving the Fairwinds Insights endpoint
 * `GET /v0/organizations/{org}/clusters/{cluster}/kyverno-policies/with-app-groups-applied/yaml`.
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
    close: async () => {
      for (const res of hanging) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  const server = http.createServer((req, res) => {
    state.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
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
    const path = `/v0/organizations/${opts.organization}/clusters/${opts.cluster}/kyverno-policies/with-app-groups-applied/yaml`;
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      return send(401, '{"Message":"Unauthorized"}', 'application/json');
    if (req.method !== 'GET' || req.url !== path)
      return send(404, '{"Message":"Not found"}', 'application/json');
    send(200, state.policies);
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
