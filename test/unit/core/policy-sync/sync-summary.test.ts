import { parseGoDuration } from '../../../../core/policy-sync/go-duration';
import {
  formatDuration,
  PolicySyncResult,
  summaryLine,
  summaryText,
} from '../../../../core/policy-sync/sync-summary';
import { jsonLineLogger, parseLogLevel } from '../../../../core/policy-sync/sync-logger';

const result: PolicySyncResult = {
  success: true,
  dryRun: false,
  durationMs: 5234,
  applied: ['policy1', 'policy2'],
  updated: ['policy3'],
  removed: [],
  failed: [],
  unchanged: ['a', 'b'],
  conflicts: [],
  errors: [],
  changes: {},
};

describe('summary line', () => {
  test('is one JSON line with the fields the Fairwinds runner prints', () => {
    const line = summaryLine(result);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      level: 'info',
      msg: 'Policy sync completed',
      success: true,
      dryRun: false,
      duration: '5.2s',
      summary: 'Applied 2, Updated 1, Removed 0, Failed 0',
      applied: ['policy1', 'policy2'],
      updated: ['policy3'],
      removed: [],
      failed: [],
      unchanged: 2,
      conflicts: [],
      errors: [],
    });
  });

  test('says when nothing was written and when it failed', () => {
    expect(summaryText({ ...result, dryRun: true })).toBe(
      'Applied 2, Updated 1, Removed 0, Failed 0 (dry run, nothing written)',
    );
    const failed = JSON.parse(summaryLine({ ...result, success: false, failed: ['x'], errors: ['x: bad'] }));
    expect(failed).toMatchObject({
      level: 'error',
      msg: 'Policy sync failed',
      summary: 'Applied 2, Updated 1, Removed 0, Failed 1',
    });
  });

  test.each([
    [850, '850ms'],
    [5234, '5.2s'],
    [63200, '1m3.2s'],
  ])('formatDuration(%d) = %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('parseGoDuration', () => {
  test.each([
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['45', 45_000],
  ])('%s', (v, ms) => expect(parseGoDuration(v, 'LOCK_TIMEOUT')).toBe(ms));

  test.each(['', '30x', 'm30', '30 m', 'abc'])('rejects %j', (v) => {
    expect(() => parseGoDuration(v, 'LOCK_TIMEOUT')).toThrow(
      `'LOCK_TIMEOUT' must be a duration like 30m, 90s or 1h30m, got ${JSON.stringify(v)}`,
    );
  });
});

describe('logging', () => {
  test('LOG_LEVEL filters lines; each line is JSON', () => {
    const lines: string[] = [];
    const log = jsonLineLogger(parseLogLevel('WARN'), (l) => lines.push(l));
    log.log('info', 'hidden');
    log.log('warn', 'shown', { policy: 'p' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'shown', policy: 'p' });
  });

  test('rejects an unknown LOG_LEVEL', () => {
    expect(() => parseLogLevel('verbose')).toThrow(
      `'LOG_LEVEL' must be one of debug, info, warn, error, got "verbose"`,
    );
    expect(parseLogLevel(undefined)).toBe('info');
  });
});
