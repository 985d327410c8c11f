import { checkRelativePath, joinRepoPath } from '../../../core/git-path';

describe('checkRelativePath', () => {
  test.each([
    'a',
    'a/b.yaml',
    'apps/team-a/v1.k8s.yaml',
    '.github/x',
    'a/.gitkeep',
    'a..b/c',
    'C/x',
    'apps/img:v1.yaml',
  ])('%j is accepted and returned unchanged', (p) => expect(checkRelativePath(p, "'path'")).toBe(p));

  test.each([
    [42, `'path' must be a string, got 42`],
    [undefined, `'path' must be a string, got undefined`],
    ['', `'path' must not be empty`],
    ['/etc/passwd', `'path' must be a relative path, got "/etc/passwd"`],
    ['C:/x', `'path' must be a relative path, got "C:/x"`],
    ['c:x', `'path' must be a relative path, got "c:x"`],
    ['a\\b', `'path' must use '/' separators, got "a\\\\b"`],
    ['a\nb', `'path' must not contain control characters, got "a\\nb"`],
    ['a\x00b', `'path' must not contain control characters, got "a\\u0000b"`],
    ['a\x7fb', `'path' must not contain control characters, got "a\x7fb"`],
    ['a\x1fb', `'path' must not contain control characters, got "a\\u001fb"`],
    ['../x', `'path' must not contain '..', got "../x"`],
    ['a/../../x', `'path' must not contain '..', got "a/../../x"`],
    ['a/..', `'path' must not contain '..', got "a/.."`],
    ['./a', `'path' must not contain empty or '.' segments, got "./a"`],
    ['a//b', `'path' must not contain empty or '.' segments, got "a//b"`],
    ['a/', `'path' must not contain empty or '.' segments, got "a/"`],
    ['.git/config', `'path' must not touch '.git', got ".git/config"`],
    ['a/.GIT/hooks', `'path' must not touch '.git', got "a/.GIT/hooks"`],
  ])('%j is refused: %s', (p, message) => {
    expect(() => checkRelativePath(p as string, "'path'")).toThrow(message);
  });

  test('an empty path is allowed only with allowEmpty; allowEmpty changes nothing else', () => {
    expect(checkRelativePath('', "'git.path'", { allowEmpty: true })).toBe('');
    expect(() => checkRelativePath('', "'git.path'", { allowEmpty: false })).toThrow(
      "'git.path' must not be empty",
    );
    expect(() => checkRelativePath('../x', "'git.path'", { allowEmpty: true })).toThrow(
      `'git.path' must not contain '..', got "../x"`,
    );
  });
});

describe('joinRepoPath', () => {
  test('joins with / and skips empty parts', () => {
    expect(joinRepoPath('apps', 'a.yaml')).toBe('apps/a.yaml');
    expect(joinRepoPath('', 'a.yaml')).toBe('a.yaml');
    expect(joinRepoPath('a', '', 'b')).toBe('a/b');
    expect(joinRepoPath()).toBe('');
  });
});
