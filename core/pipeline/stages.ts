import type { PipelineStages } from './plan';
import { compilePolicy, selectImages } from './select';
import { compileTemplate, CompiledTemplate } from './render';
import { validatePipelineConfig } from './validate';
import type { DetectedImage, SelectionPolicy, TemplateConfig } from './types';

/**
 * The real pure stages of the pipeline (validate → select → render), for planPipeline; a
 * compiled template is reused for every image of a run.
 */
export function pipelineStages(): PipelineStages {
  const compiled = new WeakMap<TemplateConfig, CompiledTemplate>();
  return {
    validate: validatePipelineConfig,
    select: selectImages,
    render(template: TemplateConfig, image: DetectedImage) {
      let c = compiled.get(template);
      if (!c) compiled.set(template, (c = compileTemplate(template)));
      return c.render(image);
    },
  };
}

/** The tag prefix of a running workload's tag, as `policy` extracts it (for `prefix` dedup). */
export function tagPrefixOfPolicy(policy: SelectionPolicy): (tag: string) => string | undefined {
  const compiled = compilePolicy(policy);
  return (tag) => compiled.prefixOf(tag);
}
