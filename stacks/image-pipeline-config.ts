import * as pulumi from '@pulumi/pulumi';
import type {
  DedupConfig,
  EcrConfig,
  GitAuthor,
  SelectionPolicy,
  TemplateValue,
} from '../core/pipeline/types';
import { GitAuthSource, ImagePipeline, ImagePipelineArgs } from './image-pipeline';

/**
 * The ImagePipeline configuration as it is written in `Pulumi.<stack>.yaml` under
 * `jobforge:imagePipeline`: the component's arguments as plain data. The template is YAML (a
 * function cannot live in stack config); Git credentials are named, never given.
 */
export interface ImagePipelineStackConfig {
  readonly ecr: EcrConfig;
  readonly policy: SelectionPolicy;
  readonly template: {
    readonly yaml: string;
    readonly variables?: Record<string, TemplateValue>;
    readonly namespace?: string;
    readonly fileName?: string;
  };
  readonly git: {
    readonly url: string;
    readonly branch?: string;
    readonly path?: string;
    readonly auth?: GitAuthSource;
    readonly author?: GitAuthor;
    readonly commitMessage?: string;
    readonly maxPushAttempts?: number;
  };
  readonly dedup?: DedupConfig;
  readonly ttlDays?: number;
}

/** The key the example program reads, in the project's namespace (`jobforge:imagePipeline`). */
export const IMAGE_PIPELINE_CONFIG_KEY = 'imagePipeline';

/**
 * Reads {@link ImagePipelineStackConfig} from the stack's Pulumi config and turns it into
 * {@link ImagePipelineArgs}. Throws naming the key and the field when the shape is wrong; the
 * values themselves are validated by the component and its provider's `check`.
 */
export function imagePipelineArgsFromConfig(
  config: pulumi.Config = new pulumi.Config(),
  key: string = IMAGE_PIPELINE_CONFIG_KEY,
): ImagePipelineArgs {
  const where = `${config.name}:${key}`;
  const value = config.requireObject<ImagePipelineStackConfig>(key);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`'${where}' must be an object, got ${JSON.stringify(value)}`);
  }
  for (const field of ['ecr', 'policy', 'template', 'git'] as const) {
    const v = value[field];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new Error(`'${where}.${field}' must be an object, got ${JSON.stringify(v)}`);
    }
  }
  if (typeof value.template.yaml !== 'string') {
    throw new Error(
      `'${where}.template.yaml' must be a YAML template string (stack config cannot hold a function), got ${JSON.stringify(value.template.yaml)}`,
    );
  }
  return {
    ecr: value.ecr,
    policy: value.policy,
    template: value.template,
    git: value.git,
    ...(value.dedup !== undefined ? { dedup: value.dedup } : {}),
    ...(value.ttlDays !== undefined ? { ttlDays: value.ttlDays } : {}),
  };
}

/** What the example program exports as stack outputs. */
export interface ImagePipelineProgramOutputs {
  readonly detected: ImagePipeline['detected'];
  readonly createdFiles: ImagePipeline['createdFiles'];
  readonly skipped: ImagePipeline['skipped'];
  readonly commitSha: ImagePipeline['commitSha'];
  readonly apiCalls: ImagePipeline['apiCalls'];
}

/** The example program: one ImagePipeline from stack config alone. */
export function imagePipelineProgram(
  name = 'image-pipeline',
  config?: pulumi.Config,
): ImagePipelineProgramOutputs {
  const pipeline = new ImagePipeline(name, imagePipelineArgsFromConfig(config));
  return {
    detected: pipeline.detected,
    createdFiles: pipeline.createdFiles,
    skipped: pipeline.skipped,
    commitSha: pipeline.commitSha,
    apiCalls: pipeline.apiCalls,
  };
}
