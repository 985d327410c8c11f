import { isDnsLabel } from '../../../core/dns-name';
import { canonicalImage } from '../../../core/image-reference';
import { slugMaxLength, uniqueJobName, uniqueJobNameJmesPath } from '../../../core/unique-job-name';
import { ECR, IMAGE_CASES } from '../../support/unique-job-images';

describe('uniqueJobName (hashed)', () => {
  test('the table has at least 30 distinct images', () => {
    expect(IMAGE_CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(IMAGE_CASES.map((c) => canonicalImage(c.refs[0]))).size).toBe(IMAGE_CASES.length);
  });

  test.each(IMAGE_CASES.map((c) => [c.about, c.refs] as const))(
    '%s: every form gets one valid name',
    (_about, refs) => {
      const names = refs.map((ref) => uniqueJobName(ref));
      expect(new Set(names).size).toBe(1);
      for (const name of names) {
        expect(isDnsLabel(name)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^img-[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9a-f]{12}$/);
      }
    },
  );

  test('distinct images never share a name', () => {
    const byName = new Map<string, string>();
    for (const c of IMAGE_CASES) {
      const name = uniqueJobName(c.refs[0]);
      expect(byName.get(name)).toBeUndefined();
      byName.set(name, c.about);
    }
    expect(byName.size).toBe(IMAGE_CASES.length);
  });

  test('readable names', () => {
    expect(uniqueJobName('nginx')).toBe('img-nginx-latest-86cee2c10898');
    expect(uniqueJobName(`${ECR}/team-a/api:v1`)).toBe('img-team-a-api-v1-144595267825');
    expect(uniqueJobName('a/b:c')).toMatch(/^img-a-b-c-/);
    expect(uniqueJobName('a-b:c')).toMatch(/^img-a-b-c-/);
    expect(uniqueJobName('a/b:c')).not.toBe(uniqueJobName('a-b:c'));
  });

  test('cuts the slug and never ends it with a dash', () => {
    // slug "x-" + 44 characters would put a dash at position 46
    const name = uniqueJobName(`x/${'a'.repeat(43)}-b:1`);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^img-x-a{43}-[0-9a-f]{12}$/);
    expect(isDnsLabel(name)).toBe(true);
  });

  test('hashLength sets the hash and the room for the slug', () => {
    const name = uniqueJobName(`x/${'a'.repeat(80)}`, { hashLength: 20 });
    expect(name).toMatch(/^img-x-a+-[0-9a-f]{20}$/);
    expect(name.length).toBe(63);
    expect(slugMaxLength(20)).toBe(38);
  });

  test.each([
    ['', '\'image\' must be a non-empty image reference, got ""'],
    ['Nginx', 'invalid image reference "Nginx": repository name must be lowercase'],
    ['nginx:', 'invalid image reference "nginx:"'],
  ])('rejects image %j', (image, message) => {
    expect(() => uniqueJobName(image)).toThrow(message);
  });

  test.each([
    [{ hashLength: 7 }, "'hashLength' must be an integer from 8 to 32, got 7"],
    [{ hashLength: 33 }, "'hashLength' must be an integer from 8 to 32, got 33"],
    [{ hashLength: 12.5 }, "'hashLength' must be an integer from 8 to 32, got 12.5"],
    [{ naming: 'short' as 'hashed' }, "'naming' must be 'hashed' or 'legacy', got \"short\""],
  ])('rejects options %j', (options, message) => {
    expect(() => uniqueJobName('nginx', options)).toThrow(message);
    expect(() => uniqueJobNameJmesPath('image', options)).toThrow(message);
  });
});

describe('uniqueJobName (legacy)', () => {
  const legacy = (image: string) => uniqueJobName(image, { naming: 'legacy' });

  test('reproduces the original policy', () => {
    expect(legacy('nginx:1.21')).toBe('img-nginx-1-21');
    expect(legacy('docker.io/nginx:latest')).toBe('img-docker-io-nginx-latest');
  });

  test('has the collisions and invalid names the hashed naming fixes', () => {
    expect(legacy(`${ECR}/team-a/api:v1`)).toBe(legacy(`${ECR}/team-b/web:v2`));
    expect(legacy('a/b:c')).toBe(legacy('a-b:c'));
    expect(legacy('nginx')).not.toBe(legacy('docker.io/library/nginx:latest'));
    expect(isDnsLabel(legacy('nginx:1.25-RC1'))).toBe(false);
    expect(legacy(`${ECR}/team-a/api:v1`)).toMatch(/-$/);
  });
});

describe('uniqueJobNameJmesPath', () => {
  test('hashed expression', () => {
    expect(uniqueJobNameJmesPath('request.object.spec.containers[0].image')).toMatchSnapshot();
  });

  test('legacy expression', () => {
    expect(uniqueJobNameJmesPath('element.image', { naming: 'legacy' })).toBe(
      "join('', ['img-', truncate(replace_all(replace_all(replace_all(replace_all(replace_all(element.image, '/', '-'), ':', '-'), '.', '-'), '@', '-'), '_', '-'), `50`)])",
    );
  });

  test('has no braces and no backslashes', () => {
    expect(uniqueJobNameJmesPath('element.image')).not.toMatch(/[{}\\]/);
  });

  test.each(['', '  ', '{{ x }}'])('rejects image expression %j', (expr) => {
    expect(() => uniqueJobNameJmesPath(expr)).toThrow(
      `'imageExpression' must be a non-empty JMESPath expression without braces, got ${JSON.stringify(expr)}`,
    );
  });
});
