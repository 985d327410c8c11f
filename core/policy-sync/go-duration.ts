const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as Go writes it (`30m`, `1h30m`, `90s`, `500ms`, `1.5h`); a bare number is
 * seconds. Returns milliseconds. Throws naming `field` and the value for anything else.
 */
export function parseGoDuration(value: string, field: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (v === '' || end !== v.length) {
    throw new Error(`'${field}' must be a duration like 30m, 90s or 1h30m, got ${JSON.stringify(value)}`);
  }
  return Math.round(total);
}
