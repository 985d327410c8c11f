import { findSecretManifests } from '../../../core/secret-manifests';

describe('findSecretManifests', () => {
  test('finds Secrets by document and in Lists, only in .yaml, .yml and .json files', () => {
    expect(
      findSecretManifests([
        {
          path: 'a.k8s.yaml',
          content: 'kind: ConfigMap\n---\nkind: Secret\nmetadata:\n  name: db\ndata:\n  p: eA==\n',
        },
        {
          path: 'b.yml',
          content:
            'kind: SecretList\nitems:\n  - kind: Secret\n    metadata: { name: one }\n  - kind: Secret\n',
        },
        { path: 'c.json', content: Buffer.from('{"kind":"Secret","metadata":{"name":"j\u00e9"}}', 'utf8') },
        { path: 'notes.txt', content: 'kind: Secret\n' },
        { path: 'd.YAML', content: 'kind: SealedSecret\nmetadata:\n  name: ok\n' },
        { path: 'e.yaml', content: '' },
      ]),
    ).toEqual([
      { path: 'a.k8s.yaml', document: 2, name: 'db' },
      { path: 'b.yml', document: 1, name: 'one' },
      { path: 'b.yml', document: 1 },
      { path: 'c.json', document: 1, name: 'jé' },
    ]);
  });

  test('a manifest that is not UTF-8 is still read (byte per character)', () => {
    const latin1 = Buffer.from('# caf\xe9\nkind: Secret\nmetadata:\n  name: x\n', 'latin1');
    expect(findSecretManifests([{ path: 'l.yaml', content: latin1 }])).toEqual([
      { path: 'l.yaml', document: 1, name: 'x' },
    ]);
  });

  test('a manifest that is not valid YAML is refused with its line, never its content', () => {
    const run = () =>
      findSecretManifests([{ path: 'bad.yaml', content: 'kind: Secret\ndata:\n  p: [hunter2-SECRET\n' }]);
    expect(run).toThrow(/^'bad\.yaml' is not valid YAML \(line \d+\), so it cannot be checked for Secrets$/);
    expect(run).not.toThrow('hunter2');
  });
});
