// ECR scan: 200 repositories × 300 tags in moto's ECR server. Measures, in one run and side by
// side: the API calls the scanner makes vs the minimum possible (one DescribeRepositories page per
// 1,000 repositories + one DescribeImages page per 1,000 images of each repository; no per-tag
// calls), and wall time of the default concurrent scan (maxConcurrentScans 10) vs a sequential one
// (maxConcurrentScans 1). Runs alternate; medians are compared. Twice: straight to moto on
// 127.0.0.1 (no network latency, moto's CPU is the bottleneck), and through a proxy that adds a
// fixed delay per request to stand in for the round trip to AWS.
//
// Knobs: BENCH_ECR_REPOS (200), BENCH_ECR_TAGS (300), BENCH_ROUNDS (3), BENCH_ECR_RTT_MS (30),
// JOBFORGE_BIN_DIR (the engines' bin dir, for moto_server).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveEcrConfig } from '../core/pipeline/repository-match';
import { scanEcr } from '../core/io/ecr';
import type { EcrScanResult } from '../core/pipeline/types';
import { mapLimit, rawPutImage, useMotoCredentials } from '../test/support/ecr-seed';
import { startMoto } from '../test/support/moto';

const REPOS = Number(process.env.BENCH_ECR_REPOS ?? 200);
const TAGS = Number(process.env.BENCH_ECR_TAGS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RTT_MS = Number(process.env.BENCH_ECR_RTT_MS ?? 30);
const { binDir: toolsBinDir } = require('../tools/engines.js') as { binDir(): string };
const BIN_DIR = process.env.JOBFORGE_BIN_DIR ?? toolsBinDir();
const PAGE = 1000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** An HTTP proxy that waits `delayMs` before forwarding each request. */
async function latencyProxy(
  target: string,
  delayMs: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const up = http.request(
          { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on('error', (e) => {
          res.writeHead(502);
          res.end(String(e));
        });
        up.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export default async function (): Promise<void> {
  useMotoCredentials();
  const moto = await startMoto({ binDir: BIN_DIR });
  try {
    // ---- seed
    const seeder = rawPutImage(moto.endpoint);
    const repos = Array.from({ length: REPOS }, (_, i) => `bench/svc-${String(i).padStart(3, '0')}`);
    const seedStart = Date.now();
    await mapLimit(repos, 8, (r) => seeder.createRepository(r));
    const puts = repos.flatMap((r) =>
      Array.from({ length: TAGS }, (_, t) => [r, `1.${Math.floor(t / 100)}.${t % 100}`]),
    );
    let done = 0;
    const progress = setInterval(() => {
      console.log(
        `  seeding: ${done}/${puts.length} images, ${((Date.now() - seedStart) / 1000).toFixed(0)} s`,
      );
    }, 30000);
    try {
      await mapLimit(puts, 16, async ([r, t]) => {
        await seeder.putImage(r, t);
        done += 1;
      });
    } finally {
      clearInterval(progress);
      seeder.close();
    }
    const seedMs = Date.now() - seedStart;
    console.log(
      `seeded ${REPOS} repositories × ${TAGS} tags = ${puts.length} images in moto in ${(seedMs / 1000).toFixed(1)} s ` +
        `(PutImage over 16 keep-alive connections, ${(puts.length / (seedMs / 1000)).toFixed(0)} images/s)`,
    );

    const minimumCalls = Math.max(1, Math.ceil(REPOS / PAGE)) + REPOS * Math.max(1, Math.ceil(TAGS / PAGE));

    const measure = async (endpoint: string, label: string): Promise<void> => {
      const base = { region: 'eu-west-1', endpoint, repositoryPattern: 'bench/*', maxRepositories: REPOS };
      const concurrent: number[] = [];
      const sequential: number[] = [];
      let last: EcrScanResult | undefined;
      let lastSeq: EcrScanResult | undefined;
      // warm-up (SDK module load, moto caches), not measured
      await scanEcr(resolveEcrConfig({ ...base, maxRepositories: 5 }));
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? ['c', 's'] : ['s', 'c'];
        for (const v of order) {
          const cfg = resolveEcrConfig({
            ...base,
            maxConcurrentScans: v === 'c' ? 10 : 1,
            scanTimeout: '1h',
          });
          const t = process.hrtime.bigint();
          const result = await scanEcr(cfg);
          const ms = Number(process.hrtime.bigint() - t) / 1e6;
          if (result.candidates.length !== REPOS * TAGS) {
            throw new Error(`scan found ${result.candidates.length} candidates, expected ${REPOS * TAGS}`);
          }
          if (v === 'c') {
            concurrent.push(ms);
            last = result;
          } else {
            sequential.push(ms);
            lastSeq = result;
          }
        }
      }
      const c = median(concurrent);
      const s = median(sequential);
      console.log(`\n### ${label}`);
      console.log('| measure | concurrent (10) | sequential (1) | ratio |');
      console.log('|---|---|---|---|');
      console.log(
        `| API calls made (minimum possible: ${minimumCalls}) | ${last!.apiCalls.total} | ${lastSeq!.apiCalls.total} | ` +
          `${(last!.apiCalls.total / minimumCalls).toFixed(2)}× the minimum |`,
      );
      console.log(
        `| wall time, median of ${ROUNDS} (${REPOS * TAGS} tags) | ${c.toFixed(0)} ms | ${s.toFixed(0)} ms | ` +
          `sequential / concurrent = ${(s / c).toFixed(2)}× |`,
      );
      console.log(
        `  samples: concurrent ${concurrent.map((x) => x.toFixed(0)).join(', ')}; sequential ${sequential.map((x) => x.toFixed(0)).join(', ')} ms`,
      );
    };

    await measure(moto.endpoint, 'moto on 127.0.0.1 (no network latency)');
    const proxy = await latencyProxy(moto.endpoint, RTT_MS);
    try {
      await measure(
        proxy.url,
        `moto behind a ${RTT_MS} ms per-request delay (a stand-in for the round trip to AWS)`,
      );
    } finally {
      await proxy.close();
    }
    console.log(
      `\nA per-tag design (one call per tag, e.g. BatchGetImage/DescribeImages by tag) would make ${REPOS * TAGS + 1} calls: ` +
        `${((REPOS * TAGS + 1) / minimumCalls).toFixed(0)}× the minimum.`,
    );
  } finally {
    await moto.stop();
  }
}
