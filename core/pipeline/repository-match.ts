import type { RE2JS } from 're2js';
import { parseGoDuration, parseWithSchema, pipelineSchema } from './schema';
import type { EcrConfig, ResolvedEcrConfig } from './types';

/** `picomatch` and `re2js`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const picomatch = (): typeof import('picomatch') => require('picomatch') as typeof import('picomatch');
const re2js = (): typeof import('re2js') => require('re2js') as typeof import('re2js');

/**
 * Which ECR repositories and tags a configuration selects: the globs of `repositoryPattern`,
 * `imageNamePattern` and `imagePattern` compiled to linear-time matchers, and the ECR settings
 * resolved (schema defaults and limits, endpoint checked). Pure: the scan itself is ../io/ecr.ts.
 */

const show = (value: unknown): string => JSON.stringify(value);

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

/**
 * picomatch guards every path segment against `.` and `..` (and a `*` segment against the empty
 * string) with look-aheads, which RE2 does not have. ECR names can hold neither (a name component
 * starts with a letter or digit), so dropping the guards changes no match on a valid name.
 */
const PICOMATCH_SEGMENT_GUARDS = ['(?!(?:^|\\/)\\.{1,2}(?:\\/|$))', '(?!\\.{1,2}(?:\\/|$))', '(?=.)'];

/**
 * Compiles a glob with picomatch's syntax and semantics (`*` any run without `/`, `?` one
 * character other than `/`, `**` as a whole path segment any number of segments), matched by
 * RE2 (re2js) so that the time is linear in the name's length whatever the pattern (picomatch's
 * own JavaScript regex backtracks polynomially on `*a*a*a*…`). `allowed` lists the literal
 * characters the glob may contain.
 */
export function compileGlob(glob: string, field: string, allowed: RegExp): (name: string) => boolean {
  if (typeof glob !== 'string' || glob === '')
    throw new Error(`'${field}' must be a non-empty pattern, got ${show(glob)}`);
  const literal = glob.replace(/[*?]/g, '');
  const bad = [...literal].find((c) => !allowed.test(c));
  if (bad !== undefined) {
    throw new Error(
      `'${field}' contains ${show(bad)}, which cannot appear in what it matches; got ${show(glob)}`,
    );
  }
  let source = picomatch().makeRe(glob, { dot: true, nobrace: true, noextglob: true, nonegate: true }).source;
  for (const guard of PICOMATCH_SEGMENT_GUARDS) source = source.split(guard).join('');
  let re: RE2JS;
  try {
    re = re2js().RE2JS.compile(source);
  } catch (err) {
    throw new Error(`'${field}' is not a supported glob, got ${show(glob)} (${(err as Error).message})`);
  }
  return (name) => re.matches(name);
}

const REPOSITORY_CHAR = /[a-z0-9._/-]/;
const IMAGE_NAME_CHAR = /[a-z0-9._-]/;
const TAG_CHAR = /[A-Za-z0-9._-]/;

/** What a scan keeps: repositories by name, and tags. */
export interface EcrMatcher {
  repository(name: string): boolean;
  tag(tag: string): boolean;
}

/** The matcher of the (at most one) pattern the config sets; everything matches without one. */
export function compileEcrMatcher(ecr: EcrConfig, field = 'ecr'): EcrMatcher {
  const given = (['repositoryPattern', 'imageNamePattern', 'imagePattern'] as const).filter(
    (k) => ecr[k] !== undefined,
  );
  if (given.length > 1) {
    throw new Error(
      `'${field}' may set only one of repositoryPattern, imageNamePattern and imagePattern, got ${given.join(' and ')}`,
    );
  }
  const all = (): boolean => true;
  if (ecr.repositoryPattern !== undefined) {
    const re = compileGlob(ecr.repositoryPattern, `${field}.repositoryPattern`, REPOSITORY_CHAR);
    return { repository: re, tag: all };
  }
  if (ecr.imageNamePattern !== undefined) {
    const re = compileGlob(ecr.imageNamePattern, `${field}.imageNamePattern`, IMAGE_NAME_CHAR);
    return { repository: (n) => re(n.slice(n.lastIndexOf('/') + 1)), tag: all };
  }
  if (ecr.imagePattern !== undefined) {
    const p = ecr.imagePattern;
    if (typeof p !== 'string' || p === '')
      throw new Error(`'${field}.imagePattern' must be a non-empty pattern, got ${show(p)}`);
    const colon = p.indexOf(':');
    const repo = colon < 0 ? p : p.slice(0, colon);
    const tag = colon < 0 ? '*' : p.slice(colon + 1);
    const repoRe = compileGlob(repo, `${field}.imagePattern`, REPOSITORY_CHAR);
    const tagRe = compileGlob(tag, `${field}.imagePattern`, TAG_CHAR);
    return { repository: repoRe, tag: tagRe };
  }
  return { repository: all, tag: all };
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/**
 * Validates the ECR settings against the schema (region, account id, role ARN, limits, exactly
 * one pattern, the Go-duration `scanTimeout`), compiles the pattern and checks the endpoint;
 * returns them with defaults applied. Idempotent: a resolved config resolves to itself.
 */
export function resolveEcrConfig(ecr: EcrConfig, field = 'ecr'): ResolvedEcrConfig {
  const resolved = parseWithSchema(pipelineSchema().ecr, ecr, field);
  compileEcrMatcher(resolved, field);
  if (resolved.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(resolved.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '') {
      throw new Error(
        `'${field}.endpoint' must be an http(s) URL without credentials, got ${show(resolved.endpoint)}`,
      );
    }
  }
  return resolved;
}

/** The scan's time limit in seconds (`scanTimeout` is a Go duration). */
export function scanTimeoutSeconds(ecr: ResolvedEcrConfig): number {
  return parseGoDuration(ecr.scanTimeout) as number;
}
