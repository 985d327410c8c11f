// Targeted tests for what mutation testing found unchecked in core/cron-schedule.ts: whitespace,
// non-string input, the field name in errors, atoms and steps with junk around their digits, too
// many slashes, "N/step" past the maximum, names at both ends of their range, next()'s defaults
// and the bounded cache.
import { parseCronSchedule } from '../../../core/cron-schedule';

describe('parseCronSchedule input', () => {
  test('fields may be separated by any run of spaces and tabs', () => {
    expect(parseCronSchedule('0\t0  *   * \t *').fields).toBe('0 0 * * *');
  });

  test.each([
    [42, "'schedule' must be a non-empty cron expression, got 42"],
    [undefined, "'schedule' must be a non-empty cron expression, got undefined"],
    ['   ', `'schedule' must be a non-empty cron expression, got "   "`],
  ])('rejects %j as empty', (value, message) => {
    expect(() => parseCronSchedule(value as unknown as string)).toThrow(message);
  });

  test('errors name the field passed in', () => {
    expect(() => parseCronSchedule('0 0 * *', 'spec.backup.schedule')).toThrow(
      "'spec.backup.schedule' must have exactly 5 fields",
    );
  });

  test('sat and dec, the last names, are in range', () => {
    expect(parseCronSchedule('0 0 * dec sat').fields).toBe('0 0 * dec sat');
    expect(parseCronSchedule('0 0 * JAN-DEC SUN-SAT').fields).toBe('0 0 * JAN-DEC SUN-SAT');
  });

  test.each([
    ['a5 * * * *', `'schedule' has an unknown minute value "a5"`],
    ['5a * * * *', `'schedule' has an unknown minute value "5a"`],
    ['*/a5 * * * *', `'schedule' has an invalid minute step "a5"`],
    ['*/5a * * * *', `'schedule' has an invalid minute step "5a"`],
    ['0 */x * * *', `'schedule' has an invalid hour step "x"`],
    ['*/2/3 * * * *', `'schedule' has too many slashes in minute item "*/2/3"`],
    // robfig/cron reads "60/5" as 60-59/5: the range ends before it starts
    ['60/5 * * * *', `'schedule' has a minute range that ends before it starts in "60/5"`],
    ['5-1/2 * * * *', `'schedule' has a minute range that ends before it starts in "5-1/2"`],
    ['0 0 0 * *', `'schedule' has a day of month value out of range 1-31 in "0"`],
    ['0 0 * 13 *', `'schedule' has a month value out of range 1-12 in "13"`],
  ])('rejects %j', (expr, message) => {
    expect(() => parseCronSchedule(expr)).toThrow(message);
  });
});

describe('CronSchedule.next', () => {
  test('the time zone defaults to UTC', () => {
    const from = new Date('2026-01-05T07:59:00Z');
    expect(
      parseCronSchedule('0 9 * * *')
        .next(2, from)
        .map((d) => d.toISOString()),
    ).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-06T09:00:00.000Z']);
  });

  test('from defaults to now', () => {
    const before = Date.now();
    const [next] = parseCronSchedule('* * * * *').next(1);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime()).toBeLessThanOrEqual(before + 2 * 60_000);
  });

  test('a schedule that never matches a date has no next run times', () => {
    expect(parseCronSchedule('0 0 30 2 *').next(3, new Date('2026-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('parseCronSchedule cache', () => {
  const distinct = (day: number, n: number): string[] =>
    Array.from({ length: n }, (_, i) => `${i % 60} ${Math.floor(i / 60)} ${day} * *`);

  test('returns the parsed schedule again, and drops the oldest of 1024 entries first', () => {
    for (const s of distinct(1, 1024)) parseCronSchedule(s); // fill the cache, whatever it held
    const first = parseCronSchedule('0 0 * * 3');
    expect(parseCronSchedule('0 0 * * 3')).toBe(first);
    for (const s of distinct(2, 1023)) parseCronSchedule(s); // first is now the oldest entry
    expect(parseCronSchedule('0 0 * * 3')).toBe(first);
    parseCronSchedule('0 0 * * 4'); // the 1025th schedule evicts the oldest
    const again = parseCronSchedule('0 0 * * 3');
    expect(again).not.toBe(first);
    expect(again.fields).toBe('0 0 * * 3');
  });
});
