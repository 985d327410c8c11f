import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  /** `host:port`, `:port` (every interface) or a port; port 0 picks a free one. */
  readonly listen: string;
  /** True while the process is healthy: `/healthz` answers 200, else 503. */
  healthy(): boolean;
  /** True while the process should get traffic: `/readyz` answers 200, else 503. @default - as healthy */
  ready?(): boolean;
  /** The Prometheus text of `/metrics` and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** A running probe server. */
export interface ProbeServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  close(): Promise<void>;
}

/** Parses a listen address: `:8080`, `127.0.0.1:8080`, `8080`. Throws naming the bad value. */
export function parseListenAddress(
  listen: string,
  field = 'LISTEN_ADDRESS',
): { host?: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s]*):)?(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`'${field}' must be [host]:port or a port (0-65535), got ${JSON.stringify(listen)}`);
  }
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : undefined;
  return { host, port };
}

/** Serves `/healthz`, `/readyz` and `/metrics` over HTTP (anything else: 404). */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const { host, port } = parseListenAddress(options.listen);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      const ok = options.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'shutting down\n');
    } else if (path === '/readyz') {
      const ok = (options.ready ?? options.healthy)();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
    } else if (path === '/metrics') {
      options.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
