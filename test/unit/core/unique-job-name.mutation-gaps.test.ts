// Targeted tests for what mutation testing found unchecked in core/unique-job-name.ts: the
// hashLength bounds (inclusive), non-string inputs, the lowercased slug and the default options.
import { uniqueJobName, uniqueJobNameJmesPath } from '../../../core/unique-job-name';

describe('uniqueJobName options at their bounds', () => {
  test.each([8, 32])('hashLength %d is accepted and sets the hash length', (hashLength) => {
    const name = uniqueJobName('nginx', { hashLength });
    expect(name).toMatch(new RegExp(`^img-nginx-latest-[0-9a-f]{${hashLength}}$`));
    expect(uniqueJobNameJmesPath('element.image', { hashLength })).toContain(`truncate(sha256(`);
    expect(uniqueJobNameJmesPath('element.image', { hashLength })).toMatch(
      new RegExp(`, \`${hashLength}\`\\)\\]\\)$`),
    );
  });

  test('the defaults are hashed naming with a 12-character hash', () => {
    expect(uniqueJobName('nginx', {})).toBe(uniqueJobName('nginx'));
    expect(uniqueJobName('nginx', { naming: 'hashed', hashLength: 12 })).toBe(
      'img-nginx-latest-86cee2c10898',
    );
    expect(uniqueJobNameJmesPath('element.image', {})).toBe(
      uniqueJobNameJmesPath('element.image', { naming: 'hashed', hashLength: 12 }),
    );
  });
});

describe('uniqueJobName slug', () => {
  test('an uppercase tag is lowercased in the slug, not dropped', () => {
    expect(uniqueJobName('nginx:1.25-RC1')).toMatch(/^img-nginx-1-25-rc1-[0-9a-f]{12}$/);
  });

  test('the registry and library/ are left out of the slug, the rest of the path kept', () => {
    expect(uniqueJobName('ghcr.io/library/nginx:1')).toMatch(/^img-nginx-1-[0-9a-f]{12}$/);
    expect(uniqueJobName('ghcr.io/org/library/nginx:1')).toMatch(/^img-org-library-nginx-1-[0-9a-f]{12}$/);
  });
});

describe('uniqueJobName non-string input', () => {
  test('a non-string image is rejected by name', () => {
    expect(() => uniqueJobName(42 as unknown as string)).toThrow(
      "'image' must be a non-empty image reference, got 42",
    );
    expect(() => uniqueJobName(undefined as unknown as string, { naming: 'legacy' })).toThrow(
      "'image' must be a non-empty image reference, got undefined",
    );
  });

  test('a non-string image expression is rejected by name', () => {
    expect(() => uniqueJobNameJmesPath(42 as unknown as string)).toThrow(
      "'imageExpression' must be a non-empty JMESPath expression without braces, got 42",
    );
  });

  test.each(['a{b', 'a}b'])('an image expression with a single brace %j is rejected', (expr) => {
    expect(() => uniqueJobNameJmesPath(expr)).toThrow(
      `'imageExpression' must be a non-empty JMESPath expression without braces, got ${JSON.stringify(expr)}`,
    );
  });
});

describe('uniqueJobName (legacy) truncation', () => {
  test('keeps exactly 50 characters of the rewritten image', () => {
    const name = uniqueJobName(`r/${'a'.repeat(60)}`, { naming: 'legacy' });
    expect(name).toBe(`img-r-${'a'.repeat(48)}`);
  });
});
