import { CRON_MACROS, parseCronSchedule } from '../../../core/cron-schedule';

describe('parseCronSchedule', () => {
  test.each([
    ['*/15 9-17 * * 1-5', '*/15 9-17 * * 1-5'],
    ['0 0 * JAN-MAR MON-FRI', '0 0 * JAN-MAR MON-FRI'],
    ['0 0 1,15 * sun', '0 0 1,15 * sun'],
    ['5/10 * ? * *', '5/10 * ? * *'],
    ['@hourly', '0 * * * *'],
    ['@midnight', '0 0 * * *'],
    ['@annually', '0 0 1 1 *'],
    ['*-5 * * * *', '*-5 * * * *'],
    ['0 0 30 2 *', '0 0 30 2 *'],
    ['+5 * * * */+2', '+5 * * * */+2'],
    ['1,,2 * * * *', '1,,2 * * * *'],
    ['  0 0 * * *  ', '0 0 * * *'],
  ])('accepts %s', (expr, fields) => {
    expect(parseCronSchedule(expr).fields).toBe(fields);
  });

  test('every macro Kubernetes knows is accepted', () => {
    for (const macro of Object.keys(CRON_MACROS)) expect(() => parseCronSchedule(macro)).not.toThrow();
  });

  test('next run times come from cron-parser, in the given time zone', () => {
    const from = new Date('2026-01-05T07:59:00Z'); // a Monday
    expect(
      parseCronSchedule('0 9 * * MON-FRI')
        .next(2, from, 'Europe/Paris')
        .map((d) => d.toISOString()),
    ).toEqual(['2026-01-05T08:00:00.000Z', '2026-01-06T08:00:00.000Z']);
  });

  test.each([
    [
      '0 0 0 * * *',
      `'schedule' must have exactly 5 fields (minute hour day-of-month month day-of-week), found 6, got "0 0 0 * * *"`,
    ],
    ['0 0 * *', `'schedule' must have exactly 5 fields`],
    [
      '@every 1h',
      `'schedule' must be one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (lowercase) when it starts with '@', got "@every 1h"`,
    ],
    ['@reboot', `got "@reboot"`],
    ['0 24 * * *', `'schedule' has a hour value out of range 0-23 in "24"`],
    ['0 0 32 * *', `'schedule' has a day of month value out of range 1-31 in "32"`],
    ['5-1 * * * *', `'schedule' has a minute range that ends before it starts in "5-1"`],
    ['0 0 * * 7', `'schedule' has a day of week value out of range 0-6 in "7", got "0 0 * * 7"`],
    ['@HOURLY', `(lowercase) when it starts with '@', got "@HOURLY"`],
    [
      ' @hourly',
      `'schedule' must have exactly 5 fields (minute hour day-of-month month day-of-week), found 1`,
    ],
    ['*/0 * * * *', `'schedule' has a minute step of 0 in "*/0"`],
    ['1-2-3 * * * *', `'schedule' has too many hyphens in minute item "1-2-3"`],
    ['0 0 L * *', `'schedule' has an unknown day of month value "L"`],
    ['0 0 * * 1#2', `'schedule' has an unknown day of week value "1#2"`],
    ['H * * * *', `'schedule' has an unknown minute value "H"`],
    ['0 0 * * MON-FOO', `'schedule' has an unknown day of week value "FOO"`],
    ['0 0 * FRI *', `'schedule' has an unknown month value "FRI"`],
    ['CRON_TZ=UTC 0 0 * * *', `'schedule' cannot contain TZ or CRON_TZ; use timeZone instead`],
    ['', `'schedule' must be a non-empty cron expression, got ""`],
  ])('rejects %j', (expr, message) => {
    expect(() => parseCronSchedule(expr)).toThrow(message);
  });
});
