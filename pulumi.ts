// `jobforge/pulumi`: the Pulumi components and their dynamic resources. Re-exports only. Loading
// this entry loads @pulumi/pulumi and @pulumi/aws (optional peer dependencies of the package).
export * from './stacks/kyverno-policy-sync';
export * from './stacks/image-pipeline';
export * from './stacks/image-pipeline-config';
export * from './stacks/ecr-read-role';
