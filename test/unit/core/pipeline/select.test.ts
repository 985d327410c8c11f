import {
  compilePolicy,
  compileSemverRange,
  compileTagRegex,
  defaultTagPrefixOf,
  parseTagVersion,
  selectImages,
} from '../../../../core/pipeline/select';
import type { ImageCandidate, SelectionPolicy } from '../../../../core/pipeline/types';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
let seq = 0;
function candidate(tag: string, extra: Partial<ImageCandidate> = {}): ImageCandidate {
  seq += 1;
  return {
    repository: 'team-a/api',
    registry: REGISTRY,
    tag,
    digest: `sha256:${String(seq).padStart(64, '0')}`,
    pushedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}
const pick = (tags: string[], policy: SelectionPolicy): string | undefined =>
  selectImages(
    tags.map((t) => candidate(t)),
    policy,
  )[0]?.tag;

describe('parseTagVersion (Flux: strict semver, optional v)', () => {
  test.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['1.2.3-rc.1', '1.2.3-rc.1'],
    ['v2.0.0+build.5', '2.0.0'],
  ])('%s parses', (tag, version) => {
    expect(parseTagVersion(tag)?.version).toBe(version);
  });
  test.each(['1.2', 'v1', 'latest', '01.2.3', 'vv1.2.3', '=1.2.3', ' 1.2.3', 'V1.2.3', '1.2.3.4'])(
    '%s is not a version',
    (tag) => {
      expect(parseTagVersion(tag)).toBeUndefined();
    },
  );
});

describe('semver policy', () => {
  const tags = ['1.0.0', 'v1.2.0', '1.3.0-rc.1', '2.0.0', '2.1.0-beta.1', 'latest', '1.4', 'v1.1.9'];
  test.each([
    ['*', '2.0.0'],
    ['>=1.0.0 <2.0.0', 'v1.2.0'],
    ['^1.0.0', 'v1.2.0'],
    ['1.x', 'v1.2.0'],
    ['~1.1', 'v1.1.9'],
    // a prerelease in the range admits prereleases of any version (Masterminds), not only 1.0.0's
    ['>=1.0.0-0 <2.0.0', '1.3.0-rc.1'],
    ['>=1.0.0-0', '2.1.0-beta.1'],
    ['>=1.0.0, <1.2.0', 'v1.1.9'],
    ['<1.0.0 || >=2.0.0-0', '2.1.0-beta.1'],
    ['<1.0.0 || >=2.0.0', '2.0.0'],
    ['>=3.0.0', undefined],
    ['>=v1.0.0 <v1.2.0', 'v1.1.9'],
    // spaces after operators, as Masterminds accepts
    ['>= 1.0.0, < 1.2.0', 'v1.1.9'],
    // a caret range with a prerelease admits prereleases of later versions inside the range
    ['^1.0.0-rc.1', '1.3.0-rc.1'],
    ['~1.3.0-0', '1.3.0-rc.1'],
  ])('range %s picks %s', (range, expected) => {
    expect(pick(tags, { semver: { range } })).toBe(expected);
  });

  test('equal versions (v1.0.0 and 1.0.0) go to the later push, then the greater digest', () => {
    const a = candidate('v1.0.0', { pushedAt: '2026-01-01T00:00:02.000Z', digest: 'sha256:aa' });
    const b = candidate('1.0.0', { pushedAt: '2026-01-01T00:00:01.000Z', digest: 'sha256:bb' });
    expect(selectImages([a, b], { semver: { range: '*' } })[0].tag).toBe('v1.0.0');
    expect(selectImages([b, a], { semver: { range: '*' } })[0].tag).toBe('v1.0.0');
    const c = candidate('1.0.0+x', { pushedAt: a.pushedAt, digest: 'sha256:ff' });
    expect(selectImages([a, c], { semver: { range: '*' } })[0].tag).toBe('1.0.0+x');
    expect(selectImages([c, a], { semver: { range: '*' } })[0].tag).toBe('1.0.0+x');
  });

  test.each([
    ['', '\'policy.semver.range\' must be a non-empty semver range, got ""'],
    ['>=foo', '\'policy.semver.range\' is not a valid semver range, got ">=foo"'],
    ['!=1.0.0', "'policy.semver.range' uses '!=', which is not supported; got \"!=1.0.0\""],
    ['1.0.0 ||', "'policy.semver.range' has an empty '||' alternative"],
  ])('invalid range %j is a clear error', (range, message) => {
    expect(() => compileSemverRange(range)).toThrow(message);
  });
});

