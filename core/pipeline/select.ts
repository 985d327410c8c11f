import type * as semver from 'semver';
import type { RE2JS } from 're2js';

/** `semver` and `re2js`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const semverLib = (): typeof semver => require('semver') as typeof semver;
const re2js = (): typeof import('re2js') => require('re2js') as typeof import('re2js');
import { toDnsLabel } from '../dns-name';
import { parseWithSchema, pipelineSchema } from './schema';
import type {
  DetectedImage,
  ImageCandidate,
  ResolvedSelectionPolicy,
  SelectionPolicy,
  SortOrder,
} from './types';

/**
 * Tag selection, with the semantics of Flux's ImagePolicy (image-reflector-controller,
 * internal/policy) where Flux has an equivalent:
 *
 * - semver: a tag is a version only when it is a full `MAJOR.MINOR.PATCH[-pre][+build]` with an
 *   optional leading `v` (Flux's `version.ParseVersion`: strict parsing, `v` allowed); `1.2`,
 *   `latest` and `01.2.3` are not versions and are ignored. A prerelease version satisfies an
 *   `||`-group of the range only when some version in that group has a prerelease itself
 *   (Masterminds/semver, which Flux uses): `>=1.0.0` never picks `1.1.0-rc.1`, `>=1.0.0-0` does,
 *   for any major/minor/patch. Commas are AND, as in Masterminds.
 * - `order` follows the seed's ImageResourcePolicy, not Flux: `desc` (the default) picks the
 *   highest value (the latest), `asc` the lowest. Flux's `order: asc` is jobforge's `desc`.
 * - alphabetical: `desc` picks the greatest tag in byte order, `asc` the smallest.
 * - numerical: `desc` picks the largest number, `asc` the smallest; tags that are not numbers
 *   are ignored (Flux fails the whole policy instead; filter with `pattern` to be explicit).
 * - pattern: only tags matching the regex are considered; `extract` (Go-style `$1`, `${1}`,
 *   `$name`, `${name}`, or JavaScript's `$<name>`) gives the value that is ranked. Regexes have
 *   RE2 syntax and semantics, as Go's `regexp` in Flux, and match in linear time (re2js).
 *   `extractPrefix: true` takes the first capture group as the tag prefix (the seed's rule).
 *
 * Ties (equal versions, e.g. `v1.0.0` and `1.0.0`, or the same tag in two repositories when
 * selecting across repositories) go to the later push, then the greater digest, then the
 * smaller repository name, then the smaller tag (one digest carrying `v1.0.0` and `1.0.0` gives
 * `1.0.0`), so the result never depends on the order ECR returned.
 */

const show = (value: unknown): string => JSON.stringify(value);

// ---------------------------------------------------------------------------------------------
// semver
// ---------------------------------------------------------------------------------------------

/** A tag parsed as Flux parses it: strict semver with an optional leading `v`; undefined otherwise. */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const bare = tag.startsWith('v') ? tag.slice(1) : tag;
  // node-semver strips a leading `v`/`=` and whitespace even in strict mode; Flux does not.
  if (!/^[0-9]/.test(bare)) return undefined;
  try {
    return new (semverLib().SemVer)(bare, { loose: false });
  } catch {
    return undefined;
  }
}

/** A compiled semver range with Flux's (Masterminds') prerelease rule. */
export interface TagVersionRange {
  readonly range: string;
  test(version: semver.SemVer): boolean;
}

// A version with a prerelease inside a range group: `1.2.3-rc.1`, `>=1.0.0-0`, `^2-beta`.
const PRERELEASE_IN_RANGE = /(?:^|[\s<>=~^])v?\d+(?:\.(?:\d+|[xX*])){0,2}-[0-9A-Za-z]/;

/**
 * Compiles a semver range. Throws `'<field>' is not a valid semver range, got "<range>"` when
 * it does not parse.
 */
