import { toNodeInfo } from '../../../core/load-nodes';
import {
  NodeInfo,
  matchesNodeSelector,
  matchesNodeSelectorTerms,
  selectNodes,
  toleratesTaint,
  untoleratedTaints,
} from '../../../core/node-inventory';

const node = (
  name: string,
  labels: Record<string, string> = {},
  taints: NodeInfo['taints'] = [],
): NodeInfo => ({
  name,
  labels,
  taints,
});

describe('tolerations against taints', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
  test.each([
    [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }, true],
    [{ key: 'dedicated', operator: 'Equal' as const, value: 'gpu' }, true],
    [{ key: 'dedicated', operator: 'Exists' as const }, true],
    [{ operator: 'Exists' as const }, true],
    [{ key: 'dedicated', value: 'cpu' }, false],
    [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' as const }, false],
    [{ key: 'other', operator: 'Exists' as const }, false],
    [{ value: 'gpu' }, false],
  ])('%j tolerates dedicated=gpu:NoSchedule: %s', (toleration, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });

  test('only NoSchedule and NoExecute taints keep pods off', () => {
    const n = node('n', {}, [
      { key: 'a', effect: 'NoSchedule' },
      { key: 'b', effect: 'NoExecute' },
      { key: 'c', effect: 'PreferNoSchedule' },
    ]);
    expect(untoleratedTaints(n).map((t) => t.key)).toEqual(['a', 'b']);
    expect(untoleratedTaints(n, [{ key: 'a', operator: 'Exists' }]).map((t) => t.key)).toEqual(['b']);
  });
});

describe('label matching', () => {
  test('node selector needs every label with the same value', () => {
    const n = node('n', { os: 'linux', pool: 'a' });
    expect(matchesNodeSelector(n, { os: 'linux' })).toBe(true);
    expect(matchesNodeSelector(n, { os: 'linux', pool: 'b' })).toBe(false);
    expect(matchesNodeSelector(n, { zone: 'x' })).toBe(false);
    expect(matchesNodeSelector(n, {})).toBe(true);
  });

  test('required node affinity terms: ORed terms, ANDed requirements, every operator, matchFields on the name', () => {
    const n = node('n1', { pool: 'a', cores: '8' });
    const t = (expr: object) => [{ matchExpressions: [expr] }] as never;
    expect(matchesNodeSelectorTerms(n, t({ key: 'pool', operator: 'In', values: ['a', 'b'] }))).toBe(true);
    expect(matchesNodeSelectorTerms(n, t({ key: 'pool', operator: 'NotIn', values: ['a'] }))).toBe(false);
    expect(matchesNodeSelectorTerms(n, t({ key: 'zone', operator: 'NotIn', values: ['a'] }))).toBe(true);
    expect(matchesNodeSelectorTerms(n, t({ key: 'pool', operator: 'Exists' }))).toBe(true);
    expect(matchesNodeSelectorTerms(n, t({ key: 'pool', operator: 'DoesNotExist' }))).toBe(false);
    expect(matchesNodeSelectorTerms(n, t({ key: 'cores', operator: 'Gt', values: ['4'] }))).toBe(true);
    expect(matchesNodeSelectorTerms(n, t({ key: 'cores', operator: 'Lt', values: ['4'] }))).toBe(false);
    expect(
      matchesNodeSelectorTerms(n, [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
      ]),
    ).toBe(true);
    expect(
      matchesNodeSelectorTerms(n, [
        { matchExpressions: [{ key: 'pool', operator: 'In', values: ['z'] }] },
        { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] },
      ]),
    ).toBe(true);
    expect(matchesNodeSelectorTerms(n, [{}])).toBe(false);
    expect(matchesNodeSelectorTerms(n, undefined)).toBe(true);
    expect(() => matchesNodeSelectorTerms(n, t({ key: 'pool', operator: 'Like', values: ['a'] }))).toThrow(
      'node selector operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt, got "Like"',
    );
  });

  test('selectNodes combines selector, affinity and taints, in inventory order', () => {
    const nodes = [
      node('c', { os: 'linux' }),
      node('a', { os: 'linux' }, [{ key: 'gpu', effect: 'NoSchedule' }]),
      node('b', { os: 'windows' }),
      node('d', { os: 'linux' }),
    ];
    expect(selectNodes(nodes, { nodeSelector: { os: 'linux' } }).map((n) => n.name)).toEqual(['c', 'd']);
    expect(
      selectNodes(nodes, {
        nodeSelector: { os: 'linux' },
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
      }).map((n) => n.name),
    ).toEqual(['c', 'a', 'd']);
    expect(
      selectNodes(nodes, {
        requiredTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['c'] }] }],
      }).map((n) => n.name),
    ).toEqual(['b', 'd']);
  });
});

describe('toNodeInfo', () => {
  test('keeps name, labels and taints of a core/v1 Node', () => {
    expect(
      toNodeInfo({
        metadata: { name: 'n1', labels: { os: 'linux' } },
        spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
      }),
    ).toEqual({
      name: 'n1',
      labels: { os: 'linux' },
      taints: [{ key: 'k', value: '', effect: 'NoSchedule' }],
    });
  });
  test('a node without a name is refused', () => {
    expect(() => toNodeInfo({ metadata: {} })).toThrow('node has no metadata.name, got {}');
  });
});
