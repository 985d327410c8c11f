import { mergeKubeconfigs } from '../../../core/kubeconfig-merge';

const file = (over: {
  clusters?: string[];
  users?: string[];
  contexts?: string[];
  currentContext?: string;
  tag: string;
}) => ({
  clusters: (over.clusters ?? []).map((name) => ({ name, from: over.tag })),
  users: (over.users ?? []).map((name) => ({ name, from: over.tag })),
  contexts: (over.contexts ?? []).map((name) => ({ name, from: over.tag })),
  currentContext: over.currentContext,
});

test('entries of every file are merged; the first definition of a name wins', () => {
  const merged = mergeKubeconfigs([
    file({ tag: 'a', clusters: ['c1'], users: ['u1'] }),
    file({ tag: 'b', clusters: ['c1', 'c2'], contexts: ['x'], users: ['u1'] }),
  ]);
  expect(merged.clusters).toEqual([
    { name: 'c1', from: 'a' },
    { name: 'c2', from: 'b' },
  ]);
  expect(merged.users).toEqual([{ name: 'u1', from: 'a' }]);
  expect(merged.contexts).toEqual([{ name: 'x', from: 'b' }]);
});

test('the first file that sets current-context decides it', () => {
  expect(
    mergeKubeconfigs([
      file({ tag: 'a' }),
      file({ tag: 'b', currentContext: 'from-b' }),
      file({ tag: 'c', currentContext: 'from-c' }),
    ]).currentContext,
  ).toBe('from-b');
  expect(mergeKubeconfigs([file({ tag: 'a', currentContext: '' })]).currentContext).toBe('');
  expect(mergeKubeconfigs([])).toEqual({ clusters: [], users: [], contexts: [], currentContext: '' });
});
