// Targeted tests for what mutation testing found unchecked in core/node-inventory.ts: the Gt/Lt
// boundaries of required node affinity (Kubernetes compares the label as an integer, strictly), each
// operator on a missing label, empty term lists, matchFields keys, empty toleration keys and values.
import { matchesNodeSelectorTerms, toleratesTaint, type NodeInfo } from '../../../core/node-inventory';

const node = (labels: Record<string, string>): NodeInfo => ({ name: 'n1', labels });
const term = (operator: string, values?: string[], key = 'cores') => [
  { matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] },
];
const holds = (labels: Record<string, string>, operator: string, values?: string[], key?: string) =>
  matchesNodeSelectorTerms(node(labels), term(operator, values, key));

describe('node affinity Gt and Lt', () => {
  test.each([
    // label, Gt value, Gt holds, Lt holds
    ['8', '7', true, false],
    ['8', '8', false, false],
    ['8', '9', false, true],
    ['0', '-1', true, false],
    ['-3', '-3', false, false],
    ['-3', '-2', false, true],
    ['10', '9', true, false], // compared as integers, not as strings ('10' < '9')
    ['9', '10', false, true],
  ])('label %s against %s: Gt %s, Lt %s', (label, value, gt, lt) => {
    expect(holds({ cores: label }, 'Gt', [value])).toBe(gt);
    expect(holds({ cores: label }, 'Lt', [value])).toBe(lt);
  });

  test.each(['Gt', 'Lt'])('%s never holds without exactly one integer value or without the label', (op) => {
    expect(holds({ cores: '8' }, op, [])).toBe(false);
    expect(holds({ cores: '8' }, op, undefined)).toBe(false);
    expect(holds({ cores: '8' }, op, ['1', '100'])).toBe(false);
    expect(holds({ cores: '8' }, op, ['x'])).toBe(false);
    expect(holds({ cores: 'many' }, op, ['1'])).toBe(false);
    expect(holds({ cores: 'many' }, op, ['100'])).toBe(false);
    expect(holds({}, op, ['1'])).toBe(false);
    expect(holds({}, op, ['100'])).toBe(false);
  });

  test('on matchFields (metadata.name) a non-numeric name never matches Gt or Lt', () => {
    const n = node({});
    for (const operator of ['Gt', 'Lt']) {
      expect(
        matchesNodeSelectorTerms(n, [{ matchFields: [{ key: 'metadata.name', operator, values: ['0'] }] }]),
      ).toBe(false);
    }
  });
});

describe('the other operators, each alone', () => {
  test.each([
    // labels, operator, values, holds
    [{ pool: 'a' }, 'In', ['z'], false],
    [{}, 'In', ['a'], false],
    [{ pool: 'a' }, 'In', ['a'], true],
    [{ pool: 'a' }, 'NotIn', ['a'], false],
    [{ pool: 'a' }, 'NotIn', ['z'], true],
    [{}, 'NotIn', ['a'], true],
    [{ pool: 'a' }, 'Exists', undefined, true],
    [{}, 'Exists', undefined, false],
    [{ pool: '' }, 'Exists', undefined, true],
    [{ pool: 'a' }, 'DoesNotExist', undefined, false],
    [{}, 'DoesNotExist', undefined, true],
  ])('%j %s %j: %s', (labels, operator, values, expected) => {
    expect(
      holds(labels as Record<string, string>, operator as string, values as string[] | undefined, 'pool'),
    ).toBe(expected);
  });

  test('no terms (undefined or []) is no constraint; a term with an empty list matches nothing', () => {
    expect(matchesNodeSelectorTerms(node({}), [])).toBe(true);
    expect(matchesNodeSelectorTerms(node({}), undefined)).toBe(true);
    expect(matchesNodeSelectorTerms(node({}), [{ matchExpressions: [], matchFields: [] }])).toBe(false);
  });

  test('matchFields only knows metadata.name: other fields are absent', () => {
    const n = node({});
    expect(
      matchesNodeSelectorTerms(n, [
        { matchFields: [{ key: 'metadata.namespace', operator: 'In', values: ['n1'] }] },
      ]),
    ).toBe(false);
    expect(
      matchesNodeSelectorTerms(n, [
        { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] },
      ]),
    ).toBe(false);
  });
});

describe('tolerations: empty keys and missing values', () => {
  const taint = { key: 'dedicated', effect: 'NoSchedule' as const };
  test.each([
    [{ key: '', operator: 'Exists' as const }, true],
    [{ key: '', operator: 'Equal' as const }, false],
    [{ key: '' }, false],
    [{ key: 'dedicated' }, true],
    [{ key: 'dedicated', operator: 'Equal' as const, value: '' }, true],
    [{ key: 'dedicated', value: 'x' }, false],
  ])('%j tolerates dedicated:NoSchedule (no value): %s', (toleration, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });
  test('a toleration without a value does not match a taint with one', () => {
    expect(toleratesTaint({ key: 'dedicated' }, { ...taint, value: 'gpu' })).toBe(false);
  });
});
