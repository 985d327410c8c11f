import type { DeepInput } from './deep-input';

/** The props of a construct as Pulumi args: every field, at any depth, a `pulumi.Input`. */
export type InputProps<P> = { readonly [K in keyof P]: DeepInput<P[K]> };

/** Annotation that makes @pulumi/kubernetes not wait for a resource to become ready (a Job to complete). */
export const SKIP_AWAIT_ANNOTATION = 'pulumi.com/skipAwait';

/** Options of the components that create Jobs. */
export interface JobAwaitArgs {
  /**
   * Do not wait for the Job(s) to complete: `pulumi up` returns once they are created (the
   * `pulumi.com/skipAwait: "true"` annotation). By default `pulumi up` waits for each Job to
   * complete, and fails with the Job's failure when it fails.
   * @default false
   */
  readonly skipAwait?: DeepInput<boolean>;
}

/** `annotations` plus the skip-await annotation when `skipAwait` is true. */
export function awaitAnnotations(
  annotations: Record<string, string> | undefined,
  skipAwait: boolean | undefined,
): Record<string, string> | undefined {
  if (skipAwait !== undefined && typeof skipAwait !== 'boolean') {
    throw new Error(`'skipAwait' must be a boolean, got ${JSON.stringify(skipAwait)}`);
  }
  return skipAwait ? { ...annotations, [SKIP_AWAIT_ANNOTATION]: 'true' } : annotations;
}
