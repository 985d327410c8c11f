/**
 * Container image references: parsing with the grammar of `github.com/distribution/reference`
 * (v0.6.0) and normalization exactly as Kyverno's JMESPath `image_normalize` computes it
 * (`pkg/utils/image.GetImageInfo` with the default configuration: default registry `docker.io`,
 * default registry mutation on).
 *
 * Kyverno's rules, kept here on purpose so that a name computed in TypeScript equals the one a
 * policy computes in the cluster:
 * - the first path component is a registry only when it contains `.` or `:`, is `localhost`, or
 *   contains an uppercase letter; otherwise `docker.io/` is prepended. `library/` is NOT added
 *   (`nginx` normalizes to `docker.io/nginx:latest`);
 * - the tag defaults to `latest` when there is neither a tag nor a digest;
 * - with a digest the tag is dropped: `nginx:1.25@sha256:…` normalizes to `docker.io/nginx@sha256:…`;
 * - nothing is lowercased: repository paths must already be lowercase (an error otherwise), while
 *   registries and tags keep their case.
 *
 * {@link canonicalImage} goes one step further and maps references that a container runtime
 * resolves to the same repository (`nginx`, `docker.io/library/nginx:latest`,
 * `index.docker.io/library/nginx`) onto one string.
 */
import { show } from './k8s/field-checks';

/** The parts of an image reference. */
export interface ImageReference {
  /**
   * Registry host, with its port when one is given (`localhost:5000`, `[::1]:5000`). `docker.io`
   * when the reference names none.
   */
  readonly registry: string;
  /** Whether the registry was written in the reference (false when `docker.io` was implied). */
  readonly registryExplicit: boolean;
  /** Repository path inside the registry, as written (`nginx`, `team-a/api`, `library/nginx`). */
  readonly repository: string;
  /** Last component of the repository path (`api` for `team-a/api`). */
  readonly name: string;
  /** Tag as written, case kept. Undefined when the reference has no tag. */
  readonly tag?: string;
  /** Digest as written (`sha256:<64 hex>`). Undefined when the reference has no digest. */
  readonly digest?: string;
}

/** The default registry Kyverno (and Docker) assume. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The tag Kyverno (and Docker) assume when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Maximum length of a repository path (distribution/reference RepositoryNameTotalLengthMax). */
export const REPOSITORY_PATH_MAX_LENGTH = 255;

// distribution/reference v0.6.0 regexp.go, transcribed. Go's regexp picks the submatches a
// backtracking engine would, so JavaScript's RegExp yields the same captures.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);

// opencontainers/go-digest v1.0.0: the algorithms Kyverno can verify and their hex lengths.
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(ref: string, why: string): Error {
  return new Error(`invalid image reference ${show(ref)}: ${why}`);
}

/**
 * Whether Kyverno (and Docker) read the first path component as a registry: it contains `.` or
 * `:`, is `localhost`, or is not all lowercase. Otherwise `docker.io/` is implied.
 */
function hasExplicitRegistry(ref: string): boolean {
  const slash = ref.indexOf('/');
  if (slash < 0) return false;
  const first = ref.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
}

function checkDigest(ref: string, digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw invalid(ref, `unsupported digest algorithm ${show(algorithm)} (sha256, sha384 or sha512)`);
  }
  if (encoded.length !== length) {
    throw invalid(ref, `${algorithm} digest must have ${length} hex characters, got ${encoded.length}`);
  }
  if (!/^[a-f0-9]+$/.test(encoded)) {
    throw invalid(ref, `digest must be lowercase hex, got ${show(encoded)}`);
  }
}

/**
 * Parses an image reference with the grammar of distribution/reference, splitting the registry the
 * way Kyverno and Docker do.
 *
 * @throws Error naming the reference and the reason, e.g.
 *   `invalid image reference "Foo:bar": repository name must be lowercase`
 */
