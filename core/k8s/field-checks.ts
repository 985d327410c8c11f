// Checks of single Kubernetes API fields that every construct shares: int32 integers, string
// lists, ConfigMap and Secret data keys. Each throws an Error naming the field and the value.

/** The largest int32: the upper bound of most integer fields of the Kubernetes API. */
export const INT32_MAX = 2147483647;

/** How a received value is written in error messages. */
export const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/**
 * Throws unless `value` is undefined or an integer from `min` to `max` (int32 max by default).
 * `what` names the kind of integer in the message (`an integer port`, `a non-root ID`).
 */
export function checkInteger(
  field: string,
  value: number | undefined,
  min = 0,
  max = INT32_MAX,
  what = 'an integer',
): void {
  if (value === undefined) return;
  if (!isIntegerIn(value, min, max)) {
    throw new Error(`'${field}' must be ${what} from ${min} to ${max}, got ${show(value)}`);
  }
}

/** True when `value` is an integer from `min` to `max`. */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Throws unless `list` is undefined or a list of strings. */
export function checkStringList(field: string, list: readonly string[] | undefined): void {
  if (list === undefined) return;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new Error(`'${field}' must be a list of strings, got ${show(list)}`);
  }
}

/** A Secret or ConfigMap data key (apimachinery's IsConfigMapKey): not '.', not starting with '..'. */
export function isDataKey(key: string): boolean {
  return (
    typeof key === 'string' && /^[-._a-zA-Z0-9]{1,253}$/.test(key) && key !== '.' && !key.startsWith('..')
  );
}

/** kube-apiserver's validatePathNoBacksteps: no '..' path component. */
export function checkNoBacksteps(field: string, path: string): void {
  if (path.split('/').includes('..')) throw new Error(`'${field}' must not contain '..', got ${show(path)}`);
}

/** Throws unless `value` is a port number from 1 to 65535 (undefined is no port). */
export function checkPort(field: string, value: unknown): void {
  if (!isIntegerIn(value, 1, 65535)) {
    throw new Error(`'${field}' must be an integer port from 1 to 65535, got ${show(value)}`);
  }
}
