// Targeted tests for what mutation testing found unchecked in core/image-reference.ts: the
// repository length limit at its bound, an uppercase hex digit anywhere in a digest, the full
// message of a malformed reference, a multi-component path behind a registry with "_",
// isImageReference of a valid reference.
import { isImageReference, normalizeImage, parseImageReference } from '../../../core/image-reference';

const HEX64 = '0123456789abcdef'.repeat(4);

describe('parseImageReference limits', () => {
  test('a 255-character repository path is accepted', () => {
    const repository = 'a'.repeat(255);
    expect(parseImageReference(repository)).toMatchObject({ registry: 'docker.io', repository });
  });

  test.each([
    ['first', `A${HEX64.slice(1)}`],
    ['last', `${HEX64.slice(0, 63)}F`],
  ])('an uppercase hex digit in the %s place of a digest is rejected', (_where, hex) => {
    expect(() => parseImageReference(`nginx@sha256:${hex}`)).toThrow(
      `invalid image reference "nginx@sha256:${hex}": digest must be lowercase hex, got "${hex}"`,
    );
  });

  test('sha384 and sha512 digests of the right length are accepted', () => {
    for (const [algorithm, n] of [
      ['sha384', 96],
      ['sha512', 128],
    ] as const) {
      const digest = `${algorithm}:${'ab'.repeat(n / 2)}`;
      expect(normalizeImage(`nginx@${digest}`)).toBe(`docker.io/nginx@${digest}`);
    }
  });

  test('a malformed reference gets the whole grammar in its message', () => {
    expect(() => parseImageReference('nginx:')).toThrow(
      'invalid image reference "nginx:": invalid reference format (expected ' +
        '[registry[:port]/]path[:tag][@algorithm:hex], path components lowercase [a-z0-9] joined ' +
        'by ".", "_", "__" or "-")',
    );
  });

  test('a registry with "_" (not a domain name, Kyverno still splits it off) keeps the rest of the path', () => {
    expect(parseImageReference('my_host.io/team/app:1')).toMatchObject({
      registry: 'my_host.io',
      registryExplicit: true,
      repository: 'team/app',
      name: 'app',
    });
    expect(normalizeImage('my_host.io/team/app:1')).toBe('my_host.io/team/app:1');
  });
});

describe('isImageReference', () => {
  test.each(['nginx', 'ghcr.io/o/r:1', `nginx@sha256:${HEX64}`])('%s is a reference', (ref) => {
    expect(isImageReference(ref)).toBe(true);
  });
});
