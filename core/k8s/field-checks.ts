// Checks of single Kubernetes API fields that every construct shares: int32 integers, string
// lists, ConfigMap and Secret data keys. Each throws an Error naming the field and the value.

/** The largest int32: the upper bound of most integer fields of the Kubernetes API. */
export const INT32_MAX = 2147483647;

/** How a received value is written in error messages. */
export const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/** Throws unless `value` is undefined or an integer from `min` to `max` (int32 max by default). */
export function checkInteger(field: string, value: number | undefined, min = 0, max = INT32_MAX): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`'${field}' must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
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
