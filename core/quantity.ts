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
const QUANTITY =
  /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/**
 * The numeric value of a Kubernetes resource quantity (`500m`, `1.5`, `128Mi`, `1e3`), or
 * undefined when `value` is not one. Precision is that of a double: enough to compare requests
 * with limits, not to re-serialize.
 */
export function parseQuantity(value: string): number | undefined {
  const m = QUANTITY.exec(value);
  if (m === null) return undefined;
  const n = Number(m[2]);
  const sign = m[1] === '-' ? -1 : 1;
  if (m[3] !== undefined) return sign * n * 10 ** Number(m[3].slice(1));
  return sign * n * SUFFIX[m[4] ?? ''];
}
