import {
  DEFAULT_OWNERSHIP,
  isOwned,
  parsePolicyDocuments,
  PolicyDocumentError,
  policyDisplayName,
  policyKey,
  refOf,
} from '../../../../core/policy-sync/kyverno-policy';

const opts = { ownership: DEFAULT_OWNERSHIP };
const parse = (yaml: string) => parsePolicyDocuments([{ origin: 'test.yaml', yaml }], opts);

const CP = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
  resourceVersion: "42"
  uid: abc
  labels: { team: platform }
spec:
  rules: []
status:
  ready: true
`;

describe('parsePolicyDocuments', () => {
  test('keeps name, labels, annotations and spec, drops server fields and status, sets the ownership annotation', () => {
    const [p] = parse(CP);
    expect(p).toEqual({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: {
        name: 'require-labels',
        labels: { team: 'platform' },
        annotations: { 'insights.fairwinds.com/owned-by': 'Fairwinds Insights' },
      },
      spec: { rules: [] },
    });
    expect(isOwned(p, DEFAULT_OWNERSHIP)).toBe(true);
  });

  test('reads several documents, skips empty ones, flattens a List, defaults the namespace of a Policy', () => {
    const yaml = `${CP}---\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: kyverno.io/v1\n    kind: Policy\n    metadata: { name: p }\n    spec: {}\n`;
    const ps = parse(yaml);
    expect(
      ps.map((p) =>
        policyKey({ kind: p.kind as 'Policy', name: p.metadata.name, namespace: p.metadata.namespace }),
      ),
    ).toEqual(['ClusterPolicy/require-labels', 'Policy/default/p']);
    expect(policyDisplayName({ kind: 'Policy', name: 'p', namespace: 'default' })).toBe('default/p');
    expect(
      parsePolicyDocuments([{ origin: 'x', yaml }], { ...opts, defaultNamespace: 'kyverno' })[1].metadata
        .namespace,
    ).toBe('kyverno');
  });

  test("Kyverno's CEL kinds: group policies.kyverno.io, cluster-wide and namespaced, named with their kind", () => {
    const yaml = [
      'apiVersion: policies.kyverno.io/v1\nkind: ValidatingPolicy\nmetadata: { name: vp, namespace: ignored }\nspec: { validations: [] }\n',
      'apiVersion: policies.kyverno.io/v1beta1\nkind: NamespacedValidatingPolicy\nmetadata: { name: nvp }\nspec: {}\n',
      'apiVersion: policies.kyverno.io/v1alpha1\nkind: DeletingPolicy\nmetadata: { name: dp }\nspec: {}\n',
    ].join('---\n');
    const ps = parse(yaml);
    expect(ps.map((p) => [p.apiVersion, p.kind, p.metadata.name, p.metadata.namespace])).toEqual([
      ['policies.kyverno.io/v1', 'ValidatingPolicy', 'vp', undefined],
      ['policies.kyverno.io/v1beta1', 'NamespacedValidatingPolicy', 'nvp', 'default'],
      ['policies.kyverno.io/v1alpha1', 'DeletingPolicy', 'dp', undefined],
    ]);
    expect(ps.map((p) => policyDisplayName(refOf(p)))).toEqual([
      'ValidatingPolicy/vp',
      'NamespacedValidatingPolicy/default/nvp',
      'DeletingPolicy/dp',
    ]);
    // A ClusterPolicy and a ValidatingPolicy may share a name: they are different policies.
    const both = parse(
      `${CP}---\napiVersion: policies.kyverno.io/v1\nkind: ValidatingPolicy\nmetadata: { name: require-labels }\nspec: {}\n`,
    );
    expect(both.map((p) => policyKey(refOf(p)))).toEqual([
      'ClusterPolicy/require-labels',
      'ValidatingPolicy/require-labels',
    ]);
  });

  test('an empty source is no policies', () => {
    expect(parse('')).toEqual([]);
    expect(parse('# nothing\n---\n')).toEqual([]);
  });

  test.each([
    [
      'malformed YAML',
      'apiVersion: kyverno.io/v1\nkind: [ClusterPolicy\n',
      /malformed YAML in test.yaml document 1/,
    ],
    ['a duplicate key', 'kind: ClusterPolicy\nkind: Policy\n', /malformed YAML/],
    ['a scalar document', 'just text\n', /test.yaml document 1 is not a Kubernetes object/],
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>\n', /is not a Kubernetes object/],
    [
      'another kind',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n',
      /'kind' must be one of ClusterPolicy, Policy, ValidatingPolicy, .*NamespacedDeletingPolicy, got "ConfigMap"/,
    ],
    [
      'another group',
      'apiVersion: v1\nkind: ClusterPolicy\nmetadata: { name: x }\nspec: {}\n',
      /'apiVersion' of a ClusterPolicy must be one of kyverno.io\/v1, kyverno.io\/v2beta1, got "v1"/,
    ],
    ...[
      'kyverno.io/v1#x',
      'kyverno.io/v1?x=',
      'kyverno.io/v1/x',
      'kyverno.io/v1 ',
      'kyverno.io/v9',
      'policies.kyverno.io/v1',
    ].map((apiVersion) => [
      `apiVersion ${apiVersion}`,
      `apiVersion: ${JSON.stringify(apiVersion)}\nkind: ClusterPolicy\nmetadata: { name: x }\nspec: {}\n`,
      `test.yaml document 1: 'apiVersion' of a ClusterPolicy must be one of kyverno.io/v1, kyverno.io/v2beta1, got ${JSON.stringify(apiVersion)}`,
    ]),
    [
      'a CEL kind with the classic group',
      'apiVersion: kyverno.io/v1\nkind: ValidatingPolicy\nmetadata: { name: x }\nspec: {}\n',
      `'apiVersion' of a ValidatingPolicy must be one of policies.kyverno.io/v1, policies.kyverno.io/v1beta1, policies.kyverno.io/v1alpha1, got "kyverno.io/v1"`,
    ],
    [
      'a namespaced CEL kind with a version only cluster-wide kinds serve',
      'apiVersion: policies.kyverno.io/v1alpha1\nkind: NamespacedValidatingPolicy\nmetadata: { name: x }\nspec: {}\n',
      `'apiVersion' of a NamespacedValidatingPolicy must be one of policies.kyverno.io/v1, policies.kyverno.io/v1beta1, got "policies.kyverno.io/v1alpha1"`,
    ],
    [
      'no name',
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {}\nspec: {}\n',
      /'metadata.name' must be a DNS-1123 subdomain, got undefined/,
    ],
    [
      'an uppercase name',
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: { name: Bad }\nspec: {}\n',
      /got "Bad"/,
    ],
    [
      'no spec',
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: { name: x }\n',
      /ClusterPolicy x\): 'spec' must be an object, got undefined/,
    ],
    [
      'a bad namespace',
      'apiVersion: kyverno.io/v1\nkind: Policy\nmetadata: { name: x, namespace: A_B }\nspec: {}\n',
      /'metadata.namespace' is invalid, got "A_B"/,
    ],
    [
      'a non-string label',
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: { name: x, labels: { a: 1 } }\nspec: {}\n',
      /metadata.labels.a must be a string, got 1/,
    ],
    [
      'a duplicate policy',
      `${CP}---\n${CP}`,
      /test.yaml document 2: duplicate ClusterPolicy\/require-labels, first defined in test.yaml document 1/,
    ],
  ] as [string, string, string | RegExp][])('rejects %s', (_what, yaml, message) => {
    expect(() => parse(yaml)).toThrow(PolicyDocumentError);
    expect(() => parse(yaml)).toThrow(message);
  });

  test('finds duplicates across texts', () => {
    expect(() =>
      parsePolicyDocuments(
        [
          { origin: 'a.yaml', yaml: CP },
          { origin: 'b.yaml', yaml: CP },
        ],
        opts,
      ),
    ).toThrow(
      'b.yaml document 1: duplicate ClusterPolicy/require-labels, first defined in a.yaml document 1',
    );
  });
});
