// Targeted tests for what mutation testing found unchecked in core/time-zone.ts: non-strings, '.'
// and leading '-' parts, wrong case in every part, the field named in errors.
import { validateTimeZone } from '../../../core/time-zone';

describe('validateTimeZone: what the first tests left unchecked', () => {
  test.each([
    [42, `'timeZone' must be a non-empty IANA time zone name, got 42`],
    [undefined, `'timeZone' must be a non-empty IANA time zone name, got undefined`],
    ['Europe/.', `'timeZone' must be an IANA time zone name such as Europe/Paris, got "Europe/."`],
    ['./UTC', `'timeZone' must be an IANA time zone name such as Europe/Paris, got "./UTC"`],
    ['-Europe/Paris', `'timeZone' must be an IANA time zone name such as Europe/Paris, got "-Europe/Paris"`],
    ['Etc/-5', `'timeZone' must be an IANA time zone name such as Europe/Paris, got "Etc/-5"`],
    ['Europe/ABCDEFGHIJKLMNO', `'timeZone' must be an IANA time zone name such as Europe/Paris`],
    // wrong case anywhere: the database's spelling is suggested
    [
      'Europe/paris',
      `'timeZone' must be spelled with the right case (did you mean "Europe/Paris"?), got "Europe/paris"`,
    ],
    ['utc', `'timeZone' must be spelled with the right case (did you mean "UTC"?), got "utc"`],
    ['gmt', `'timeZone' must be spelled with the right case (did you mean "GMT"?), got "gmt"`],
    [
      'us/pacific',
      `'timeZone' must be spelled with the right case (did you mean "US/Pacific"?), got "us/pacific"`,
    ],
    [
      'EUROPE/PARIS',
      `'timeZone' must be spelled with the right case (did you mean "Europe/Paris"?), got "EUROPE/PARIS"`,
    ],
    ['local', `'timeZone' must be an explicit IANA time zone, not Local, got "local"`],
  ])('rejects %j', (tz, message) => {
    expect(() => validateTimeZone(tz as string)).toThrow(message);
  });

  test('the error names the field it is given', () => {
    expect(() => validateTimeZone('europe/paris', 'spec.timeZone')).toThrow(
      `'spec.timeZone' must be spelled with the right case (did you mean "Europe/Paris"?), got "europe/paris"`,
    );
    expect(() => validateTimeZone('', 'spec.timeZone')).toThrow(
      `'spec.timeZone' must be a non-empty IANA time zone name, got ""`,
    );
  });

  test('names with long parts are accepted and returned unchanged', () => {
    expect(validateTimeZone('America/Port_of_Spain')).toBe('America/Port_of_Spain');
    expect(validateTimeZone('America/Port_of_Spain')).toBe('America/Port_of_Spain');
    expect(validateTimeZone('America/Indiana/Indianapolis')).toBe('America/Indiana/Indianapolis');
  });
});
