/** Part of a zone name, as Kubernetes checks it before loading the zone. */
const COMPONENT = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** Names already found valid: creating an Intl.DateTimeFormat costs tens of microseconds. */
const known = new Set<string>();

/**
 * Throws unless `timeZone` is an IANA time zone name a CronJob accepts: each '/'-separated part
 * made of letters, digits, '.', '-', '_' or '+' (at most 14 characters, not starting with '-'),
 * not `Local`, known to the ICU database behind `Intl`, and spelled with the right case (Go loads
 * zones from case-sensitive files, so `europe/paris` fails on the cluster).
 *
 * @returns the name, unchanged.
 */
export function validateTimeZone(timeZone: string): string {
  const fail = (why: string): never => {
    throw new Error(`'timeZone' ${why}, got ${JSON.stringify(timeZone)}`);
  };
  if (known.has(timeZone)) return timeZone;
  if (typeof timeZone !== 'string' || timeZone === '') fail('must be a non-empty IANA time zone name');
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !COMPONENT.test(part)) {
      fail('must be an IANA time zone name such as Europe/Paris');
    }
  }
  if (timeZone.toLowerCase() === 'local') fail('must be an explicit IANA time zone, not Local');
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return fail('is not a known IANA time zone');
  }
  const sameIgnoringCase = resolved.toLowerCase() === timeZone.toLowerCase();
  if ((sameIgnoringCase && resolved !== timeZone) || (!/[A-Z]/.test(timeZone) && /[A-Z]/.test(resolved))) {
    fail(`must be spelled with the right case (did you mean ${JSON.stringify(resolved)}?)`);
  }
  known.add(timeZone);
  return timeZone;
}
