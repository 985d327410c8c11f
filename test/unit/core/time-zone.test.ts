import { validateTimeZone } from '../../../core/time-zone';

describe('validateTimeZone', () => {
  test.each([
    'Europe/Paris',
    'America/Argentina/Buenos_Aires',
    'UTC',
    'Etc/UTC',
    'Etc/GMT+5',
    'US/Eastern',
    'Asia/Kolkata',
  ])('accepts %s', (tz) => expect(validateTimeZone(tz)).toBe(tz));
  test.each([
    ['', `'timeZone' must be a non-empty IANA time zone name, got ""`],
    ['Mars/Olympus', `'timeZone' is not a time zone of the IANA database (2026d), got "Mars/Olympus"`],
    ['US/Pacific-New', `'timeZone' is not a time zone of the IANA database (2026d), got "US/Pacific-New"`],
    ['PST', `got "PST"`],
    ['posix/Europe/Paris', `got "posix/Europe/Paris"`],
    ['localtime', `got "localtime"`],
    [
      'europe/paris',
      `'timeZone' must be spelled with the right case (did you mean "Europe/Paris"?), got "europe/paris"`,
    ],
    ['Local', `'timeZone' must be an explicit IANA time zone, not Local, got "Local"`],
    ['+01:00', `'timeZone' must be an IANA time zone name such as Europe/Paris, got "+01:00"`],
    ['Europe/../Paris', `'timeZone' must be an IANA time zone name such as Europe/Paris`],
    ['Europe/Paris Time', `got "Europe/Paris Time"`],
  ])('rejects %j', (tz, message) => {
    expect(() => validateTimeZone(tz)).toThrow(message);
  });
});