export function compileSemverRange(range: string, field = 'policy.semver.range'): TagVersionRange {
  if (typeof range !== 'string' || range.trim() === '') {
    throw new Error(`'${field}' must be a non-empty semver range, got ${show(range)}`);
  }
  if (range.includes('!=')) {
    throw new Error(`'${field}' uses '!=', which is not supported; got ${show(range)}`);
  }
  const groups = range.split('||').map((g) => g.replace(/,/g, ' ').trim());
  const compiled = groups.map((group) => {
    if (group === '') throw new Error(`'${field}' has an empty '||' alternative, got ${show(range)}`);
    let parsed: semver.Range;
    try {
      parsed = new (semverLib().Range)(group, { loose: false });
    } catch (err) {
      throw new Error(
        `'${field}' is not a valid semver range, got ${show(range)} (${(err as Error).message})`,
      );
    }
    return { comparators: parsed.set[0], admitsPrerelease: PRERELEASE_IN_RANGE.test(group) };
  });
  return {
    range,
    test(version: semver.SemVer): boolean {
      return compiled.some(
        ({ comparators, admitsPrerelease }) =>
          (version.prerelease.length === 0 || admitsPrerelease) && comparators.every((c) => c.test(version)),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// regex
// ---------------------------------------------------------------------------------------------

/** A match of a {@link TagRegex}: groups by number (0 = the whole match) or name; undefined when unset. */
export interface TagMatch {
  group(ref: number | string): string | undefined;
}

/** A user regex compiled by RE2 (re2js): matching time is linear in the tag's length. */
export interface TagRegex {
  readonly source: string;
  /** Capturing groups, not counting the whole match. */
  readonly groupCount: number;
  readonly groupNames: readonly string[];
  /** The leftmost match anywhere in `text` (as Go's FindStringSubmatch), or null. */
  exec(text: string): TagMatch | null;
}

/**
 * Compiles a user regex with RE2 syntax and semantics, as Flux's ImagePolicy does with Go's
 * `regexp` (`(?P<name>…)` and `(?<name>…)` groups, `(?i)` flags, no look-arounds or
 * backreferences). The engine (re2js, a port of RE2) matches in time linear in the input, so no
 * regex can backtrack catastrophically. Throws `'<field>' is not a valid regular expression …`.
 */
export function compileTagRegex(regex: string, field = 'policy.pattern.regex'): TagRegex {
  if (typeof regex !== 'string' || regex === '') {
    throw new Error(`'${field}' must be a non-empty regular expression, got ${show(regex)}`);
  }
  let compiled: RE2JS;
  try {
    compiled = re2js().RE2JS.compile(regex);
  } catch (err) {
    throw new Error(
      `'${field}' is not a valid regular expression, got ${show(regex)} (RE2 syntax, as Flux: ${(err as Error).message})`,
    );
  }
  const names = compiled.namedGroups() as Record<string, number>;
  return {
    source: regex,
    groupCount: compiled.groupCount(),
    groupNames: Object.keys(names),
    exec(text: string): TagMatch | null {
      const m = compiled.matcher(text);
      if (!m.find()) return null;
      return {
        group: (ref) => {
          if (typeof ref === 'string' && names[ref] === undefined) return undefined;
          return (m.group(ref) as string | null) ?? undefined;
        },
      };
    },
  };
}

type ReplacementPart = { literal: string } | { group: number | string };

/**
 * Parses a replacement template: `$1`, `${1}`, `$name`, `${name}`, `$<name>`, `$$`. As in Go's
 * `Regexp.Expand`, `$name` takes the longest run of letters, digits and `_` (write `${1}x`, not
 * `$1x`). Every reference must name a group of `regex`, else an error naming `field`.
 */
export function parseReplacement(template: string, regex: TagRegex, field: string): ReplacementPart[] {
  const groupCount = regex.groupCount;
  const names = new Set(regex.groupNames);
  const parts: ReplacementPart[] = [];
  const re = /\$(?:\$|\{([A-Za-z0-9_]+)\}|<([A-Za-z0-9_]+)>|([A-Za-z0-9_]+))/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[0] === '$$') {
      parts.push({ literal: '$' });
      continue;
    }
    const ref = m[1] ?? m[2] ?? m[3];
    if (/^[0-9]+$/.test(ref)) {
      const n = Number(ref);
      if (n > groupCount) {
        throw new Error(
          `'${field}' refers to group ${n} but the regex has ${groupCount} group(s), got ${show(template)}`,
        );
      }
      parts.push({ group: n });
    } else {
      if (!names.has(ref)) {
        throw new Error(
          `'${field}' refers to group ${show(ref)} which the regex does not define ` +
            `(named groups: ${[...names].join(', ') || 'none'}), got ${show(template)}`,
        );
      }
      parts.push({ group: ref });
    }
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  return parts;
}

function expand(parts: readonly ReplacementPart[], match: TagMatch): string {
  return parts.map((p) => ('literal' in p ? p.literal : (match.group(p.group) ?? ''))).join('');
}

// ---------------------------------------------------------------------------------------------
// tag prefix
// ---------------------------------------------------------------------------------------------

/**
 * The default tag prefix, the same rule as the workload index's default: the text before the
 * first `-`, `_` or `.`, or the whole tag when there is none (`prod-1.2.3` → `prod`,
 * `v1.2.3` → `v1`, `latest` → `latest`).
 */
export function defaultTagPrefixOf(tag: string): string | undefined {
  const m = /^([^-_.]+)[-_.]/.exec(tag);
  return m ? m[1] : tag || undefined;
}

/** A compiled selection policy: ranking and prefix extraction for single tags. */
export interface CompiledPolicy {
  /** The tag's ranking key, or undefined when the policy ignores the tag. */
  keyOf(tag: string): RankKey | undefined;
  /** The tag prefix used by `prefix` dedup. */
  prefixOf(tag: string): string | undefined;
  /** Compares two keys: > 0 when `a` should be picked over `b`. */
  compare(a: RankKey, b: RankKey): number;
  readonly perRepository: boolean;
  /**
   * A `pattern` policy without `compareAs`: keys are text, and a group whose values are all
   * numbers is ranked numerically.
   */
  readonly autoNumeric: boolean;
}

/** The value a tag is ranked by. */
export type RankKey = { version: semver.SemVer } | { number: number } | { text: string };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumber(value: string): number | undefined {
  if (!NUMBER.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

const textCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `desc` (the default) picks the highest value, `asc` the lowest (the seed's ImageResourcePolicy). */
const signOf = (order: SortOrder): 1 | -1 => (order === 'desc' ? 1 : -1);

/**
 * Compiles (and so validates) a selection policy: first the schema (exactly one of semver /
 * alphabetical / numerical / pattern, `order`, `perRepository`, defaults), then an invalid
 * range, an invalid regex, an extract template referring to a missing group, `extractPrefix`
 * without a capture group.
 */
export function compilePolicy(input: SelectionPolicy, field = 'policy'): CompiledPolicy {
  const policy = parseWithSchema(pipelineSchema().policy, input, field);
  const base = { perRepository: policy.perRepository, autoNumeric: false, prefixOf: defaultTagPrefixOf };

  if (policy.semver) {
    const range = compileSemverRange(policy.semver.range, `${field}.semver.range`);
    return {
      ...base,
      keyOf: (tag) => {
        const version = parseTagVersion(tag);
        return version && range.test(version) ? { version } : undefined;
      },
      compare: compareKeys(1),
    };
  }
  if (policy.alphabetical) {
    return {
      ...base,
      keyOf: (tag) => keyAs('alphabetical', tag),
      compare: compareKeys(signOf(policy.alphabetical.order)),
    };
  }
  if (policy.numerical) {
    return {
      ...base,
      keyOf: (tag) => keyAs('numerical', tag),
      compare: compareKeys(signOf(policy.numerical.order)),
    };
  }
  const pattern = policy.pattern as NonNullable<ResolvedSelectionPolicy['pattern']>;
  const regex = compileTagRegex(pattern.regex, `${field}.pattern.regex`);
  const extract =
    pattern.extract === undefined
      ? undefined
      : parseReplacement(pattern.extract, regex, `${field}.pattern.extract`);
  if (pattern.extractPrefix && regex.groupCount === 0) {
    throw new Error(
      `'${field}.pattern.extractPrefix' takes the regex's first capture group, but '${field}.pattern.regex' has none, got ${show(pattern.regex)}`,
    );
  }
  const compareAs = pattern.compareAs;
  return {
    perRepository: base.perRepository,
    prefixOf: pattern.extractPrefix
      ? (tag) => {
          const value = regex.exec(tag)?.group(1) ?? '';
          return value === '' ? undefined : value;
        }
      : base.prefixOf,
    keyOf: (tag) => {
      const m = regex.exec(tag);
      if (m === null) return undefined;
      return keyAs(compareAs, extract ? expand(extract, m) : tag);
    },
    compare: compareKeys(signOf(pattern.order)),
    autoNumeric: compareAs === undefined,
  };
}

/** A value's ranking key as `kind` reads it; text when no kind is given (see `autoNumeric`). */
function keyAs(
  kind: 'semver' | 'numerical' | 'alphabetical' | undefined,
  value: string,
): RankKey | undefined {
  if (kind === 'semver') {
    const version = parseTagVersion(value);
    return version ? { version } : undefined;
  }
  if (kind === 'numerical') {
    const n = parseNumber(value);
    return n === undefined ? undefined : { number: n };
  }
  return { text: value };
}

/** Compares two keys of one kind, times `sign`: > 0 when `a` ranks above `b`. */
function compareKeys(sign: 1 | -1): (a: RankKey, b: RankKey) => number {
  return (a, b) => {
    if ('version' in a && 'version' in b) return sign * semverLib().compare(a.version, b.version);
    if ('number' in a && 'number' in b) return sign * (a.number - b.number);
    return sign * textCompare((a as { text: string }).text, (b as { text: string }).text);
  };
}

// ---------------------------------------------------------------------------------------------
// selection
// ---------------------------------------------------------------------------------------------

/** Ties: later push, then greater digest, then smaller repository, then smaller tag. */
function tieBreak(a: ImageCandidate, b: ImageCandidate): number {
  const pushed = Date.parse(a.pushedAt) - Date.parse(b.pushedAt);
  if (pushed !== 0 && !Number.isNaN(pushed)) return pushed;
  const digest = textCompare(a.digest, b.digest);
  if (digest !== 0) return digest;
  const repository = textCompare(b.repository, a.repository);
  if (repository !== 0) return repository;
  return textCompare(b.tag, a.tag);
}

/** A candidate with the names templates use. */
export function toDetectedImage(candidate: ImageCandidate, tagPrefix: string | undefined): DetectedImage {
  const imageName = candidate.repository.slice(candidate.repository.lastIndexOf('/') + 1);
  const image = {
    repository: candidate.repository,
    registry: candidate.registry,
    tag: candidate.tag,
    digest: candidate.digest,
    pushedAt: candidate.pushedAt,
    fullImageName: `${candidate.registry}/${candidate.repository}:${candidate.tag}`,
    imageName,
    serviceName: toDnsLabel([imageName]),
  };
  return tagPrefix === undefined ? image : { ...image, tagPrefix };
}

/**
 * Picks the images the policy selects: the best tag of each repository (`perRepository`, the
 * default) or the single best across all of them. Returns them sorted by repository; a
 * repository none of whose tags qualify yields nothing.
 */
export function selectImages(
  candidates: readonly ImageCandidate[],
  policy: SelectionPolicy,
): DetectedImage[] {
  const compiled = compilePolicy(policy);
  const groups = new Map<string, Array<{ candidate: ImageCandidate; key: RankKey }>>();
  for (const candidate of candidates) {
    const key = compiled.keyOf(candidate.tag);
    if (key === undefined) continue;
    const group = compiled.perRepository ? candidate.repository : '';
    let list = groups.get(group);
    if (list === undefined) groups.set(group, (list = []));
    list.push({ candidate, key });
  }
  const selected: DetectedImage[] = [];
  for (const list of groups.values()) {
    // pattern without compareAs: numbers when every extracted value in the group is one.
    let entries = list;
    if (compiled.autoNumeric) {
      const numbers = list.map((e) => parseNumber((e.key as { text: string }).text));
      if (numbers.every((n) => n !== undefined)) {
        entries = list.map((e, i) => ({ candidate: e.candidate, key: { number: numbers[i] as number } }));
      }
    }
    let best = entries[0];
    for (const entry of entries.slice(1)) {
      const c = compiled.compare(entry.key, best.key);
      if (c > 0 || (c === 0 && tieBreak(entry.candidate, best.candidate) > 0)) best = entry;
    }
    selected.push(toDetectedImage(best.candidate, compiled.prefixOf(best.candidate.tag)));
  }
  return selected.sort((a, b) => textCompare(a.repository, b.repository));
}
