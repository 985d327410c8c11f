const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
/** apimachinery's parseQuantityString: sign, digits, fraction, then the suffix characters. */
const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/**
 * The numeric value of a Kubernetes resource quantity (`500m`, `1.5`, `128Mi`, `1e3`), or
 * undefined when `value` is not one. The grammar is apimachinery's `ParseQuantity` after the
 * `strings.TrimSpace` of its JSON decoding, quirks included: digits may be missing (`.5`, `5.`,
 * `Mi`, `+` are zero or more), a suffix is one of `Ki`..`Ei`, `n u m k M G T P E`, or an exponent
 * `e3` / `E-3`. Precision is that of a double: enough to compare requests with limits, not to
 * re-serialize.
 */
export function parseQuantity(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const m = QUANTITY.exec(trimmed);
  if (m === null) return undefined;
  const [, sign, whole, fraction, suffix] = m;
  let scale: number;
  if (Object.prototype.hasOwnProperty.call(SUFFIX, suffix)) scale = SUFFIX[suffix];
  else if (/^[eE][+-]?[0-9]+$/.test(suffix)) scale = 10 ** Number(suffix.slice(1));
  else return undefined;
  const n = Number(`${whole || '0'}.${fraction ?? ''}0`);
  return (sign === '-' ? -1 : 1) * n * scale;
}
