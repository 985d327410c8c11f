import tzdata from 'tzdata/timezone-data.json';

/** Part of a zone name, as Kubernetes checks it before loading the zone. */
const COMPONENT = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * Every name of the IANA time zone database (zones and links, `backward` included), from the
 * `tzdata` package: the names Go's `time.LoadLocation` finds in the zoneinfo a kube-apiserver
 * reads (the host's tzdata, or Go's embedded copy). Names removed from the database, such as
 * `US/Pacific-New`, are not in it, although ICU (and so `Intl`) still knows some of them.
 */
const IANA_NAMES: ReadonlySet<string> = new Set(Object.keys(tzdata.zones));
const BY_LOWER_CASE = new Map([...IANA_NAMES].map((n) => [n.toLowerCase(), n]));

/** The version of the IANA time zone database that {@link validateTimeZone} checks against. */
export const TIME_ZONE_DATABASE_VERSION: string = tzdata.version;

/**
 * Throws unless `timeZone` is a time zone name a CronJob accepts, as kube-apiserver checks it:
 * each '/'-separated part made of letters, digits, '.', '-', '_' or '+' (at most 14 characters,
 * not starting with '-', not '.' or '..'), not `Local` in any case, and a name of the IANA time
 * zone database spelled with its exact case (Go loads zones from case-sensitive files, so
 * `europe/paris` fails on the cluster). Host-specific files of a zoneinfo directory
 * (`posix/...`, `right/...`, `localtime`, `posixrules`) are refused: they exist on some hosts only.
 *
 * @returns the name, unchanged.
 */
export function validateTimeZone(timeZone: string, field = 'timeZone'): string {
  const fail = (why: string): never => {
    throw new Error(`'${field}' ${why}, got ${JSON.stringify(timeZone)}`);
  };
  if (typeof timeZone !== 'string' || timeZone === '') fail('must be a non-empty IANA time zone name');
  if (IANA_NAMES.has(timeZone)) return timeZone;
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !COMPONENT.test(part)) {
      fail('must be an IANA time zone name such as Europe/Paris');
    }
  }
  if (timeZone.toLowerCase() === 'local') fail('must be an explicit IANA time zone, not Local');
  const spelled = BY_LOWER_CASE.get(timeZone.toLowerCase());
  if (spelled !== undefined)
    fail(`must be spelled with the right case (did you mean ${JSON.stringify(spelled)}?)`);
  return fail(`is not a time zone of the IANA database (${TIME_ZONE_DATABASE_VERSION})`);
}
