// Pulumi's mocks for component tests: every registered resource is recorded (type, name, inputs,
// parent, dependencies) and echoed back as its state. Import this module before the components.
import * as pulumi from '@pulumi/pulumi';

export interface MockedResource {
  readonly type: string;
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: any;
}

export const registered: MockedResource[] = [];

/** Installs the mocks (dry run = a preview when `preview`). */
export function installMocks(preview = false): void {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    'jobforge',
    'test',
    preview,
  );
}

/** The value of an Output (undefined when unknown, which apply never calls back for: resolves on a timer). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** Waits until no resource has been registered for a while (registration is asynchronous). */
export async function settled(): Promise<MockedResource[]> {
  let last = -1;
  while (last !== registered.length) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  return registered;
}

/** `type::name` of each registered resource, sorted. */
export function registeredNames(): string[] {
  return registered.map((r) => `${r.type}::${r.name}`).sort();
}
