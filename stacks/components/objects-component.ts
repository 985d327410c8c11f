import * as pulumi from '@pulumi/pulumi';
import { afterChildren, createKubernetesChildren } from './kubernetes-children';
import type { Rendering } from './rendering';
import type { KubeObjectJson } from './synth-objects';

/**
 * A component whose children are the objects of a rendering, created once the rendering is known
 * (after the component's constructor returns). Its initialization ends when they exist, so
 * `dependsOn: [component]` waits for every child, as for a component whose children are
 * created in its constructor (Pulumi waits for a component's `initialize` before reading its
 * children).
 */
export abstract class ObjectsComponent extends pulumi.ComponentResource {
  private created: Promise<unknown> = Promise.resolve();

  /**
   * Creates the children for `rendering` (see createKubernetesChildren) and returns one Output per
   * entry of `picks`, picked from the rendering and resolved once every child exists (see
   * afterChildren).
   */
  protected createChildren<R extends { readonly objects: KubeObjectJson[] }, O>(
    name: string,
    rendering: Rendering<R>,
    picks: { readonly [K in keyof O]: (r: R) => O[K] },
  ): { [K in keyof O]: pulumi.Output<O[K]> } {
    const children = createKubernetesChildren(this, name, rendering);
    this.created = children;
    const outputs = {} as { [K in keyof O]: pulumi.Output<O[K]> };
    for (const key of Object.keys(picks) as (keyof O)[]) {
      outputs[key] = afterChildren(children, rendering.field(picks[key]));
    }
    return outputs;
  }

  protected async initialize(): Promise<unknown> {
    // Called by ComponentResource's constructor: the subclass's constructor (which starts the
    // children) runs before this continues.
    await undefined;
    // A rendering error fails the outputs (and the program); not the initialization twice.
    return this.created.then(
      () => undefined,
      () => undefined,
    );
  }
}