export function parseImageReference(ref: string): ImageReference {
  if (typeof ref !== 'string') throw new Error(`invalid image reference ${show(ref)}: not a string`);
  if (ref === '') throw invalid(ref, 'must not be empty');
  const registryExplicit = hasExplicitRegistry(ref);
  const full = registryExplicit ? ref : `${DEFAULT_REGISTRY}/${ref}`;
  const m = REFERENCE.exec(full);
  if (m === null) {
    if (REFERENCE.test(full.toLowerCase())) throw invalid(ref, 'repository name must be lowercase');
    throw invalid(
      ref,
      'invalid reference format (expected [registry[:port]/]path[:tag][@algorithm:hex], ' +
        'path components lowercase [a-z0-9] joined by ".", "_", "__" or "-")',
    );
  }
  const [, named, tag, digest] = m;
  const nameMatch = ANCHORED_NAME.exec(named);
  let registry = nameMatch?.[1] ?? '';
  let repository = nameMatch?.[2] ?? named;
  if (repository.length > REPOSITORY_PATH_MAX_LENGTH) {
    throw invalid(
      ref,
      `repository name must not be more than ${REPOSITORY_PATH_MAX_LENGTH} characters, got ${repository.length}`,
    );
  }
  if (digest !== undefined) checkDigest(ref, digest);
  // Kyverno: a registry-less path whose first component contains "_" (e.g. "my_host.io/app", which
  // the domain grammar rejects) reports that component as the registry.
  if (registry === '') {
    const parts = repository.split('/');
    if (parts.length > 1 && parts[0].includes('_')) {
      registry = parts[0];
      repository = parts.slice(1).join('/');
    }
  }
  return {
    registry,
    registryExplicit,
    repository,
    name: repository.slice(repository.lastIndexOf('/') + 1),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** True when `ref` parses as an image reference. */
export function isImageReference(ref: string): boolean {
  try {
    parseImageReference(ref);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exactly what Kyverno's JMESPath `image_normalize(ref)` returns (default configuration):
 * `registry/path:tag`, or `registry/path@digest` when there is a digest (the tag is then dropped).
 *
 * @example normalizeImage('nginx') === 'docker.io/nginx:latest'
 * @example normalizeImage('docker.io/library/nginx') === 'docker.io/library/nginx:latest'
 * @example normalizeImage('nginx:1.25@sha256:0123…') === 'docker.io/nginx@sha256:0123…'
 * @throws Error when `ref` is not a valid reference (Kyverno fails the rule there too)
 */
export function normalizeImage(ref: string): string {
  const r = parseImageReference(ref);
  const image = r.registry === '' ? r.repository : `${r.registry}/${r.repository}`;
  return r.digest !== undefined ? `${image}@${r.digest}` : `${image}:${r.tag ?? DEFAULT_TAG}`;
}

/**
 * Regex rewrites applied, in order, to {@link normalizeImage}'s result to get
 * {@link canonicalImage}. Written so the same rewrites run in Kyverno's `regex_replace_all` (Go
 * RE2, `$1` expansion): no backslashes, no braces.
 */
export const CANONICAL_IMAGE_REWRITES: ReadonlyArray<{
  readonly pattern: string;
  readonly replacement: string;
}> = [
  // Docker's legacy default domain is the same registry.
  { pattern: '^index[.]docker[.]io/', replacement: 'docker.io/' },
  // Single-component Docker Hub repositories live under library/.
  { pattern: '^docker[.]io/([^/]+)$', replacement: 'docker.io/library/$1' },
];

/**
 * The reference a container runtime resolves `ref` to: {@link normalizeImage}, then Docker Hub's
 * aliases folded (`index.docker.io` → `docker.io`, `docker.io/nginx` → `docker.io/library/nginx`).
 * Equivalent references give one string: `nginx`, `nginx:latest`, `docker.io/library/nginx:latest`
 * and `index.docker.io/nginx` all give `docker.io/library/nginx:latest`.
 */
export function canonicalImage(ref: string): string {
  let image = normalizeImage(ref);
  for (const { regexp, replacement } of CANONICAL_REWRITE_REGEXPS) image = image.replace(regexp, replacement);
  return image;
}

const CANONICAL_REWRITE_REGEXPS = CANONICAL_IMAGE_REWRITES.map((r) => ({
  regexp: new RegExp(r.pattern, 'g'),
  replacement: r.replacement,
}));

/**
 * Throws unless `image` is a full image reference that parses (distribution/reference grammar)
 * and names a tag or a digest: what every jobforge construct requires of a container image.
 */
export function validateContainerImage(field: string, image: string): void {
  if (typeof image !== 'string' || image === '') {
    throw new Error(`'${field}' is required, got ${show(image)}`);
  }
  let ref;
  try {
    ref = parseImageReference(image);
  } catch (err) {
    throw new Error(
      `'${field}' must be a full image reference, got ${show(image)}: ${(err as Error).message}`,
    );
  }
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new Error(`'${field}' must name a tag or a digest (no implicit :latest), got ${show(image)}`);
  }
}

/** Throws unless `image` is pinned by digest: what `requireImageDigest: true` asks of every image. */
export function requireImageDigest(field: string, image: string): void {
  if (parseImageReference(image).digest === undefined) {
    throw new Error(
      `'${field}' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got ${show(image)}`,
    );
  }
}
