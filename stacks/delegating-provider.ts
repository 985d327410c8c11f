import type * as pulumi from '@pulumi/pulumi';

/**
 * What a provider implementation module exports. It runs inside the provider process, where it
 * may require SDK, Kubernetes and Git clients freely; nothing of it is serialized.
 */
export interface ProviderImplementation<I, O> {
  configure(config: { get(key: string): string | undefined }): void;
  check(olds: Partial<I>, news: I): Promise<pulumi.dynamic.CheckResult<I>>;
  diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: I): Promise<pulumi.dynamic.CreateResult<O>>;
  update(id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult<O>>;
  remove(id: string, props: O): Promise<void>;
}

/**
 * A dynamic provider whose every method delegates to the implementation module at `modulePath`
 * (an absolute path, from `require.resolve` in the caller). Pulumi serializes the provider with
 * its closure: here that closure holds only two strings and this function, so no client or
 * credential can leak into it, and the implementation is loaded with `require()` in the provider
 * process. Create one instance per resource type at module level (serialization is cached per
 * instance).
 */
export function delegatingProvider<I, O>(modulePath: string): pulumi.dynamic.ResourceProvider<I, O> {
  // Running as TypeScript (tests, ts-node): the provider process must compile the module too.
  const tsNode: string = modulePath.endsWith('.ts') ? require.resolve('ts-node') : '';

  function implementation(): ProviderImplementation<I, O> {
    // Under jest `require.extensions` is absent and ts-jest compiles the module itself.
    const extensions = (require as NodeRequire).extensions as NodeRequire['extensions'] | undefined;
    if (tsNode !== '' && extensions !== undefined && !extensions['.ts']) {
      require(tsNode).register({
        transpileOnly: true,
        skipProject: true,
        compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true },
      });
    }
    return require(modulePath);
  }

  return {
    async configure(req) {
      implementation().configure(req.config);
    },
    async check(olds, news) {
      return implementation().check(olds, news);
    },
    async diff(id, olds, news) {
      return implementation().diff(id, olds, news);
    },
    async create(inputs) {
      return implementation().create(inputs);
    },
    async update(id, olds, news) {
      return implementation().update(id, olds, news);
    },
    async read(id, props) {
      return { id, props };
    },
    async delete(id, props) {
      return implementation().remove(id, props);
    },
  };
}
