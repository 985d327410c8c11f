import {
  findKyvernoCli,
  kyvernoCliValidates,
  parseKyvernoApplyDiagnostics,
} from '../../../../core/policy-sync/kyverno-cli';

// What `kyverno apply` 1.19 prints for rejected policies (captured from the real CLI).
const OUTPUT = `
Applying 4 policy rule(s) to 1 resource(s)...
----------------------------------------------------------------------
Policies Skipped:
1. bad-two: spec.rules[0]: Invalid value: {"name":"r"}: No operation defined in the rule 'r'.(supported operations: mutate,validate,generate,verifyImages)
2. bad-policy: path: spec.rules[0].validate..: only one of pattern, anyPattern, deny, foreach, cel can be specified
----------------------------------------------------------------------
----------------------------------------------------------------------
Invalid Policies:
1. loop
----------------------------------------------------------------------
policy require-labels -> resource default/Pod/x failed:
1 - check-team validation error: label team required. rule check-team failed at path /metadata/labels/

pass: 0, fail: 1, warn: 0, error: 2, skip: 0
`;

test('parses the skipped and invalid policies with their reasons, ignoring resource results', () => {
  expect(parseKyvernoApplyDiagnostics(OUTPUT)).toEqual([
    {
      name: 'bad-two',
      reason: `spec.rules[0]: Invalid value: {"name":"r"}: No operation defined in the rule 'r'.(supported operations: mutate,validate,generate,verifyImages)`,
    },
    {
      name: 'bad-policy',
      reason:
        'path: spec.rules[0].validate..: only one of pattern, anyPattern, deny, foreach, cel can be specified',
    },
    { name: 'loop', reason: 'rejected by the Kyverno CLI' },
  ]);
  expect(parseKyvernoApplyDiagnostics('pass: 1, fail: 0, warn: 0, error: 0, skip: 0\n')).toEqual([]);
});

test('findKyvernoCli looks for an executable kyverno on PATH', () => {
  expect(findKyvernoCli('/nonexistent:/also-not')).toBeUndefined();
  expect(findKyvernoCli('')).toBeUndefined();
});

test('the kinds the Kyverno CLI validates: all but NamespacedGeneratingPolicy (its 1.19.1 CLI panics on it)', () => {
  expect(kyvernoCliValidates('ClusterPolicy')).toBe(true);
  expect(kyvernoCliValidates('ValidatingPolicy')).toBe(true);
  expect(kyvernoCliValidates('GeneratingPolicy')).toBe(true);
  expect(kyvernoCliValidates('NamespacedGeneratingPolicy')).toBe(false);
});
