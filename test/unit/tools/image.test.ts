// tools/image.js: the apt mirrors debootstrap is given, and the command line's errors (the build
// itself runs in test/e2e/jobforge-image.test.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface ImageTool {
  parseAptMirrors(texts: string[], env?: Record<string, string>): { main: string; security: string };
  main(args: string[]): number;
}
const image = require('../../../tools/image.js') as ImageTool;

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('parseAptMirrors', () => {
  test('deb822 URIs (trailing slash dropped)', () => {
    expect(image.parseAptMirrors([DEB822])).toEqual({
      main: 'http://mirror.example/debian',
      security: 'http://mirror.example/debian-security',
    });
  });

  test('one-line entries with options; other repositories ignored', () => {
    const list = [
      'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] https://deb.example/debian bookworm main',
      '# deb http://commented.example/debian-security bookworm-security main',
      'deb http://sec.example/debian-security bookworm-security main',
    ].join('\n');
    expect(image.parseAptMirrors([list])).toEqual({
      main: 'https://deb.example/debian',
      security: 'http://sec.example/debian-security',
    });
  });

  test('deb.debian.org when apt names no Debian mirror; the environment wins', () => {
    expect(image.parseAptMirrors([])).toEqual({
      main: 'http://deb.debian.org/debian',
      security: 'http://deb.debian.org/debian-security',
    });
    expect(image.parseAptMirrors([DEB822], { JOBFORGE_DEBIAN_MIRROR: 'file:///srv/debian' }).main).toBe(
      'file:///srv/debian',
    );
  });

  test.each([
    [
      { JOBFORGE_DEBIAN_MIRROR: 'mirror.example/debian' },
      `'JOBFORGE_DEBIAN_MIRROR' must be an http(s):// or file:// URL, got "mirror.example/debian"`,
    ],
    [
      { JOBFORGE_DEBIAN_SECURITY_MIRROR: 'ftp://x/debian-security' },
      `'JOBFORGE_DEBIAN_SECURITY_MIRROR' must be an http(s):// or file:// URL, got "ftp://x/debian-security"`,
    ],
  ])('rejects %j', (env, message) => {
    expect(() => image.parseAptMirrors([DEB822], env)).toThrow(message);
  });
});

describe('the command line', () => {
  let stderr: string;
  let spy: jest.SpyInstance;
  beforeEach(() => {
    stderr = '';
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      stderr += String(s);
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  test.each([
    [['--bogus'], `tools/image.js takes --check or --context DIR, got "--bogus"`],
    [['--context'], `'--context' takes one directory, got ""`],
    [['--context', 'a', 'b'], `'--context' takes one directory, got "a b"`],
    [['--check', 'x'], `'--check' takes no argument, got "x"`],
  ])('%j exits 1 naming the problem', (args, message) => {
    expect(image.main(args)).toBe(1);
    expect(stderr).toBe(`[image] ${message}\n`);
  });

  test('--context refuses a directory that exists, and writes nothing into it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-context-'));
    try {
      expect(image.main(['--context', dir])).toBe(1);
      expect(stderr).toBe(`[image] '--context' must not exist yet, got ${JSON.stringify(dir)}\n`);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
