// The package root (`jobforge`): the cdk8s constructs and the pure core, plus the policy sync and
// pipeline functions that do not load Pulumi. Re-exports only. Nothing reachable from here loads
// @pulumi/*, @aws-sdk/* or typescript when required (test/integration/package-entry.test.ts);
// the Pulumi components are `jobforge/pulumi` (pulumi.ts).
export * from './constructs/pod';
export * from './constructs/kubernetes-job';
export * from './constructs/kubernetes-cron-job';
export * from './constructs/daemon-job';
export * from './constructs/daemon-job-crd';
export * from './constructs/daemon-job-controller';
export * from './core/daemon-job/per-node-job';
export * from './core/daemon-job/daemon-job-resource';
export * from './core/daemon-job/reconcile-daemon-job';
export * from './constructs/network-policy';
export * from './core/dns-name';
export * from './core/cron-schedule';
export * from './core/time-zone';
export * from './core/node-inventory';
export * from './core/load-nodes';
export * from './core/quantity';
export * from './core/image-reference';
export * from './core/unique-job-name';
export * from './constructs/unique-job-per-image-policy';
export * from './core/policy-sync/kyverno-policy';
export * from './core/policy-sync/policy-source';
export * from './core/policy-sync/insights-source';
export * from './core/policy-sync/directory-source';
export * from './core/policy-sync/sync-plan';
export * from './core/policy-sync/sync-summary';
export * from './core/policy-sync/sync-logger';
export { LeaseLock, LockHeldError } from './core/io/lease';
export type { LeaseLockOptions } from './core/io/lease';
export { findKyvernoCli, validateWithKyvernoCli } from './core/policy-sync/kyverno-cli';
export type { PolicyValidationIssue } from './core/policy-sync/kyverno-cli';
export * from './core/policy-sync/sync-kyverno-policies';
export {
  POLICY_SYNC_SETTINGS,
  DEFAULT_MAX_RESPONSE_BYTES,
  settingHint,
} from './core/policy-sync/sync-settings';
export * from './constructs/insights-report-cron-job';
export * from './constructs/on-demand-job-runner';
export * from './constructs/kyverno-policy-sync';
export * from './constructs/image-resource-crds';
export * from './constructs/image-resource-controller';
export * from './core/workload-index';
export { listGitFiles } from './core/git-tree';
export type { ListGitFilesOptions } from './core/git-tree';
export * from './core/pipeline/plan';
export * from './core/pipeline/types';
export * from './core/pipeline/validate';
export * from './core/io/ecr';
export * from './core/pipeline/select';
export * from './core/pipeline/render';
export * from './core/git-path';
export * from './core/git-writer';
export * from './core/git-auth';
export { publish, publishAuth, readPublishDir } from './bin/commands/publish';
export type { PublishOptions } from './bin/commands/publish';
