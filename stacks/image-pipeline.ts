import * as pulumi from '@pulumi/pulumi';
import { delegatingProvider } from './delegating-provider';
import type {
  DedupConfig,
  EcrConfig,
  GitAuthSource,
  ImagePipelineStackConfig,
  SelectionPolicy,
  TemplateConfig,
} from '../core/pipeline/schema';
import type { TemplateFunction, TemplateValue } from '../core/pipeline/types';
import type { DetectedRecord, PipelineApiCalls, PipelineOutputs, SkippedImage } from '../core/pipeline/plan';
import type { ImagePipelineConfig } from '../core/pipeline/types';
import { validatePipelineConfig } from '../core/pipeline/validate';

/**
 * Where the Git credentials come from at `pulumi up`: environment variables of the `pulumi`
 * process, or keys of the stack's Pulumi config (set them with `pulumi config set --secret`).
 * Only these NAMES are stored in the stack; the credentials are read inside the provider.
 * Derived from the one pipeline schema (core/pipeline/schema.ts).
 */
export type { GitAuthSource };

/** Every field of `T` as a `pulumi.Input`. */
type Inputs<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

/**
 * The Git target of an {@link ImagePipeline}: the schema's Git target (url, branch, path,
 * author, commitMessage, maxPushAttempts), each a `pulumi.Input`, and `auth` naming where the
 * credentials come from.
 */
export type ImagePipelineGitArgs = Inputs<ImagePipelineStackConfig['git']>;

/**
 * The template of an {@link ImagePipeline}: exactly one of `fn` and `yaml`. `fn` is serialized
 * with Pulumi's closure serialization (like a dynamic provider) and runs inside the provider at
 * `pulumi up`: keep it self-contained (plain data and `require()` of installed packages), with
 * no clients in its closure. The serialized text is a Pulumi secret (encrypted in the state).
 */
export type ImagePipelineTemplateArgs = Inputs<Omit<TemplateConfig, 'fn' | 'variables'>> & {
  /** A typed template function. */
  readonly fn?: TemplateFunction;
  /** User variables, `{{ .<key> }}` in YAML and the second argument of `fn`. @default {} */
  readonly variables?: pulumi.Input<Record<string, pulumi.Input<TemplateValue>>>;
};

/** Arguments of {@link ImagePipeline}. */
export interface ImagePipelineArgs {
  /** What to scan. Credentials come from the AWS default chain (or `roleArn`), never from here. */
  readonly ecr: pulumi.Input<EcrConfig>;
  /** How images are selected. */
  readonly policy: pulumi.Input<SelectionPolicy>;
  /** How manifests are rendered. */
  readonly template: ImagePipelineTemplateArgs;
  /** Where manifests are committed. */
  readonly git: ImagePipelineGitArgs;
  /**
   * Skip images the cluster already runs. `kubeconfig` must be a file PATH (kubeconfig content
   * holds credentials and is refused as an input).
   * @default - no cluster dedup (the Git tree check always applies)
   */
  readonly dedup?: pulumi.Input<DedupConfig>;
  /** Detected-image records older than this leave the outputs; 0 keeps them. @default 7 */
  readonly ttlDays?: pulumi.Input<number>;
}

/** The inputs of the pipeline's one dynamic resource: plain, JSON-safe data only. */
export interface ImagePipelineRunInputs {
  /** The stack-config form of the schema, without the Git credentials' source. */
  readonly config: Omit<ImagePipelineStackConfig, 'template' | 'git'> & {
    readonly template: Omit<TemplateConfig, 'fn'>;
    readonly git: Omit<ImagePipelineStackConfig['git'], 'auth'>;
  };
  readonly gitAuth: GitAuthSource | null;
  /** The serialized template function (Pulumi closure serialization), or null for YAML. */
  readonly templateFn: { readonly text: string; readonly exportName: string } | null;
}

/** The outputs of the dynamic resource (inputs echoed, plus the last applied run's results). */
export interface ImagePipelineRunOutputs extends ImagePipelineRunInputs, PipelineOutputs {}

// ---------------------------------------------------------------------------------------------
// The dynamic provider (see delegating-provider.ts): its serialized closure holds only the path
// of the implementation module, which it require()s inside each method, in the provider process.
// ---------------------------------------------------------------------------------------------

/**
 * The provider object: one module-level instance, every method delegating to
 * ./image-pipeline-provider (core composition + I/O), loaded inside the provider process.
 */
export const imagePipelineProvider = delegatingProvider<ImagePipelineRunInputs, ImagePipelineRunOutputs>(
  require.resolve('./image-pipeline-provider'),
);

/** The one dynamic resource of a pipeline: a whole pipeline run on each `pulumi up` that finds something new. */
export class ImagePipelineRun extends pulumi.dynamic.Resource {
  // `declare`: with ES2022 class fields a plain declaration would reset the outputs set by super().
  declare public readonly detected: pulumi.Output<DetectedRecord[]>;
  declare public readonly createdFiles: pulumi.Output<string[]>;
  declare public readonly skipped: pulumi.Output<SkippedImage[]>;
  declare public readonly commitSha: pulumi.Output<string | null>;
  declare public readonly apiCalls: pulumi.Output<PipelineApiCalls>;
  declare public readonly repositoriesScanned: pulumi.Output<number>;
  declare public readonly repositoriesMatched: pulumi.Output<number>;
  declare public readonly ranAt: pulumi.Output<string>;

