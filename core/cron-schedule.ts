import { CronExpressionParser } from 'cron-parser';

/**
 * The descriptors Kubernetes' CronJob controller accepts (robfig/cron's standard parser), with the
 * five-field expression each one stands for.
 */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** One comma-separated item: `*`, `?`, a value or a range, then an optional `/step`. */
const ITEM = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?$/;

/** A validated CronJob schedule. */
export interface CronSchedule {
  /** The schedule as written (what goes into the CronJob). */
  readonly expression: string;
  /** The five-field form (macros expanded). */
  readonly fields: string;
  /** The next `count` run times after `from`, in `timeZone` (default UTC). */
  next(count: number, from?: Date, timeZone?: string): Date[];
}

/** Schedules already parsed (bounded): apps repeat a handful of schedules many times. */
const cache = new Map<string, CronSchedule>();
const CACHE_MAX = 1024;

/**
 * Parses a CronJob schedule the way the Kubernetes CronJob controller reads it: exactly five
 * fields (minute hour day-of-month month day-of-week) with lists, ranges, steps and month/day
 * names, or one of the macros in {@link CRON_MACROS}. The fields are checked by cron-parser; what
 * cron-parser accepts but Kubernetes rejects (six fields, `L`, `W`, `#`, `H`, day-of-week 7, a
 * `TZ=` prefix, `@every`) is rejected here.
 *
 * @throws Error naming 'schedule' and the value received.
 */
export function parseCronSchedule(schedule: string): CronSchedule {
  const hit = cache.get(schedule);
  if (hit !== undefined) return hit;
  const parsed = parse(schedule);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(schedule, parsed);
  return parsed;
}

function parse(schedule: string): CronSchedule {
  const fail = (why: string): never => {
    throw new Error(`'schedule' ${why}, got ${JSON.stringify(schedule)}`);
  };
  if (typeof schedule !== 'string' || schedule.trim() === '') fail('must be a non-empty cron expression');
  const trimmed = schedule.trim();
  if (trimmed.includes('TZ')) fail('cannot contain TZ or CRON_TZ; use timeZone instead');
  let fields: string;
  if (trimmed.startsWith('@')) {
    const macro = CRON_MACROS[trimmed.toLowerCase()];
    if (macro === undefined)
      fail(`must be one of ${Object.keys(CRON_MACROS).join(', ')} when it starts with '@'`);
    fields = macro!;
  } else {
    const parts = trimmed.split(/\s+/);
    if (parts.length !== 5) {
      fail(`must have exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
    }
    parts.forEach((part, i) => checkField(part, i, fail));
    fields = parts.join(' ');
  }
  try {
    // cron-parser reads five fields as minute..day-of-week.
    CronExpressionParser.parse(fields);
  } catch (err) {
    fail(`is not a valid cron expression (${(err as Error).message})`);
  }
  return {
    expression: schedule,
    fields,
    next(count: number, from: Date = new Date(), timeZone = 'UTC'): Date[] {
      const it = CronExpressionParser.parse(fields, { currentDate: from, tz: timeZone });
      return it.take(count).map((d) => d.toDate());
    },
  };
}

function checkField(part: string, index: number, fail: (why: string) => never): void {
  const name = FIELD_NAMES[index];
  for (const item of part.split(',')) {
    if (!ITEM.test(item)) fail(`has an unsupported ${name} item ${JSON.stringify(item)}`);
    const [range] = item.split('/');
    for (const atom of range.split('-')) {
      if (atom === '*' || atom === '?') continue;
      if (/^[0-9]+$/.test(atom)) {
        if (index === 4 && Number(atom) > 6) fail(`day of week must be 0-6 (Sunday is 0), found ${atom}`);
        continue;
      }
      const names = index === 3 ? MONTHS : index === 4 ? DAYS : undefined;
      if (names === undefined || !names.includes(atom.toLowerCase())) {
        fail(`has an unknown ${name} value ${JSON.stringify(atom)}`);
      }
    }
  }
}