describe('alphabetical and numerical policies (the seed: desc, the default, picks the highest)', () => {
  test.each([
    [['a', 'c', 'b'], undefined, 'c'],
    [['a', 'c', 'b'], 'desc', 'c'],
    [['a', 'c', 'b'], 'asc', 'a'],
    [['RELEASE.2024-01-02', 'RELEASE.2024-11-02', 'RELEASE.2024-03-02'], 'desc', 'RELEASE.2024-11-02'],
    // byte order, as Go's sort.Strings: uppercase sorts before lowercase
    [['Zeta', 'alpha'], 'desc', 'alpha'],
  ] as const)('alphabetical %j %s picks %s', (tags, order, expected) => {
    expect(pick([...tags], { alphabetical: order ? { order } : {} })).toBe(expected);
  });

  test.each([
    [['1', '10', '9'], 'desc', '10'],
    [['1', '10', '9'], 'asc', '1'],
    [['1.5', '1.25', 'latest'], 'desc', '1.5'],
    [['-3', '2', '0x10'], 'asc', '-3'],
    [['latest', 'main'], 'desc', undefined],
  ] as const)('numerical %j %s picks %s', (tags, order, expected) => {
    expect(pick([...tags], { numerical: { order } })).toBe(expected);
  });

  test('equal numbers (1 and 1.0) go to the later push', () => {
    const a = candidate('1', { pushedAt: '2026-01-01T00:00:05.000Z' });
    const b = candidate('1.0', { pushedAt: '2026-01-01T00:00:06.000Z' });
    expect(selectImages([a, b], { numerical: {} })[0].tag).toBe('1.0');
    expect(selectImages([b, a], { numerical: {} })[0].tag).toBe('1.0');
  });

  test('a bad order is a clear error', () => {
    expect(() => compilePolicy({ numerical: { order: 'up' as 'asc' } })).toThrow(
      "'policy.numerical.order' must be 'asc' or 'desc', got \"up\"",
    );
  });
});

