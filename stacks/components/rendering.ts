// What a component renders from its args: the construct's objects and names, as one Output that
// keeps the args' dependencies. Secret args do not make the whole rendering secret: a value (a
// child's field or an output) is secret when it contains a secret arg's value, verbatim, as JSON
// or in base64 (Secret data), so names and unrelated fields stay readable in previews.
import * as pulumi from '@pulumi/pulumi';
import { isPlainInput } from './deep-input';
import type { KubeObjectJson } from './synth-objects';

/** The values of the secret Inputs among a component's args. */
export interface SecretValues {
  /** Every non-empty string inside a secret Input. */
  readonly strings: readonly string[];
  /** A secret Input held a number or boolean: everything is treated as secret. */
  readonly all: boolean;
}

/** Every string (and whether any number or boolean) inside `value`. */
function leaves(value: unknown, strings: string[]): boolean {
  if (typeof value === 'string') {
    if (value !== '') strings.push(value);
    return false;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return true;
  if (value === null || typeof value !== 'object') return false;
  let other = false;
  for (const v of Object.values(value)) other = leaves(v, strings) || other;
  return other;
}

/** The values of the secret Outputs in `args` (at any depth). */
export async function secretValues(args: unknown): Promise<SecretValues> {
  const strings: string[] = [];
  let all = false;
  const visit = async (value: unknown): Promise<void> => {
    if (pulumi.Output.isInstance(value)) {
      if (await pulumi.isSecret(value)) {
        // Output's promise() is left out of its typings; it is what `apply` runs on.
        const v = await (value as unknown as { promise(): Promise<unknown> }).promise();
        all = leaves(v, strings) || all;
      }
      return;
    }
    if (value instanceof Promise) return visit(await value);
    if (value !== null && typeof value === 'object') await Promise.all(Object.values(value).map(visit));
  };
  await visit(args);
  return { strings, all };
}

/** True when `value` shows one of the secret values. */
export function containsSecret(value: unknown, secrets: SecretValues): boolean {
  if (secrets.all) return true;
  if (secrets.strings.length === 0 || value === undefined) return false;
  const text = JSON.stringify(value);
  return secrets.strings.some(
    (s) => text.includes(JSON.stringify(s).slice(1, -1)) || text.includes(Buffer.from(s).toString('base64')),
  );
}

/** A component's rendering: the construct's objects and whatever the component outputs. */
export class Rendering<R extends { readonly objects: KubeObjectJson[] }> {
  /** The rendering (not secret: see {@link field}); rejects with the construct's error. */
  public readonly value: pulumi.Output<R>;
  private readonly secrets: Promise<SecretValues>;

  /** Renders the resolved `args` (every Input inside them resolved) with `render`. */
  public constructor(args: unknown, render: (plain: never) => R | Promise<R>) {
    this.value = pulumi.unsecret(
      (pulumi.output(args) as pulumi.Output<unknown>).apply(async (plain) => render(plain as never)),
    );
    this.secrets = secretValues(args);
  }

  /**
   * Renders `args` with a synchronous `render`. Plain args (no Output or Promise inside) are
   * rendered at once, so a bad value throws before the component registers anything, and that
   * rendering is the one used (the construct is not synthesized twice).
   */
  public static of<R extends { readonly objects: KubeObjectJson[] }>(
    args: unknown,
    render: (plain: never) => R,
  ): Rendering<R> {
    if (!isPlainInput(args)) return new Rendering(args, render);
    const rendered = render(args as never);
    return new Rendering(args, () => rendered);
  }

  /** `pick` of the rendering, secret when it shows a secret arg's value. */
  public field<T>(pick: (r: R) => T): pulumi.Output<T> {
    return pulumi.all([this.value, this.secrets]).apply(([r, secrets]) => {
      const v = pick(r as R);
      return (containsSecret(v, secrets) ? pulumi.secret(v) : v) as pulumi.Input<T>;
    }) as pulumi.Output<T>;
  }
}
