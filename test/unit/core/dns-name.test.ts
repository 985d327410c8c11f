import {
  isDnsLabel,
  isDnsSubdomain,
  isLabelValue,
  isQualifiedName,
  shortHash,
  toDnsLabel,
  toLabelValue,
  validateDnsLabel,
  validateDnsSubdomain,
  validateLabels,
} from '../../../core/dns-name';

describe('DNS-1123 names', () => {
  test.each(['a', 'job-1', '0abc', 'a'.repeat(63)])('%s is a label', (v) => expect(isDnsLabel(v)).toBe(true));
  test.each(['', 'A', '-a', 'a-', 'a_b', 'a.b', 'a'.repeat(64)])('%s is not a label', (v) =>
    expect(isDnsLabel(v)).toBe(false),
  );
  test.each(['a.b', 'x.example.com', 'a'])('%s is a subdomain', (v) => expect(isDnsSubdomain(v)).toBe(true));
  test.each(['a..b', '.a', 'a.', 'A.b', 'a'.repeat(254)])('%s is not a subdomain', (v) =>
    expect(isDnsSubdomain(v)).toBe(false),
  );
  test('label values and qualified names', () => {
    expect(isLabelValue('')).toBe(true);
    expect(isLabelValue('Node_1.x')).toBe(true);
    expect(isLabelValue('-x')).toBe(false);
    expect(isLabelValue('x'.repeat(64))).toBe(false);
    expect(isQualifiedName('app.kubernetes.io/name')).toBe(true);
    expect(isQualifiedName('team')).toBe(true);
    expect(isQualifiedName('Bad_Prefix/x')).toBe(false);
    expect(isQualifiedName('a/b/c')).toBe(false);
  });
  test('validators name the field and the value', () => {
    expect(() => validateDnsLabel('name', 'Bad')).toThrow(`'name' must be a DNS-1123 label`);
    expect(() => validateDnsLabel('name', 'Bad')).toThrow('got "Bad"');
    expect(() => validateDnsLabel('name', 'a'.repeat(20), 10)).toThrow(
      `'name' must be at most 10 characters`,
    );
    expect(() => validateDnsSubdomain('cm', 'a_b')).toThrow(
      `'cm' must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.'), got "a_b"`,
    );
    expect(() => validateLabels('labels', { ok: 'a b' })).toThrow(
      `'labels' has an invalid value for label "ok", got "a b"`,
    );
  });
});

describe('toDnsLabel', () => {
  test('a clean, short name is kept as is', () => {
    expect(toDnsLabel(['nightly', 'worker-1'])).toBe('nightly-worker-1');
  });
  test('lossy cleaning adds a hash so distinct inputs stay distinct', () => {
    const dotted = toDnsLabel(['x', 'a.b']);
    const dashed = toDnsLabel(['x', 'a-b']);
    expect(dashed).toBe('x-a-b');
    expect(dotted).toMatch(/^x-a-b-[0-9a-f]{8}$/);
    expect(dotted).not.toBe(dashed);
  });
  test('long names are truncated to the limit with a hash and stay deterministic', () => {
    const a = toDnsLabel(['job', 'n'.repeat(100) + '1']);
    const b = toDnsLabel(['job', 'n'.repeat(100) + '2']);
    expect(a.length).toBe(63);
    expect(isDnsLabel(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(toDnsLabel(['job', 'n'.repeat(100) + '1'])).toBe(a);
    expect(a.endsWith(shortHash('job-' + 'n'.repeat(100) + '1'))).toBe(true);
    expect(toDnsLabel(['x', 'y'.repeat(40)], 30).length).toBeLessThanOrEqual(30);
  });
  test('a name with nothing usable becomes its hash', () => {
    expect(toDnsLabel(['___'])).toMatch(/^[0-9a-f]{8}$/);
  });
  test('a limit with no room for the hash is refused', () => {
    expect(() => toDnsLabel(['a'.repeat(20)], 5)).toThrow(
      `'maxLength' must leave room for a hash suffix, got 5`,
    );
  });
  test('toLabelValue keeps valid values and hashes the rest', () => {
    expect(toLabelValue('ip-10-0-1-2.ec2.internal')).toBe('ip-10-0-1-2.ec2.internal');
    const long = toLabelValue('n'.repeat(80));
    expect(isLabelValue(long)).toBe(true);
    expect(long).toMatch(/-[0-9a-f]{8}$/);
  });
});
