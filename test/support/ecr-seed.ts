// Seeding moto's ECR with repositories and tagged images (PutImage with unique layers, so each
// image gets its own digest). Used by the ECR scanner's integration test and benchmark.
import { createHash } from 'node:crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';

/** Any credentials work with moto; the scanner reads them from the default chain (env). */
export function useMotoCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

export function motoEcrClient(endpoint: string, region = 'eu-west-1'): ECRClient {
  return new ECRClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  });
}

const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** A Docker v2 manifest whose single layer is unique to `seed`. */
export function uniqueManifest(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 7023,
      digest: sha(`config-${seed}`),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 32654,
        digest: sha(`layer-${seed}`),
      },
    ],
  });
}

export async function createRepository(client: ECRClient, name: string): Promise<void> {
  await client.send(new CreateRepositoryCommand({ repositoryName: name }));
}

/** Pushes one image with `tag` to `repository`; returns its digest. */
export async function putImage(
  client: ECRClient,
  repository: string,
  tag: string,
  seed = `${repository}:${tag}`,
): Promise<string> {
  const out = await client.send(
    new PutImageCommand({ repositoryName: repository, imageTag: tag, imageManifest: uniqueManifest(seed) }),
  );
  return out.image?.imageId?.imageDigest ?? '';
}

/** Runs `fn` over `items` with at most `limit` at once. */
export { mapLimit } from '../../core/map-limit';

/**
 * A fast seeder for many images: PutImage over a keep-alive HTTP connection pool, unsigned (moto
 * does not check signatures; the Authorization header only carries the region). Far cheaper on
 * the client than the SDK when pushing tens of thousands of images.
 */
export function rawPutImage(endpoint: string, region = 'eu-west-1', maxSockets = 16) {
  const http = require('node:http') as typeof import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const u = new URL(endpoint);
  const call = (target: string, payload: unknown): Promise<string> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(payload);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'Content-Type': 'application/x-amz-json-1.1',
            'X-Amz-Target': `AmazonEC2ContainerRegistry_V20150921.${target}`,
            Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/ecr/aws4_request, SignedHeaders=host, Signature=00`,
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(data)
              : reject(new Error(`${target} ${res.statusCode}: ${data}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    createRepository: (name: string) =>
      call('CreateRepository', { repositoryName: name }).then(() => undefined),
    putImage: (repository: string, tag: string) =>
      call('PutImage', {
        repositoryName: repository,
        imageTag: tag,
        imageManifest: uniqueManifest(`${repository}:${tag}`),
      }).then(() => undefined),
    close: () => agent.destroy(),
  };
}
