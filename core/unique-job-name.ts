import { createHash } from 'node:crypto';
import { CANONICAL_IMAGE_REWRITES, canonicalImage } from './image-reference';

/**
 * How the Job generated for an image is named.
 * - `hashed`: `img-` + a readable slug of the image + `-` + a prefix of the sha256 of the
 *   canonical image. Collision-proof, always a DNS-1123 label. Needs Kyverno 1.12+.
 * - `legacy`: the original policy's name, `img-` + the image as written with `/ : . @ _` replaced
 *   by `-`, truncated to 50 characters. Known to collide (long registries such as the 44-character
 *   ECR hosts, digests cut off, `a/b:c` vs `a-b:c`, `nginx` vs `docker.io/library/nginx:latest`
 *   give two Jobs) and to produce invalid names (uppercase tags, a trailing `-` after truncation).
 *   Kept for clusters that run Kyverno older than 1.12.
 */
export type JobNaming = 'hashed' | 'legacy';

/** Options of {@link uniqueJobName}. */
export interface UniqueJobNameOptions {
  /** @default 'hashed' */
  readonly naming?: JobNaming;
  /**
   * Hex characters of the sha256 kept in a `hashed` name (4 bits each). 12 characters (48 bits)
   * keep the chance that any two of 100,000 distinct images share a name below 1 in 50,000.
   * @default 12
   */
  readonly hashLength?: number;
}

/** Every generated Job name starts with this. */
export const JOB_NAME_PREFIX = 'img-';
/** Default {@link UniqueJobNameOptions.hashLength}. */
export const DEFAULT_HASH_LENGTH = 12;
/** Allowed range of {@link UniqueJobNameOptions.hashLength}. */
export const MIN_HASH_LENGTH = 8;
export const MAX_HASH_LENGTH = 32;
/** Maximum length of a generated name (a DNS-1123 label, so it also fits the Job's pod labels). */
export const JOB_NAME_MAX_LENGTH = 63;
/** The original policy truncated the rewritten image to this many characters. */
export const LEGACY_TRUNCATE_LENGTH = 50;

// The slug: the canonical image without its registry and without Docker Hub's `library/`,
// lowercased, every run of characters outside [a-z0-9] turned into one `-`, cut to the room left,
// and trimmed of `-` at both ends.
const SLUG_REWRITES: ReadonlyArray<{ readonly pattern: string; readonly replacement: string }> = [
  { pattern: '^[^/]*/', replacement: '' },
  { pattern: '^library/', replacement: '' },
];
const SLUG_NON_ALNUM = { pattern: '[^a-z0-9]+', replacement: '-' };
const LEGACY_REPLACED = ['/', ':', '.', '@', '_'];
const SLUG_REWRITE_REGEXPS = SLUG_REWRITES.map((r) => ({
  regexp: new RegExp(r.pattern, 'g'),
  replacement: r.replacement,
}));
const SLUG_NON_ALNUM_REGEXP = new RegExp(SLUG_NON_ALNUM.pattern, 'g');

const show = (value: unknown): string => JSON.stringify(value);

/** Resolves and validates the options. */
function resolveOptions(options: UniqueJobNameOptions = {}): { naming: JobNaming; hashLength: number } {
  const naming = options.naming ?? 'hashed';
  if (naming !== 'hashed' && naming !== 'legacy') {
    throw new Error(`'naming' must be 'hashed' or 'legacy', got ${show(options.naming)}`);
  }
  const hashLength = options.hashLength ?? DEFAULT_HASH_LENGTH;
  if (!Number.isInteger(hashLength) || hashLength < MIN_HASH_LENGTH || hashLength > MAX_HASH_LENGTH) {
    throw new Error(
      `'hashLength' must be an integer from ${MIN_HASH_LENGTH} to ${MAX_HASH_LENGTH}, got ${show(options.hashLength)}`,
    );
  }
  return { naming, hashLength };
}

/** Characters the readable slug may use in a `hashed` name with this hash length. */
export function slugMaxLength(hashLength = DEFAULT_HASH_LENGTH): number {
  return JOB_NAME_MAX_LENGTH - JOB_NAME_PREFIX.length - 1 - hashLength;
}

/** Kyverno's `trim(s, '-')` (Go strings.Trim with cutset "-"). */
function trimDashes(s: string): string {
  return s.replace(/^-+|-+$/g, '');
}

