import * as YAML from 'yaml';
import { compileTemplate, renderManifest, renderManifests } from '../../../../core/image-pipeline/template';
import { toDetectedImage } from '../../../../core/image-pipeline/tag-selection';
import type { DetectedImage, TemplateConfig } from '../../../../core/image-pipeline/types';
import { checkRelativePath } from '../../../../core/git-path';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
function image(tag: string, repository = 'team-a/api', tagPrefix?: string): DetectedImage {
  return toDetectedImage(
    { repository, registry: REGISTRY, tag, digest: DIGEST, pushedAt: '2026-01-01T00:00:00.000Z' },
    tagPrefix,
  );
}

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .ServiceName }}-{{ .ImageTag | replace "." "-" }}
  namespace: {{ .Namespace | default "default" }}
  labels:
    team: {{ .team }}
    prefix: "{{ .TagPrefix | default "none" }}"
    short: {{ .ImageName | upper | trunc 2 }}
  annotations:
    jobforge.io/digest: {{ .ImageDigest }}
    jobforge.io/repository: {{ .ImageRepository }}
spec:
  template:
    spec:
      containers:
        - name: {{ .ImageName | lower }}
          image: {{ .FullImageName }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .ServiceName }}
`;

describe('YAML templates', () => {
  const template: TemplateConfig = { yaml: DEPLOYMENT, variables: { team: 'platform' } };

  test('renders every placeholder and pipe inside the parsed documents', () => {
    const m = renderManifest(template, image('v1.2.3', 'team-a/api', 'v1'));
    expect(m.path).toBe('team-a/api/v1.2.3.yaml');
    const [deployment, service] = YAML.parseAllDocuments(m.content).map((d) => d.toJS());
    expect(deployment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'api-v1-2-3',
        namespace: 'default',
        labels: { team: 'platform', prefix: 'v1', short: 'AP' },
        annotations: { 'jobforge.io/digest': DIGEST, 'jobforge.io/repository': 'team-a/api' },
      },
      spec: { template: { spec: { containers: [{ name: 'api', image: `${REGISTRY}/team-a/api:v1.2.3` }] } } },
    });
    expect(service).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' } });
    expect(m.objects).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-v1-2-3', namespace: 'default' },
      { apiVersion: 'v1', kind: 'Service', name: 'api' },
    ]);
  });

  test('namespace from the config; empty tag prefix takes the default', () => {
    const m = renderManifest({ ...template, namespace: 'apps' }, image('1.0.0'));
    const doc = YAML.parse(m.content.split('---\n')[0]);
    expect(doc.metadata.namespace).toBe('apps');
    expect(doc.metadata.labels.prefix).toBe('none');
  });

  test.each([
    ['a newline and a kind', 'v1\nkind: Secret\n---\napiVersion: v1'],
    ['template braces', '{{ .Namespace }}'],
    ['YAML flow syntax', '{a: b}, [c]'],
    ['a document marker', '---'],
    ['a comment', '# x'],
  ])('a variable containing %s stays one string value', (_what, evil) => {
    const m = renderManifest(
      {
        yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  team: {{ .team }}\n',
        variables: { team: evil },
      },
      image('v1'),
    );
    const docs = YAML.parseAllDocuments(m.content);
    expect(docs).toHaveLength(1);
    expect(docs[0].toJS()).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { team: evil },
    });
  });

  test('a tag that looks like YAML does not change the structure', () => {
    const evilImage = { ...image('v1'), tag: 'v1\nkind: Secret', fullImageName: 'x:v1\nkind: Secret' };
    const m = compileTemplate({
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  image: {{ .FullImageName }}\n',
      fileName: 'p.yaml',
    }).render(evilImage);
    expect(YAML.parse(m.content)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { image: 'x:v1\nkind: Secret' },
    });
  });

  test('a value that breaks metadata.name is an error, not an object', () => {
    expect(() =>
      renderManifest(
        { yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .x }}\n', variables: { x: 'Bad_Name' } },
        image('v1'),
      ),
    ).toThrow(
      "'template' for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/api:v1, object 1, (Pod) 'metadata.name' must be a DNS-1123 name (lowercase alphanumerics, '-' and '.', at most 253 characters), got \"Bad_Name\"",
    );
  });

  test.each([
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Nope }}\n',
      '\'template.yaml\': unknown placeholder ".Nope"',
    ],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .ImageTag | shout }}\n',
      '\'template.yaml\': unknown function "shout"',
    ],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .ImageTag | trunc "a" }}\n',
      "'trunc' takes one integer argument",
    ],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .ImageTag | replace "." }}\n',
      "'replace' takes 2 quoted string argument(s)",
    ],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ ImageTag }}\n',
      'expected a placeholder like {{ .ImageTag }}',
    ],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .ImageTag \n',
      "'template.yaml': unterminated placeholder",
    ],
    ['a: [\n', "'template.yaml' document 1 is not valid YAML"],
    ['', "'template.yaml' must be a non-empty YAML string"],
  ])('bad template %j is rejected at compile time', (yaml, message) => {
    expect(() => compileTemplate({ yaml })).toThrow(message);
  });

  test.each([
    ['kind: Pod\nmetadata:\n  name: x\n', "must have a string 'apiVersion', got undefined"],
    ['apiVersion: v1\nmetadata:\n  name: x\n', "must have a 'kind' like Deployment, got undefined"],
    ['apiVersion: v1\nkind: Pod\n', "'metadata.name' must be a DNS-1123 name"],
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  namespace: Bad\n',
      '\'metadata.namespace\' must be a DNS-1123 label, got "Bad"',
    ],
    ['- a\n- b\n', 'must be a mapping (a Kubernetes object)'],
    ['---\n', 'rendered no objects'],
  ])('rendered object %j is rejected', (yaml, message) => {
    expect(() => renderManifest({ yaml }, image('v1'))).toThrow(message);
  });

  test('variables are checked', () => {
    expect(() => compileTemplate({ yaml: 'a: b', variables: { ImageTag: 'x' } })).toThrow(
      '\'template.variables\' must not redefine the built-in placeholder, got "ImageTag"',
    );
    expect(() => compileTemplate({ yaml: 'a: b', variables: { 'my-var': 'x' } })).toThrow(
      '\'template.variables\' keys must be identifiers ([A-Za-z_][A-Za-z0-9_]*), got "my-var"',
    );
  });
});

describe('function templates', () => {
  const fn: TemplateConfig['fn'] = (img, vars) => [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${img.serviceName}-scan`, namespace: vars.ns },
      spec: { image: img.fullImageName },
    },
  ];
  test('renders typed objects', () => {
    const m = renderManifest(
      { fn, variables: { ns: 'scans' }, fileName: 'jobs/{{ .ServiceName }}-{{ .ImageTag }}.yaml' },
      image('1.0.0'),
    );
    expect(m.path).toBe('jobs/api-1.0.0.yaml');
    expect(YAML.parse(m.content)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'api-scan', namespace: 'scans' },
      spec: { image: `${REGISTRY}/team-a/api:1.0.0` },
    });
  });
  test('an invalid object from a function is rejected', () => {
    expect(() =>
      renderManifest(
        { fn: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'UPPER' } }) },
        image('1'),
      ),
    ).toThrow("'metadata.name' must be a DNS-1123 name");
  });
  test('exactly one of fn and yaml', () => {
    expect(() => compileTemplate({})).toThrow("'template' must set exactly one of fn and yaml, got neither");
    expect(() => compileTemplate({ fn, yaml: 'a: b' })).toThrow(
      "'template' must set exactly one of fn and yaml, got both",
    );
  });
});

