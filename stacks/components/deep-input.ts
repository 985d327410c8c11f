import * as pulumi from '@pulumi/pulumi';

type Plain = string | number | boolean | bigint | symbol | null | undefined;

/**
 * `T` with every field, at any depth, a `pulumi.Input`: a plain value, a Promise or an Output
 * (a secret Output included). `pulumi.output(value)` resolves the whole tree to a plain `T`.
 */
export type DeepInput<T> = pulumi.Input<
  T extends Plain
    ? T
    : T extends readonly (infer U)[]
      ? DeepInput<U>[]
      : { readonly [K in keyof T]: DeepInput<T[K]> }
>;

/** True when `value` holds no Output and no Promise at any depth: it can be used as it is. */
export function isPlainInput(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  return Object.values(value).every(isPlainInput);
}