/**
 * The name of the Job that {@link UniqueJobPerImagePolicy} generates for `image`, computed exactly
 * as the policy's JMESPath expression computes it in Kyverno (see {@link uniqueJobNameJmesPath}).
 *
 * `hashed` (default): equivalent references of one image (`nginx`, `nginx:latest`,
 * `docker.io/library/nginx:latest`) give one name; distinct images give distinct names. A
 * reference with both a tag and a digest is named by its digest, as Kyverno's `image_normalize`
 * drops the tag (the runtime pulls by digest).
 *
 * @example uniqueJobName('nginx') === 'img-nginx-latest-<12 hex>'
 * @throws Error when `image` is not a valid reference (hashed naming) or the options are invalid
 */
export function uniqueJobName(image: string, options?: UniqueJobNameOptions): string {
  const { naming, hashLength } = resolveOptions(options);
  if (typeof image !== 'string' || image === '') {
    throw new Error(`'image' must be a non-empty image reference, got ${show(image)}`);
  }
  if (naming === 'legacy') {
    let rewritten = image;
    for (const c of LEGACY_REPLACED) rewritten = rewritten.split(c).join('-');
    return JOB_NAME_PREFIX + [...rewritten].slice(0, LEGACY_TRUNCATE_LENGTH).join('');
  }
  const canonical = canonicalImage(image);
  let slug = canonical;
  for (const { regexp, replacement } of SLUG_REWRITE_REGEXPS) slug = slug.replace(regexp, replacement);
  slug = slug.toLowerCase().replace(SLUG_NON_ALNUM_REGEXP, SLUG_NON_ALNUM.replacement);
  slug = trimDashes(slug.slice(0, slugMaxLength(hashLength)));
  const hash = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, hashLength);
  return `${JOB_NAME_PREFIX}${slug}-${hash}`;
}

/** A JMESPath raw string literal. */
function raw(s: string): string {
  if (s.includes("'") || s.includes('\\')) throw new Error(`cannot embed ${show(s)} in a JMESPath literal`);
  return `'${s}'`;
}

/** A JMESPath number literal. */
function num(n: number): string {
  return '`' + String(n) + '`';
}

const regexReplaceAll = (expr: string, r: { pattern: string; replacement: string }): string =>
  `regex_replace_all(${raw(r.pattern)}, ${expr}, ${raw(r.replacement)})`;

/**
 * The Kyverno JMESPath expression that evaluates to {@link uniqueJobName} of the image that
 * `imageExpression` selects (for example `request.object.spec.containers[0].image` or
 * `element.image`). Use it as `"{{ <expression> }}"`.
 *
 * - `hashed` uses `image_normalize` (Kyverno 1.10), `sha256` (1.12), `regex_replace_all`,
 *   `to_lower`, `truncate`, `trim` and `join`.
 * - `legacy` is the original policy's expression (`replace_all`, `truncate`; Kyverno 1.6).
 *
 * The expression uses no braces and no backslashes, so it survives Kyverno's `{{ }}` variable
 * substitution unchanged.
 */
export function uniqueJobNameJmesPath(imageExpression: string, options?: UniqueJobNameOptions): string {
  const { naming, hashLength } = resolveOptions(options);
  if (typeof imageExpression !== 'string' || imageExpression.trim() === '' || /[{}]/.test(imageExpression)) {
    throw new Error(
      `'imageExpression' must be a non-empty JMESPath expression without braces, got ${show(imageExpression)}`,
    );
  }
  if (naming === 'legacy') {
    let expr = imageExpression;
    for (const c of LEGACY_REPLACED) expr = `replace_all(${expr}, ${raw(c)}, '-')`;
    return `join('', [${raw(JOB_NAME_PREFIX)}, truncate(${expr}, ${num(LEGACY_TRUNCATE_LENGTH)})])`;
  }
  let canonical = `image_normalize(${imageExpression})`;
  for (const r of CANONICAL_IMAGE_REWRITES) canonical = regexReplaceAll(canonical, r);
  let slug = canonical;
  for (const r of SLUG_REWRITES) slug = regexReplaceAll(slug, r);
  slug = regexReplaceAll(`to_lower(${slug})`, SLUG_NON_ALNUM);
  slug = `trim(truncate(${slug}, ${num(slugMaxLength(hashLength))}), '-')`;
  const hash = `truncate(sha256(${canonical}), ${num(hashLength)})`;
  return `join('', [${raw(JOB_NAME_PREFIX)}, ${slug}, '-', ${hash}])`;
}
