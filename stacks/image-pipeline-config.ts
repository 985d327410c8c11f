import * as pulumi from '@pulumi/pulumi';
import { parseWithSchema, pipelineSchema } from '../core/pipeline/schema';
import type { ImagePipelineStackConfig } from '../core/pipeline/schema';
import { ImagePipeline, ImagePipelineArgs } from './image-pipeline';

/**
 * The ImagePipeline configuration as it is written in `Pulumi.<stack>.yaml` under
 * `jobforge:imagePipeline` (and read by `jobforge pipeline-plan`): the component's arguments as
 * plain data, derived from the one pipeline schema (core/pipeline/schema.ts). The template is
 * YAML (a function cannot live in stack config); Git credentials are named, never given.
 */
export type { ImagePipelineStackConfig };

/** The key the example program reads, in the project's namespace (`jobforge:imagePipeline`). */
export const IMAGE_PIPELINE_CONFIG_KEY = 'imagePipeline';

/**
 * Reads {@link ImagePipelineStackConfig} from the stack's Pulumi config and turns it into
 * {@link ImagePipelineArgs}. Throws naming the key and the field when the schema refuses it
 * (`'jobforge:imagePipeline.ecr.maxRepositories' must be an integer from 1 to 200, got 500`).
 */
export function imagePipelineArgsFromConfig(
  config: pulumi.Config = new pulumi.Config(),
  key: string = IMAGE_PIPELINE_CONFIG_KEY,
): ImagePipelineArgs {
  const value = config.requireObject<ImagePipelineStackConfig>(key);
  // The shape, types, limits and enums are checked by the schema here, naming the key; the
  // values (regexes, ranges, globs, templates, URLs) by the component and its provider's `check`.
  parseWithSchema(pipelineSchema().stackConfig, value, `${config.name}:${key}`);
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
