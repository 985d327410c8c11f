// The example Pulumi program (Pulumi.yaml `main: lib/stacks/program.js`): one ImagePipeline
// configured entirely by the stack's config (`jobforge:imagePipeline` in Pulumi.<stack>.yaml).
// Build with `npm run build`, then `pulumi up`.
import { imagePipelineProgram } from './image-pipeline-config';

const outputs = imagePipelineProgram();

export const detected = outputs.detected;
export const createdFiles = outputs.createdFiles;
export const skipped = outputs.skipped;
export const commitSha = outputs.commitSha;
export const apiCalls = outputs.apiCalls;
