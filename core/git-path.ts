/**
 * Path rules for files jobforge writes into a Git repository: relative, `/`-separated, no `.`
 * or `..` segments, no empty segments, no `.git` segment, no control characters or
 * backslashes. Checked before any Git work.
 */

const show = (value: unknown): string => JSON.stringify(value);

/**
 * Throws unless `path` is a safe relative file path; `where` names the field in the error.
 * @returns the path unchanged
 */
export function checkRelativePath(
  path: string,
  where: string,
  options: { allowEmpty?: boolean } = {},
): string {
  if (typeof path !== 'string') throw new Error(`${where} must be a string, got ${show(path)}`);
  if (path === '') {
    if (options.allowEmpty) return path;
    throw new Error(`${where} must not be empty`);
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    throw new Error(`${where} must be a relative path, got ${show(path)}`);
  }
  if (path.includes('\\')) throw new Error(`${where} must use '/' separators, got ${show(path)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path))
    throw new Error(`${where} must not contain control characters, got ${show(path)}`);
  for (const segment of path.split('/')) {
    if (segment === '..') throw new Error(`${where} must not contain '..', got ${show(path)}`);
    if (segment === '.' || segment === '') {
      throw new Error(`${where} must not contain empty or '.' segments, got ${show(path)}`);
    }
    if (segment.toLowerCase() === '.git')
      throw new Error(`${where} must not touch '.git', got ${show(path)}`);
  }
  return path;
}

/** Joins relative repository paths with `/`, skipping empty parts. */
export function joinRepoPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}
