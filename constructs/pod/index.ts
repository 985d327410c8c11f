// The one container / pod / job model every jobforge construct renders through. Re-exports only.
export { checkInteger } from '../../core/k8s/field-checks';
export * from './container';
export * from './env';
export * from './job-spec';
export * from './naming';
export * from './pod-failure-policy';
export * from './pod-spec';
export * from './resources';
export * from './security-context';
export * from './tolerations';
export * from './validate-workload';
export * from './volumes';
export * from './workload-props';
export * from './workload-support';
export * from './workload-pod';
export * from './pod-workload';
export * from './controller-pod';