describe('file names and paths', () => {
  test('two images rendering the same file is an error', () => {
    expect(() =>
      renderManifests(
        {
          fn: (i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: i.serviceName } }),
          fileName: '{{ .ImageName }}.yaml',
        },
        [image('1', 'team-a/api'), image('1', 'team-b/api')],
      ),
    ).toThrow('\'template.fileName\' gives the same file "api.yaml"');
  });
  test('a file name that escapes is rejected', () => {
    expect(() =>
      renderManifest(
        { yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n', fileName: '../{{ .ImageTag }}.yaml' },
        image('1'),
      ),
    ).toThrow('must not contain \'..\', got "../1.yaml"');
  });
  test.each([
    ['/etc/passwd', 'must be a relative path'],
    ['a/../b', "must not contain '..'"],
    ['..', "must not contain '..'"],
    ['a//b', "must not contain empty or '.' segments"],
    ['./a', "must not contain empty or '.' segments"],
    ['a\\b', "must use '/' separators"],
    ['.git/config', "must not touch '.git'"],
    ['C:/x', 'must be a relative path'],
    ['a\nb', 'must not contain control characters'],
    ['', 'must not be empty'],
  ])('checkRelativePath rejects %j', (path, message) => {
    expect(() => checkRelativePath(path, "'path'")).toThrow(`'path' ${message}`);
  });
  test('checkRelativePath accepts ordinary paths', () => {
    expect(checkRelativePath('apps/team-a/api.yaml', "'path'")).toBe('apps/team-a/api.yaml');
    expect(checkRelativePath('..a/b..', "'path'")).toBe('..a/b..');
  });
});
