import type * as CronParserModule from 'cron-parser';

/** `cron-parser`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const cronParser = (): typeof CronParserModule => require('cron-parser') as typeof CronParserModule;

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
/** robfig/cron's bounds and names per field (day of week 0-6, Sunday 0; no 7). */
const BOUNDS: ReadonlyArray<{ min: number; max: number; names?: readonly string[] }> = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

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
const cache = new Map<string, CronSchedule>(); // valid schedules only: errors name their field
const CACHE_MAX = 1024;

/**
 * Parses a CronJob schedule the way kube-apiserver checks it (robfig/cron's standard parser):
 * exactly five fields (minute hour day-of-month month day-of-week) with lists, ranges, steps
 * (`N/step` runs from N to the maximum) and month/day names in any case, `*` or `?` anywhere, or
 * one of the lowercase macros in {@link CRON_MACROS} written alone. Six fields, `L`, `W`, `#`,
 * `H`, day-of-week 7, anything with `TZ` and `@HOURLY` are rejected, as the apiserver does;
 * `@every <duration>`, which the apiserver also takes, is rejected on purpose (it is no calendar
 * schedule, and Kubernetes does not document it). A schedule that never matches a date
 * (`0 0 30 2 *`) is valid, as on the cluster, and has no next run times.
 *
 * @param field the prop name errors name
 * @throws Error naming `field` and the value received.
 */
export function parseCronSchedule(schedule: string, field = 'schedule'): CronSchedule {
  const hit = cache.get(schedule);
  if (hit !== undefined) return hit;
  const parsed = parse(schedule, field);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(schedule, parsed);
  return parsed;
}

function parse(schedule: string, field: string): CronSchedule {
  const fail = (why: string): never => {
    throw new Error(`'${field}' ${why}, got ${JSON.stringify(schedule)}`);
  };
  if (typeof schedule !== 'string' || schedule.trim() === '') fail('must be a non-empty cron expression');
  // kube-apiserver refuses any schedule that contains "TZ" (CRON_TZ=, TZ=).
  if (schedule.includes('TZ')) fail('cannot contain TZ or CRON_TZ; use timeZone instead');
  let fields: string;
  if (schedule.startsWith('@')) {
    // robfig/cron matches descriptors exactly: lowercase, nothing around them.
    const macro = CRON_MACROS[schedule];
    if (macro === undefined) {
      fail(`must be one of ${Object.keys(CRON_MACROS).join(', ')} (lowercase) when it starts with '@'`);
    }
    fields = macro!;
  } else {
    const parts = schedule.trim().split(/\s+/);
    if (parts.length !== 5) {
      fail(`must have exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
    }
    parts.forEach((part, i) => checkField(part, i, fail));
    fields = parts.join(' ');
  }
  return {
    expression: schedule,
    fields,
    next(count: number, from: Date = new Date(), timeZone = 'UTC'): Date[] {
      let it;
      try {
        it = cronParser().CronExpressionParser.parse(fields, { currentDate: from, tz: timeZone });
      } catch {
        return []; // a schedule that never matches a date, such as "0 0 30 2 *"
      }
      return it.take(count).map((d) => d.toDate());
    },
  };
}

/** One field, checked item by item as robfig/cron's getRange reads it. */
function checkField(part: string, index: number, fail: (why: string) => never): void {
  const name = FIELD_NAMES[index];
  const { min, max, names } = BOUNDS[index];
  const value = (atom: string): number => {
    const named = names?.indexOf(atom.toLowerCase()) ?? -1;
    if (named >= 0) return named + (index === 3 ? 1 : 0);
    // Go's strconv.Atoi: decimal digits, an optional '+'.
    if (!/^\+?[0-9]+$/.test(atom)) fail(`has an unknown ${name} value ${JSON.stringify(atom)}`);
    return Number(atom);
  };
  // strings.FieldsFunc: empty items ("1,,2", "1,") are dropped.
  for (const item of part.split(',').filter((i) => i !== '')) {
    const rangeAndStep = item.split('/');
    if (rangeAndStep.length > 2) fail(`has too many slashes in ${name} item ${JSON.stringify(item)}`);
    const lowAndHigh = rangeAndStep[0].split('-');
    let start = min;
    let end = max;
    if (lowAndHigh[0] !== '*' && lowAndHigh[0] !== '?') {
      if (lowAndHigh.length > 2) fail(`has too many hyphens in ${name} item ${JSON.stringify(item)}`);
      start = value(lowAndHigh[0]);
      end = lowAndHigh.length === 2 ? value(lowAndHigh[1]) : start;
    }
    if (rangeAndStep.length === 2) {
      const step = rangeAndStep[1];
      if (!/^\+?[0-9]+$/.test(step)) fail(`has an invalid ${name} step ${JSON.stringify(step)}`);
      if (Number(step) === 0) fail(`has a ${name} step of 0 in ${JSON.stringify(item)}`);
      if (lowAndHigh.length === 1) end = max; // "N/step" means "N-max/step"
    }
    if (start < min || end > max) {
      fail(`has a ${name} value out of range ${min}-${max} in ${JSON.stringify(item)}`);
    }
    if (start > end) fail(`has a ${name} range that ends before it starts in ${JSON.stringify(item)}`);
  }
}
