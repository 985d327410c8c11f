// `jobforge/pulumi`: the Pulumi components and their dynamic resources. Re-exports only. Loading
// this entry loads @pulumi/pulumi and @pulumi/aws (optional peer dependencies of the package).
export * from './stacks/kyverno-policy-sync';
export * from './stacks/image-pipeline';
export * from './stacks/image-pipeline-config';
export * from './stacks/ecr-read-role';
// Pulumi-native versions of the cdk8s constructs: rendered by the same constructs, created with
// @pulumi/kubernetes (an optional peer dependency, loaded when a component is constructed).
export * from './stacks/components/kubernetes-job';
export * from './stacks/components/kubernetes-cron-job';
export * from './stacks/components/daemon-job';
export * from './stacks/components/unique-job-per-image-policy';
export * from './stacks/components/kyverno-policy-sync';
export * from './stacks/components/on-demand-job-runner';
export * from './stacks/components/image-resource-controller';
export * from './stacks/components/input-props';
export type { DeepInput } from './stacks/components/deep-input';
