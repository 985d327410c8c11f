// Where the sync's Lease goes when no namespace is given.
import { defaultLockNamespace } from '../../../../core/policy-sync/sync-kyverno-policies';

const saved = process.env.POD_NAMESPACE;
afterEach(() => {
  if (saved === undefined) delete process.env.POD_NAMESPACE;
  else process.env.POD_NAMESPACE = saved;
});

test('the kubeconfig context namespace, when $POD_NAMESPACE is not set', () => {
  delete process.env.POD_NAMESPACE;
  expect(defaultLockNamespace('team-a')).toBe('team-a');
});

test('$POD_NAMESPACE first (a pod that sets it from the downward API)', () => {
  process.env.POD_NAMESPACE = 'jobforge';
  expect(defaultLockNamespace('team-a')).toBe('jobforge');
});

test('default when neither is set (outside a pod)', () => {
  delete process.env.POD_NAMESPACE;
  expect(defaultLockNamespace(undefined)).toBe('default');
  expect(defaultLockNamespace('')).toBe('default');
});
