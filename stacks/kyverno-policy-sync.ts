import * as pulumi from '@pulumi/pulumi';

/** Where the resource fetches expected policies from Fairwinds Insights. */
export interface KyvernoPolicySyncInsights {
  /** Base URL, e.g. `https://insights.fairwinds.com`. */
  readonly host: string;
  readonly organization: string;
  readonly cluster: string;
  /**
   * Environment variable of the `pulumi` process holding the token.
   * @default 'FAIRWINDS_TOKEN'
   */
  readonly tokenEnv?: string;
  /**
   * A Pulumi config key holding the token (`pulumi config set --secret <key> ...`), read instead of `tokenEnv`.
   * @default - the environment
   */
  readonly tokenConfig?: string;
}

/** Plain inputs of the dynamic provider (no credentials). */
export interface KyvernoPolicySyncInputs {
  readonly insights?: KyvernoPolicySyncInsights;
  readonly policyDirectory?: string;
  readonly kubeconfig?: string;
  readonly ownership?: { readonly annotationKey?: string; readonly annotationValue?: string };
  readonly validate?: boolean;
  readonly maxRemovals?: number;
  readonly force?: boolean;
  readonly lockNamespace?: string;
  readonly lockName?: string;
  readonly lockTimeoutSeconds?: number;
  readonly fieldManager?: string;
  readonly removeOnDelete?: boolean;
}

/** Outputs: the inputs, plus what the last sync did. */
export interface KyvernoPolicySyncOutputs extends KyvernoPolicySyncInputs {
  readonly applied: string[];
  readonly updated: string[];
  readonly removed: string[];
  readonly unchanged: number;
  readonly conflicts: string[];
  readonly summary: string;
  readonly syncedAt: string;
}

/** Arguments of {@link KyvernoPolicySyncResource}. Exactly one of `insights` and `policyDirectory`. */
export interface KyvernoPolicySyncResourceArgs {
  /** Fetch the expected policies from Fairwinds Insights; the token is read at `pulumi up` from env or config. */
  readonly insights?: pulumi.Input<KyvernoPolicySyncInsights>;
  /** Or read them from a directory of YAML files (path on the machine running `pulumi up`). */
  readonly policyDirectory?: pulumi.Input<string>;
  /**
   * Path of the kubeconfig (a path, not its content: the content holds credentials).
   * @default - $KUBECONFIG, ~/.kube/config or in-cluster
   */
  readonly kubeconfig?: pulumi.Input<string>;
  /** @default - `insights.fairwinds.com/owned-by: "Fairwinds Insights"` */
  readonly ownership?: pulumi.Input<{ readonly annotationKey?: string; readonly annotationValue?: string }>;
  /** Kyverno CLI (when on PATH) + server-side dry-run before any write. @default true */
  readonly validate?: pulumi.Input<boolean>;
  /** Deletion guard. @default 10 */
  readonly maxRemovals?: pulumi.Input<number>;
  /** @default false */
  readonly force?: pulumi.Input<boolean>;
  /** @default - `$POD_NAMESPACE` or 'default' */
  readonly lockNamespace?: pulumi.Input<string>;
  /** @default 'jobforge-kyverno-policy-sync' */
  readonly lockName?: pulumi.Input<string>;
  /** @default 1800 */
  readonly lockTimeoutSeconds?: pulumi.Input<number>;
  /** @default 'jobforge-policy-sync' */
  readonly fieldManager?: pulumi.Input<string>;
  /** Remove every owned policy when the resource is deleted. @default false - deleting leaves the policies */
  readonly removeOnDelete?: pulumi.Input<boolean>;
}

// The provider is serialized with its closure: it captures only the two strings below and
// require()s the implementation inside each method, in the provider process.
/** Absolute path of the provider implementation. */
const PROVIDER_MODULE: string = require.resolve('./kyverno-policy-sync-provider');
/** When running as TypeScript (tests), ts-node's path so the provider process can load .ts; else ''. */
const TS_NODE: string = PROVIDER_MODULE.endsWith('.ts') ? require.resolve('ts-node') : '';

function providerModule(): typeof import('./kyverno-policy-sync-provider') {
  if (TS_NODE !== '' && !(require as NodeRequire).extensions['.ts']) {
    require(TS_NODE).register({
      transpileOnly: true,
      skipProject: true,
      compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true },
    });
  }
  return require(PROVIDER_MODULE);
}

/** The one provider instance (serialization is cached per instance). */
export const kyvernoPolicySyncProvider: pulumi.dynamic.ResourceProvider<
  KyvernoPolicySyncInputs,
  KyvernoPolicySyncOutputs
> = {
  async configure(req) {
    providerModule().configure(req.config);
  },
  async check(olds, news) {
    return providerModule().check(olds, news);
  },
  async diff(id, olds, news) {
    return providerModule().diff(id, olds, news);
  },
  async create(inputs) {
    return providerModule().create(inputs);
  },
  async update(id, olds, news) {
    return providerModule().update(id, olds, news);
  },
  async read(id, props) {
    return { id, props };
  },
  async delete(id, props) {
    return providerModule().remove(id, props);
  },
};

/**
 * Syncs Kyverno policies during `pulumi up` (the same sync as `jobforge policy-sync`): created
 * and updated by a real sync that fails the update on any failure; with unchanged inputs, a
 * dry-run sync in `diff` shows drift as a change, so a converged stack previews no changes.
 */
export class KyvernoPolicySyncResource extends pulumi.dynamic.Resource {
  // `declare`: a class field would be re-initialized to undefined after super() (ES2022 class fields).
  declare public readonly applied: pulumi.Output<string[]>;
  declare public readonly updated: pulumi.Output<string[]>;
  declare public readonly removed: pulumi.Output<string[]>;
  declare public readonly unchanged: pulumi.Output<number>;
  declare public readonly conflicts: pulumi.Output<string[]>;
  declare public readonly summary: pulumi.Output<string>;
  declare public readonly syncedAt: pulumi.Output<string>;

  constructor(name: string, args: KyvernoPolicySyncResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      kyvernoPolicySyncProvider,
      name,
      {
        ...args,
        applied: undefined,
        updated: undefined,
        removed: undefined,
        unchanged: undefined,
        conflicts: undefined,
        summary: undefined,
        syncedAt: undefined,
      },
      opts,
      'jobforge',
      'KyvernoPolicySync',
    );
  }
}
