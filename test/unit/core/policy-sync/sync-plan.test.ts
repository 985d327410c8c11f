import { DEFAULT_OWNERSHIP, KyvernoPolicyObject } from '../../../../core/policy-sync/kyverno-policy';
import { diffValues, isEmptyPlan, planSync, policyChanges } from '../../../../core/policy-sync/sync-plan';

const OWNED = { [DEFAULT_OWNERSHIP.annotationKey]: DEFAULT_OWNERSHIP.annotationValue };

function policy(
  name: string,
  spec: Record<string, unknown>,
  opts: {
    kind?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  } = {},
): KyvernoPolicyObject {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: opts.kind ?? 'ClusterPolicy',
    metadata: {
      name,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      annotations: opts.annotations ?? OWNED,
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    spec,
  };
}

const SPEC = { background: true, rules: [{ name: 'r', validate: { message: 'm', pattern: { a: 1 } } }] };

describe('planSync', () => {
  test('creates absent, updates changed, keeps unchanged and removes owned policies no longer expected', () => {
    const plan = planSync(
      [
        { object: policy('new', SPEC) },
        { object: policy('changed', { ...SPEC, background: false }) },
        { object: policy('same', SPEC) },
      ],
      [policy('changed', SPEC), policy('same', SPEC), policy('gone', SPEC)],
      DEFAULT_OWNERSHIP,
    );
    expect(plan.create.map((c) => c.ref.name)).toEqual(['new']);
    expect(plan.update.map((u) => [u.ref.name, u.changes])).toEqual([['changed', ['spec.background']]]);
    expect(plan.unchanged.map((r) => r.name)).toEqual(['same']);
    expect(plan.remove.map((r) => r.ref.name)).toEqual(['gone']);
    expect(plan.conflicts).toEqual([]);
    expect(isEmptyPlan(plan)).toBe(false);
  });

  test('never touches unowned policies and reports a same-name unowned object as a conflict', () => {
    const unowned = [
      policy('team-policy', SPEC, { annotations: {} }),
      policy('taken', SPEC, { annotations: { [DEFAULT_OWNERSHIP.annotationKey]: 'someone else' } }),
    ];
    const plan = planSync(
      [{ object: policy('taken', { ...SPEC, background: false }) }],
      unowned,
      DEFAULT_OWNERSHIP,
    );
    expect(plan.remove).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.conflicts).toHaveLength(1);
    expect(plan.conflicts[0].ref).toEqual({ kind: 'ClusterPolicy', name: 'taken' });
    expect(plan.conflicts[0].reason).toContain('"someone else"');
    expect(plan.conflicts[0].reason).toContain('not owned');
  });

  test('matches by kind and namespace as well as name', () => {
    const plan = planSync(
      [{ object: policy('p', SPEC, { kind: 'Policy', namespace: 'team-a' }) }],
      [policy('p', SPEC), policy('p', SPEC, { kind: 'Policy', namespace: 'team-b' })],
      DEFAULT_OWNERSHIP,
    );
    expect(plan.create.map((c) => c.ref)).toEqual([{ kind: 'Policy', name: 'p', namespace: 'team-a' }]);
    expect(plan.remove.map((r) => r.ref)).toEqual([
      { kind: 'ClusterPolicy', name: 'p' },
      { kind: 'Policy', name: 'p', namespace: 'team-b' },
    ]);
  });

  test('compares specs semantically: key order and nulls do not matter, array order does', () => {
    const reordered = {
      rules: [{ validate: { pattern: { a: 1 }, message: 'm' }, name: 'r' }],
      background: true,
      x: null,
    };
    expect(
      planSync([{ object: policy('p', reordered) }], [policy('p', SPEC)], DEFAULT_OWNERSHIP).unchanged,
    ).toHaveLength(1);
    const swapped = { rules: [{ name: 'b' }, { name: 'a' }] };
    const plan = planSync(
      [{ object: policy('p', swapped) }],
      [policy('p', { rules: [{ name: 'a' }, { name: 'b' }] })],
      DEFAULT_OWNERSHIP,
    );
    expect(plan.update[0].changes).toEqual(['spec.rules[0].name', 'spec.rules[1].name']);
  });

  test('compares the server-normalized spec when given, so server defaults are not changes', () => {
    const current = policy('p', { ...SPEC, admission: true, emitWarning: false });
    const withDefaults = {
      object: policy('p', SPEC),
      normalizedSpec: { ...SPEC, admission: true, emitWarning: false },
    };
    expect(planSync([withDefaults], [current], DEFAULT_OWNERSHIP).unchanged).toHaveLength(1);
    expect(policyChanges({ object: policy('p', SPEC) }, current)).toEqual([
      'spec.admission',
      'spec.emitWarning',
    ]);
  });

  test('a changed or missing expected label or annotation is an update; extra ones on the cluster are not', () => {
    const desired = policy('p', SPEC, { labels: { team: 'a' }, annotations: { ...OWNED, note: 'x' } });
    const extra = policy('p', SPEC, {
      labels: { team: 'a', other: 'y' },
      annotations: { ...OWNED, note: 'x', z: '1' },
    });
    expect(planSync([{ object: desired }], [extra], DEFAULT_OWNERSHIP).unchanged).toHaveLength(1);
    const stale = policy('p', SPEC, { labels: { team: 'b' } });
    expect(planSync([{ object: desired }], [stale], DEFAULT_OWNERSHIP).update[0].changes).toEqual([
      'metadata.labels.team',
      'metadata.annotations.note',
    ]);
  });

  test('uses a configured ownership annotation', () => {
    const mine = { annotationKey: 'example.com/managed', annotationValue: 'jobforge' };
    const cluster = [
      policy('default-owner', SPEC),
      policy('mine', SPEC, { annotations: { 'example.com/managed': 'jobforge' } }),
    ];
    const plan = planSync([], cluster, mine);
    expect(plan.remove.map((r) => r.ref.name)).toEqual(['mine']);
  });

  test('an empty plan writes nothing', () => {
    const plan = planSync([{ object: policy('a', SPEC) }], [policy('a', SPEC)], DEFAULT_OWNERSHIP);
    expect(isEmptyPlan(plan)).toBe(true);
  });

  test('sorts every list by kind, namespace and name', () => {
    const plan = planSync(
      ['c', 'a', 'b'].map((n) => ({ object: policy(n, SPEC) })),
      [],
      DEFAULT_OWNERSHIP,
    );
    expect(plan.create.map((c) => c.ref.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('diffValues', () => {
  test.each([
    [{ a: 1 }, { a: 1 }, []],
    [{ a: 1 }, { a: '1' }, ['$.a']],
    [{ a: [1, 2] }, { a: [1, 2, 3] }, ['$.a']],
    [{ a: { b: true } }, { a: {} }, ['$.a.b']],
    [{ a: null }, {}, []],
    ['x', 'x', []],
  ])('%j vs %j', (a, b, want) => {
    const out: string[] = [];
    diffValues(a, b, '$', out);
    expect(out).toEqual(want);
  });
});