describe('pattern policy', () => {
  const tags = ['main-100-abc', 'main-99-def', 'dev-200-aaa', 'prod-5-zzz', 'latest'];
  test('named group extraction ranks numerically when every value is a number', () => {
    expect(pick(tags, { pattern: { regex: '^main-(?<ts>\\d+)-', extract: '$ts' } })).toBe('main-100-abc');
    expect(pick(tags, { pattern: { regex: '^main-(?<ts>\\d+)-', extract: '$<ts>' } })).toBe('main-100-abc');
    expect(pick(tags, { pattern: { regex: '^main-(?P<ts>\\d+)-', extract: '${ts}' } })).toBe('main-100-abc');
  });
  test('numbered group extraction', () => {
    expect(pick(tags, { pattern: { regex: '^[a-z]+-(\\d+)-', extract: '$1' } })).toBe('dev-200-aaa');
    expect(pick(tags, { pattern: { regex: '^[a-z]+-(\\d+)-', extract: '$1', order: 'asc' } })).toBe(
      'prod-5-zzz',
    );
  });
  test('without extract, the whole tag is ranked (alphabetically here)', () => {
    expect(pick(tags, { pattern: { regex: '^main-' } })).toBe('main-99-def');
  });
  test('compareAs semver ranks extracted versions', () => {
    const t = ['app-v1.9.0', 'app-v1.10.0', 'app-garbage'];
    expect(pick(t, { pattern: { regex: '^app-(.*)$', extract: '$1', compareAs: 'semver' } })).toBe(
      'app-v1.10.0',
    );
    expect(pick(t, { pattern: { regex: '^app-(.*)$', extract: '$1', compareAs: 'alphabetical' } })).toBe(
      'app-v1.9.0',
    );
  });
  test('extractPrefix: true takes the first capture group as the tag prefix (the seed); the default prefix is the text before - _ or .', () => {
    const [image] = selectImages([candidate('staging-42')], {
      pattern: { regex: '^(?<env>dev|staging|prod)-(?<n>\\d+)$', extract: '$n', extractPrefix: true },
    });
    expect(image.tagPrefix).toBe('staging');
    const [seed] = selectImages([candidate('prod-v1.2.3')], {
      pattern: { regex: '^(dev|staging|prod)-v\\d+\\.\\d+\\.\\d+$', extractPrefix: true },
    });
    expect(seed.tagPrefix).toBe('prod');
    const [off] = selectImages([candidate('staging-42')], {
      pattern: { regex: '^(dev|staging|prod)-(\\d+)$', extractPrefix: false },
    });
    expect(off.tagPrefix).toBe('staging');
    expect(defaultTagPrefixOf('prod-1.2.3')).toBe('prod');
    expect(defaultTagPrefixOf('dev_abc')).toBe('dev');
    expect(defaultTagPrefixOf('v1.2.3')).toBe('v1');
    expect(defaultTagPrefixOf('latest')).toBe('latest');
    expect(selectImages([candidate('prod-1.2.3')], { alphabetical: {} })[0].tagPrefix).toBe('prod');
  });
  test.each([
    [
      '(',
      '\'policy.pattern.regex\' is not a valid regular expression, got "(" (RE2 syntax, as Flux: error parsing regexp: missing closing ): `(`)',
    ],
    // RE2 (Go's regexp, which Flux uses) has no look-arounds or backreferences
    [
      '^(?=v)\\d',
      '\'policy.pattern.regex\' is not a valid regular expression, got "^(?=v)\\\\d" (RE2 syntax',
    ],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['(?<n>a)(?P<n>b)', 'duplicate capture group name: `n`'],
    ['', '\'policy.pattern.regex\' must be a non-empty regular expression, got ""'],
  ])('regex %j is rejected', (regex, message) => {
    expect(() => compileTagRegex(regex)).toThrow(message);
  });

  // Nested quantifiers backtrack catastrophically in a backtracking engine (safe-regex2 refused
  // some and let `^(a|aa)+$` through); RE2 runs them in linear time, so they are plain regexes.
  test.each([
    ['^(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', true],
    ['^(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', false],
    ['^(a|aa)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', false],
    ['^(x+x+)+y$', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy', true],
  ])('%s on %s matches: %s (linear-time engine, no backtracking check needed)', (regex, tag, matches) => {
    expect(compileTagRegex(regex).exec(tag) !== null).toBe(matches);
  });

  test('Go/Flux regex syntax: (?P<name>), (?i) flags, \\pL classes; the leftmost match anywhere', () => {
    const t = ['Main-7', 'main-12', 'feature-99', 'x-main-3'];
    expect(pick(t, { pattern: { regex: '(?i)^main-(?P<n>\\d+)$', extract: '$n' } })).toBe('main-12');
    expect(pick(t, { pattern: { regex: 'main-(\\d+)', extract: '$1' } })).toBe('main-12');
    expect(pick(['é-1', 'e-2'], { pattern: { regex: '^\\pL-(\\d)$', extract: '$1' } })).toBe('e-2');
    const m = compileTagRegex('(?P<env>dev|prod)-(?<n>\\d+)|(?<other>x)').exec('prod-42');
    expect([m?.group(0), m?.group('env'), m?.group('n'), m?.group('other'), m?.group(3)]).toEqual([
      'prod-42',
      'prod',
      '42',
      undefined,
      undefined,
    ]);
  });
  test.each([
    ['$2', '\'policy.pattern.extract\' refers to group 2 but the regex has 1 group(s), got "$2"'],
    [
      '$env',
      '\'policy.pattern.extract\' refers to group "env" which the regex does not define (named groups: n)',
    ],
    ['$1x', '\'policy.pattern.extract\' refers to group "1x"'],
  ])('extract %j referring to a missing group is rejected', (extract, message) => {
    expect(() => compilePolicy({ pattern: { regex: '^(?<n>\\d+)$', extract } })).toThrow(message);
  });
});

describe('per repository or across repositories', () => {
  const cands = [
    candidate('1.0.0', { repository: 'team-a/api' }),
    candidate('1.2.0', { repository: 'team-a/api' }),
    candidate('1.1.0', { repository: 'team-a/web' }),
    candidate('latest', { repository: 'team-a/db' }),
  ];
  test('perRepository: true: best tag of each repository with a qualifying tag, sorted', () => {
    const selected = selectImages(cands, { perRepository: true, semver: { range: '^1' } });
    expect(selected.map((i) => `${i.repository}:${i.tag}`)).toEqual(['team-a/api:1.2.0', 'team-a/web:1.1.0']);
    expect(selected[0]).toEqual({
      repository: 'team-a/api',
      registry: REGISTRY,
      tag: '1.2.0',
      digest: cands[1].digest,
      pushedAt: '2026-01-01T00:00:00.000Z',
      tagPrefix: '1',
      fullImageName: `${REGISTRY}/team-a/api:1.2.0`,
      imageName: 'api',
      serviceName: 'api',
    });
  });
  test('across repositories (the default, as the seed): one image; a tie between repositories is deterministic', () => {
    expect(selectImages(cands, { semver: { range: '^1' } }).map((i) => i.tag)).toEqual(['1.2.0']);
    expect(selectImages(cands, { perRepository: false, semver: { range: '^1' } }).map((i) => i.tag)).toEqual([
      '1.2.0',
    ]);
    const x = candidate('2.0.0', { repository: 'b/x', digest: 'sha256:11' });
    const y = candidate('2.0.0', { repository: 'a/x', digest: 'sha256:11' });
    expect(selectImages([x, y], { perRepository: false, semver: { range: '*' } })[0].repository).toBe('a/x');
    expect(selectImages([y, x], { perRepository: false, semver: { range: '*' } })[0].repository).toBe('a/x');
  });
  test('policy shape errors', () => {
    expect(() => compilePolicy({})).toThrow(
      "'policy' must set exactly one of semver, alphabetical, numerical, pattern, got none",
    );
    expect(() => compilePolicy({ semver: { range: '*' }, alphabetical: {} })).toThrow(
      'got semver and alphabetical',
    );
  });
});

// Every tie-break of selection, each in both input orders: removing one makes the result depend
// on the order (one of the two expectations fails); reversing one fails both.
describe('tie-breaks between equally ranked candidates', () => {
  const T0 = '2026-01-01T00:00:00.000Z';
  const T1 = '2026-01-01T00:00:01.000Z';
  const both = (a: ImageCandidate, b: ImageCandidate, policy: SelectionPolicy): Array<string | undefined> =>
    [selectImages([a, b], policy)[0], selectImages([b, a], policy)[0]].map(
      (i) => i && `${i.repository}:${i.tag}@${i.digest}`,
    );
  const id = (c: ImageCandidate): string => `${c.repository}:${c.tag}@${c.digest}`;

  test('1. the later push wins, whatever the digests', () => {
    // the earlier push has the greater digest, so only the push time can pick the later one
    const later = candidate('1.0.0', { pushedAt: T1, digest: 'sha256:aa' });
    const earlier = candidate('v1.0.0', { pushedAt: T0, digest: 'sha256:ff' });
    expect(both(later, earlier, { semver: { range: '*' } })).toEqual([id(later), id(later)]);
  });

  test('2. same push time: the greater digest wins, whatever the tags', () => {
    // the greater digest has the greater tag, so the last tie-break would pick the other one
    const greater = candidate('v1.0.0', { pushedAt: T0, digest: 'sha256:ff' });
    const smaller = candidate('1.0.0', { pushedAt: T0, digest: 'sha256:aa' });
    expect(both(greater, smaller, { semver: { range: '*' } })).toEqual([id(greater), id(greater)]);
  });

  test('3. across repositories, same push time and digest: the smaller repository name wins', () => {
    // the smaller repository has the greater tag, so the tag tie-break would pick the other one
    const a = candidate('v2.0.0', { repository: 'a/x', pushedAt: T0, digest: 'sha256:11' });
    const b = candidate('2.0.0', { repository: 'b/x', pushedAt: T0, digest: 'sha256:11' });
    expect(both(a, b, { perRepository: false, semver: { range: '*' } })).toEqual([id(a), id(a)]);
  });

  test('4. one digest carrying v1.0.0 and 1.0.0 (same push): the smaller tag wins', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const plain = candidate('1.0.0', { pushedAt: T0, digest });
    const prefixed = candidate('v1.0.0', { pushedAt: T0, digest });
    expect(both(plain, prefixed, { semver: { range: '*' } })).toEqual([id(plain), id(plain)]);
    expect(both(plain, prefixed, { perRepository: false, semver: { range: '*' } })).toEqual([
      id(plain),
      id(plain),
    ]);
  });

  test('ties apply to numerical and pattern policies too (1 and 1.0 on one digest)', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const one = candidate('1', { pushedAt: T0, digest });
    const oneDotZero = candidate('1.0', { pushedAt: T0, digest });
    expect(both(one, oneDotZero, { numerical: {} })).toEqual([id(one), id(one)]);
    expect(both(one, oneDotZero, { pattern: { regex: '^(\\d+)', extract: '$1' } })).toEqual([
      id(one),
      id(one),
    ]);
  });
});
