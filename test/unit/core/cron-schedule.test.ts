import { CRON_MACROS, parseCronSchedule } from '../../../core/cron-schedule';

describe('parseCronSchedule', () => {
  test.each([
    ['*/15 9-17 * * 1-5', '*/15 9-17 * * 1-5'],
    ['0 0 * JAN-MAR MON-FRI', '0 0 * JAN-MAR MON-FRI'],
    ['0 0 1,15 * sun', '0 0 1,15 * sun'],
    ['5/10 * ? * *', '5/10 * ? * *'],
    ['@hourly', '0 * * * *'],
    ['@midnight', '0 0 * * *'],
    ['@ANNUALLY', '0 0 1 1 *'],
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
      `'schedule' must be one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly when it starts with '@', got "@every 1h"`,
    ],
    ['@reboot', `got "@reboot"`],
    ['0 24 * * *', `'schedule' is not a valid cron expression`],
    ['0 0 32 * *', `'schedule' is not a valid cron expression`],
    ['5-1 * * * *', `'schedule' is not a valid cron expression`],
    ['0 0 * * 7', `'schedule' day of week must be 0-6 (Sunday is 0), found 7, got "0 0 * * 7"`],
    ['0 0 L * *', `'schedule' has an unknown day of month value "L"`],
    ['0 0 * * 1#2', `'schedule' has an unsupported day of week item "1#2"`],
    ['H * * * *', `'schedule' has an unknown minute value "H"`],
    ['0 0 * * MON-FOO', `'schedule' has an unknown day of week value "FOO"`],
    ['0 0 * FRI *', `'schedule' has an unknown month value "FRI"`],
    ['CRON_TZ=UTC 0 0 * * *', `'schedule' cannot contain TZ or CRON_TZ; use timeZone instead`],
    ['', `'schedule' must be a non-empty cron expression, got ""`],
  ])('rejects %j', (expr, message) => {
    expect(() => parseCronSchedule(expr)).toThrow(message);
  });
});
