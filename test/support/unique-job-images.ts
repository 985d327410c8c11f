/**
 * Images for the UniqueJobPerImagePolicy tests: each entry is ONE image, written in every equivalent
 * form the table knows. Distinct entries must get distinct Job names; the forms of one entry must get
 * the same name.
 */
export interface ImageCase {
  /** What the entry exercises. */
  readonly about: string;
  /** Equivalent references of one image; the first is the one used when one form is enough. */
  readonly refs: readonly string[];
}

export const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com'; // 44 characters
export const ECR_OTHER = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
const D1 = 'sha256:' + 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const D2 = 'sha256:' + '4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1';

export const IMAGE_CASES: readonly ImageCase[] = [
  {
    about: 'single-name Docker Hub image, implied registry, library/ and tag',
    refs: [
      'nginx',
      'nginx:latest',
      'docker.io/nginx',
      'docker.io/library/nginx:latest',
      'index.docker.io/library/nginx',
      'library/nginx:latest',
    ],
  },
  { about: 'Docker Hub image with a tag', refs: ['nginx:1.25', 'docker.io/library/nginx:1.25'] },
  { about: 'another tag of the same repository', refs: ['nginx:1.25.3'] },
  { about: 'uppercase tag', refs: ['nginx:1.25-RC1', 'docker.io/nginx:1.25-RC1'] },
  { about: 'same tag in lowercase is another image', refs: ['nginx:1.25-rc1'] },
  { about: 'Docker Hub organisation', refs: ['bitnami/redis:7.2', 'docker.io/bitnami/redis:7.2'] },
  { about: 'look-alike: path a/b', refs: ['a/b:c'] },
  { about: 'look-alike: path a-b', refs: ['a-b:c'] },
  { about: 'look-alike: path a_b', refs: ['a_b:c'] },
  { about: 'look-alike: path a.b', refs: ['a.b:c'] },
  { about: 'look-alike: repository a, tag b-c', refs: ['a:b-c'] },
  { about: 'look-alike: repository a/b/c', refs: ['a/b/c'] },
  { about: 'digest only', refs: [`nginx@${D1}`, `docker.io/library/nginx@${D1}`] },
  {
    about: 'tag and digest: named by the digest, as Kyverno drops the tag',
    refs: [`nginx:1.25@${D2}`, `nginx@${D2}`, `docker.io/library/nginx:1.24@${D2}`],
  },
  { about: 'same digest, other repository', refs: [`redis@${D1}`] },
  { about: 'ECR team-a/api:v1 (44-character host)', refs: [`${ECR}/team-a/api:v1`] },
  { about: 'ECR team-b/web:v2 (the original policy merged it with team-a)', refs: [`${ECR}/team-b/web:v2`] },
  { about: 'ECR, same path, other account', refs: [`${ECR_OTHER}/team-a/api:v1`] },
  { about: 'ECR with a digest', refs: [`${ECR}/team-a/api@${D1}`] },
  { about: 'ECR tag and digest', refs: [`${ECR}/team-a/api:v1@${D2}`] },
  {
    about: 'ECR long nested path and long tag',
    refs: [`${ECR}/platform/observability/collectors/otel-collector-contrib:0.91.0-amd64-build.20240101`],
  },
  {
    about: 'ECR long nested path, another long tag sharing the first 46 slug characters',
    refs: [`${ECR}/platform/observability/collectors/otel-collector-contrib:0.91.0-amd64-build.20240102`],
  },
  { about: 'registry with a port', refs: ['registry.local:5000/app:1.0'] },
  { about: 'same registry on another port', refs: ['registry.local:5001/app:1.0'] },
  { about: 'localhost registry with a port', refs: ['localhost:5000/tools/jq'] },
  { about: 'localhost registry without a port', refs: ['localhost/tools/jq:latest', 'localhost/tools/jq'] },
  {
    about: 'docker.io/localhost is a Docker Hub repository',
    refs: ['localhost:5000', 'docker.io/localhost:5000'],
  },
  { about: 'GHCR', refs: ['ghcr.io/org/tool:v0.1.0'] },
  {
    about: 'GHCR, nginx at the registry root is not Docker Hub nginx',
    refs: ['ghcr.io/nginx:latest', 'ghcr.io/nginx'],
  },
  { about: 'quay.io', refs: ['quay.io/prometheus/node-exporter:v1.7.0'] },
  { about: 'gcr.io with a port and nested path', refs: ['gcr.io:443/project/app/worker:2024.01.15'] },
  { about: 'registry written in uppercase is kept as written', refs: ['Registry.Example.com/app:1'] },
  { about: 'IPv6 registry', refs: ['[::1]:5000/app:1'] },
  { about: 'double underscore and dashes in the path', refs: ['docker.io/my__org/my--app:v1'] },
  { about: 'tag with underscores', refs: ['busybox:1_36'] },
  { about: 'tag with dots', refs: ['busybox:1.36'] },
];
