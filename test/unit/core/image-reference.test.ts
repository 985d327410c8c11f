import {
  canonicalImage,
  isImageReference,
  normalizeImage,
  parseImageReference,
} from '../../../core/image-reference';

const SHA = 'sha256:' + '0123456789abcdef'.repeat(4);
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

describe('parseImageReference', () => {
  test.each([
    ['nginx', { registry: 'docker.io', registryExplicit: false, repository: 'nginx', name: 'nginx' }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'nginx', tag: '1.25' }],
    ['team/app:V1_RC', { registry: 'docker.io', repository: 'team/app', name: 'app', tag: 'V1_RC' }],
    ['localhost/app', { registry: 'localhost', registryExplicit: true, repository: 'app' }],
    ['localhost:5000/a/b:c', { registry: 'localhost:5000', repository: 'a/b', name: 'b', tag: 'c' }],
    ['[::1]:5000/x:y', { registry: '[::1]:5000', repository: 'x', tag: 'y' }],
    [`${ECR}/team-a/api:v1`, { registry: ECR, repository: 'team-a/api', tag: 'v1' }],
    [`ghcr.io/o/r:1@${SHA}`, { registry: 'ghcr.io', repository: 'o/r', tag: '1', digest: SHA }],
    ['Registry.Example/app', { registry: 'Registry.Example', registryExplicit: true, repository: 'app' }],
    ['my_host.io/app', { registry: 'my_host.io', repository: 'app' }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toMatchObject(expected);
  });

  test('omits tag and digest when absent', () => {
    const r = parseImageReference('nginx');
    expect('tag' in r).toBe(false);
    expect('digest' in r).toBe(false);
  });

  test.each([
    ['', 'must not be empty'],
    ['Foo:bar', 'repository name must be lowercase'],
    ['docker.io/Team/app', 'repository name must be lowercase'],
    ['nginx:', 'invalid reference format'],
    ['a___b/c', 'invalid reference format'],
    ['nginx:-x', 'invalid reference format'],
    [`nginx:${'a'.repeat(129)}`, 'invalid reference format'],
    ['a'.repeat(256), 'must not be more than 255 characters, got 256'],
    [`nginx@${SHA.toUpperCase().replace('SHA256', 'sha256')}`, 'digest must be lowercase hex'],
    [`nginx@md5:${'0'.repeat(32)}`, 'unsupported digest algorithm "md5"'],
    [`nginx@sha512:${'0'.repeat(64)}`, 'sha512 digest must have 128 hex characters, got 64'],
  ])('rejects %j', (ref, why) => {
    expect(() => parseImageReference(ref)).toThrow(`invalid image reference ${JSON.stringify(ref)}: `);
    expect(() => parseImageReference(ref)).toThrow(why);
    expect(isImageReference(ref)).toBe(false);
  });

  test('rejects a non-string', () => {
    expect(() => parseImageReference(42 as unknown as string)).toThrow('invalid image reference 42');
  });
});

describe('normalizeImage (Kyverno image_normalize)', () => {
  test.each([
    ['nginx', 'docker.io/nginx:latest'],
    ['docker.io/nginx', 'docker.io/nginx:latest'],
    ['docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['ghcr.io/nginx:1.2', 'ghcr.io/nginx:1.2'],
    ['index.docker.io/nginx', 'index.docker.io/nginx:latest'],
    ['localhost', 'docker.io/localhost:latest'],
    ['localhost:5000', 'docker.io/localhost:5000'],
    ['Foo/bar', 'Foo/bar:latest'],
    ['a/b:UPPER', 'docker.io/a/b:UPPER'],
    [`nginx@${SHA}`, `docker.io/nginx@${SHA}`],
    [`nginx:1.25@${SHA}`, `docker.io/nginx@${SHA}`],
  ])('%s -> %s', (ref, expected) => {
    expect(normalizeImage(ref)).toBe(expected);
  });

  test('throws for an invalid reference', () => {
    expect(() => normalizeImage('UPPER')).toThrow('invalid image reference "UPPER"');
  });
});

describe('canonicalImage', () => {
  test('folds Docker Hub aliases', () => {
    const forms = [
      'nginx',
      'nginx:latest',
      'docker.io/nginx',
      'docker.io/library/nginx:latest',
      'index.docker.io/nginx',
      'index.docker.io/library/nginx:latest',
      'library/nginx',
    ];
    expect(new Set(forms.map(canonicalImage))).toEqual(new Set(['docker.io/library/nginx:latest']));
  });

  test('keeps other registries and multi-component paths', () => {
    expect(canonicalImage('ghcr.io/nginx')).toBe('ghcr.io/nginx:latest');
    expect(canonicalImage('team/app:1')).toBe('docker.io/team/app:1');
    expect(canonicalImage(`nginx@${SHA}`)).toBe(`docker.io/library/nginx@${SHA}`);
  });
});
