import * as pulumi from '@pulumi/pulumi';
import { delegatingProvider } from './delegating-provider';

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
  /**
   * Largest response accepted, in bytes; the read is aborted past it.
   * @default 10485760 (10 MiB)
   */
  readonly maxResponseBytes?: number;
}

/** Plain inputs of the dynamic provider (no credentials). */
export interface KyvernoPolicySyncInputs {
  readonly insights?: KyvernoPolicySyncInsights;
  readonly policyDirectory?: string;
  readonly kubeconfig?: string;
  readonly ownership?: { readonly annotationKey?: string; readonly annotationValue?: string };
  readonly validate?: boolean;
  readonly maxRemovals?: number;
  readonly maxRemovalRatio?: number;
  readonly force?: boolean;
  readonly allowEmptySource?: boolean;
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
  /** Deletion guard: a sync removing more policies than this removes none and fails. @default 10 */
  readonly maxRemovals?: pulumi.Input<number>;
  /** Ratio guard: a sync removing more than this share (0 to 1) of the owned policies removes none and fails. @default 0.5 */
  readonly maxRemovalRatio?: pulumi.Input<number>;
  /** Pass both deletion guards. @default false */
  readonly force?: pulumi.Input<boolean>;
  /** Accept a source with no policies while owned policies exist (the guards still apply). @default false */
  readonly allowEmptySource?: pulumi.Input<boolean>;
  /** @default - `$POD_NAMESPACE`, else the kubeconfig context's namespace, else 'default' */
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

/** The one provider instance, delegating to ./kyverno-policy-sync-provider in the provider process. */
export const kyvernoPolicySyncProvider = delegatingProvider<
  KyvernoPolicySyncInputs,
  KyvernoPolicySyncOutputs
>(require.resolve('./kyverno-policy-sync-provider'));

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