  constructor(
    name: string,
    inputs: pulumi.Input<ImagePipelineRunInputs> | pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      imagePipelineProvider,
      name,
      {
        ...(inputs as pulumi.Inputs),
        detected: undefined,
        createdFiles: undefined,
        skipped: undefined,
        commitSha: undefined,
        apiCalls: undefined,
        repositoriesScanned: undefined,
        repositoriesMatched: undefined,
        ranAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ['templateFn', ...(opts?.additionalSecretOutputs ?? [])] },
      'jobforge',
      'ImagePipelineRun',
    );
  }
}

/**
 * The image pipeline as a Pulumi component: on `pulumi up` it scans ECR, selects images by
 * policy, skips those the cluster (or the Git repository) already has, renders the template for
 * the rest and commits the manifests to Git in one commit. One dynamic resource per pipeline,
 * however many repositories and tags are scanned.
 *
 * Children: `<name>-run` (the dynamic resource).
 */
export class ImagePipeline extends pulumi.ComponentResource {
  /** Detected-image records: this run's selection and earlier ones not yet past `ttlDays`. */
  public readonly detected: pulumi.Output<DetectedRecord[]>;
  /** Files committed by the last run that changed something, relative to the repository root. */
  public readonly createdFiles: pulumi.Output<string[]>;
  /** Images skipped by that run, with the reason and the existing workload. */
  public readonly skipped: pulumi.Output<SkippedImage[]>;
  /** That run's commit, or null. */
  public readonly commitSha: pulumi.Output<string | null>;
  /** API calls made by that run (ECR by operation, Kubernetes list calls). */
  public readonly apiCalls: pulumi.Output<PipelineApiCalls>;

  constructor(name: string, args: ImagePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!args.template || (args.template.fn === undefined) === (args.template.yaml === undefined)) {
      throw new Error(
        `'template' must set exactly one of fn and yaml, got ${args.template ? `${args.template.fn ? 'both' : 'neither'}` : 'undefined'}`,
      );
    }
    if (args.template.fn !== undefined && typeof args.template.fn !== 'function') {
      throw new Error(`'template.fn' must be a function, got ${typeof args.template.fn}`);
    }
    // Fully known (plain) configuration is validated here, so a bad range, regex, pattern or
    // template fails the program before any resource or API call; otherwise `check` does it.
    const plain = withoutUndefined({
      ecr: args.ecr,
      policy: args.policy,
      template: args.template,
      git: args.git,
      dedup: args.dedup,
      ttlDays: args.ttlDays,
    });
    if (isPlain(plain)) {
      const { auth: _auth, ...git } = args.git;
      validatePipelineConfig({
        ...plain,
        template: withoutUndefined(args.template),
        git: withoutUndefined(git),
      } as unknown as ImagePipelineConfig);
    }
    super('jobforge:pipeline:ImagePipeline', name, {}, opts);

    // The serialized function holds its code and every value its closure captured: it is a
    // secret input, so the stack state keeps it encrypted (inputs and outputs alike).
    const fn = args.template.fn;
    const templateFn = fn
      ? pulumi.secret(
          pulumi.runtime
            .serializeFunction(fn, { isFactoryFunction: false })
            .then((s) => ({ text: s.text, exportName: s.exportName })),
        )
      : null;

    const template = pulumi.output({
      yaml: args.template.yaml,
      variables: args.template.variables,
      namespace: args.template.namespace,
      fileName: args.template.fileName,
    });
    const git = pulumi.output({
      url: args.git.url,
      branch: args.git.branch,
      path: args.git.path,
      author: args.git.author,
      commitMessage: args.git.commitMessage,
      maxPushAttempts: args.git.maxPushAttempts,
    });
    const config = pulumi
      .all([args.ecr, args.policy, template, git, args.dedup, args.ttlDays])
      .apply(([ecr, policy, t, g, dedup, ttlDays]) =>
        dropUndefined({ ecr, policy, template: t, git: g, dedup, ttlDays }),
      );

    const run = new ImagePipelineRun(
      `${name}-run`,
      { config, gitAuth: pulumi.output(args.git.auth ?? null), templateFn },
      { parent: this },
    );

    this.detected = run.detected;
    this.createdFiles = run.createdFiles;
    this.skipped = run.skipped;
    this.commitSha = run.commitSha;
    this.apiCalls = run.apiCalls;
    this.registerOutputs({
      detected: this.detected,
      createdFiles: this.createdFiles,
      skipped: this.skipped,
      commitSha: this.commitSha,
      apiCalls: this.apiCalls,
    });
  }
}

/** True when `value` holds no Output or Promise anywhere (functions are plain here). */
function isPlain(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isPlain);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isPlain);
  return true;
}

/** A shallow copy without the keys whose value is undefined. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A deep copy without `undefined` values (Pulumi would drop them anyway; diffs stay stable). */
function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
