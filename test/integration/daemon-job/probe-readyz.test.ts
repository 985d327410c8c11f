import { startProbeServer } from '../../../core/io/probe-server';

test('/readyz follows ready() (healthy() when not given), apart from /healthz', async () => {
  let ready = false;
  const server = await startProbeServer({
    listen: '127.0.0.1:0',
    healthy: () => true,
    ready: () => ready,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
  });
  const fallback = await startProbeServer({
    listen: '127.0.0.1:0',
    healthy: () => false,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
  });
  try {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${fallback.url}/readyz`)).status).toBe(503);
  } finally {
    await server.close();
    await fallback.close();
  }
});
