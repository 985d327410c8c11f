import * as YAML from 'yaml';
import {
  compileTemplate,
  MAX_TEMPLATE_EXPANSION,
  renderManifest,
  renderManifests,
} from '../../../../core/pipeline/render';
import { validatePipelineConfig } from '../../../../core/pipeline/validate';
import { toDetectedImage } from '../../../../core/pipeline/select';
import type { DetectedImage, TemplateConfig } from '../../../../core/pipeline/types';
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

// Docker tags (and variables) that a YAML 1.1 reader, or Kubernetes' go-yaml decoder, would read
// as booleans, nulls or numbers. Every one must come back as the same string.
const YAML11_AMBIGUOUS = [
  // booleans, every spelling of YAML 1.1
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF'],
  // null
  ...['null', 'Null', 'NULL', '~', ''],
  // numbers: underscores, bases, leading zeros, exponents, inf/nan, sexagesimal
  ...['1_000', '1__0', '0x1F', '0X1F', '0x_1F', '0o17', '0O17', '0b101', '0B101', '012', '09', '-012'],
  ...['1e3', '1E3', '1.5e-3', '1.', '.5', '+1', '-1', '3', '1.10', '1_0.5'],
  ...['.inf', '.Inf', '-.inf', '+.INF', '.nan', '.NaN', '.NAN', '1:20', '190:20:30', '1:20.5'],
  // a timestamp and the merge key
  ...['2026-01-15', '2026-01-15T10:00:00Z', '<<'],
];
const NOT_AMBIGUOUS = ['v1.0.0', 'latest', 'on-prem', 'yes-please', '1.2.3', 'y1', 'n0', '0xZZ', '_1'];

describe('YAML 1.1 types: every rendered string stays a string', () => {
  const yaml = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: tags',
    '  labels:',
    '    app.kubernetes.io/version: {{ .ImageTag }}',
    'data:',
    '  tag: {{ .ImageTag }}',
    '  value: {{ .value }}',
    '  {{ .value }}: key',
    '',
  ].join('\n');

  test.each([...YAML11_AMBIGUOUS, ...NOT_AMBIGUOUS])('%j is read back as the same string', (value) => {
    const tag = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(value) ? value : 'v1';
    const m = renderManifest({ yaml, variables: { value }, fileName: 'x.yaml' }, image(tag));
    // a YAML 1.1 reader and a YAML 1.2 reader see the same strings
    for (const version of ['1.1', '1.2'] as const) {
      const read = YAML.parse(m.content, { version }) as {
        metadata: { labels: Record<string, unknown> };
        data: Record<string, unknown>;
      };
      expect(read.metadata.labels['app.kubernetes.io/version']).toBe(tag);
      expect(read.data.tag).toBe(tag);
      expect(read.data.value).toBe(value);
      expect(Object.keys(read.data)).toContain(value);
      expect(read.data[value]).toBe('key');
    }
  });

  test.each(YAML11_AMBIGUOUS)(
    '%j is written quoted (a go-yaml reader would take it for another type)',
    (value) => {
      const m = renderManifest(
        {
          yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: {{ .v }}\n',
          variables: { v: value },
        },
        image('v1'),
      );
      expect(m.content).toContain(`v: ${JSON.stringify(value)}\n`);
    },
  );

  test('numbers and booleans of a function template stay plain', () => {
    const m = renderManifest(
      {
        fn: (img) => ({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: img.serviceName, labels: { version: img.tag } },
          spec: { replicas: 3, paused: false, template: { metadata: { labels: { on: 'yes' } } } },
        }),
      },
      image('on'),
    );
    expect(m.content).toContain('  replicas: 3\n  paused: false\n');
    expect(m.content).toContain('version: "on"');
    expect(m.content).toContain('"on": "yes"');
  });
});

describe('typed placeholders', () => {
  const yaml = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .ServiceName }}',
    '  annotations:',
    '    replicas: "{{ .replicas }}"',
    '    paused: paused={{ .paused }}',
    '    tag: {{ .ImageTag }}',
    'spec:',
    '  replicas: {{ .replicas }}',
    '  paused: {{ .paused }}',
    '  minReadySeconds: {{ .minReady | default "5" }}',
    '  revisionHistoryLimit: {{ .limit }}',
    '',
  ].join('\n');

  test('an unquoted scalar that is exactly one number or boolean variable keeps its type', () => {
    const m = renderManifest(
      { yaml, variables: { replicas: 3, paused: true, minReady: 0, limit: '10' } },
      image('1.10'),
    );
    const read = YAML.parse(m.content, { version: '1.1' }) as Record<string, Record<string, unknown>>;
    expect(read.spec).toEqual({
      replicas: 3,
      paused: true,
      // with a pipe, or from a string variable, it is a string (as the template wrote it)
      minReadySeconds: '0',
      revisionHistoryLimit: '10',
    });
    // quoted, or part of a longer string: a string; built-in placeholders: always strings
    expect(read.metadata.annotations).toEqual({ replicas: '3', paused: 'paused=true', tag: '1.10' });
  });

  test('in a key, a typed variable gives a string key', () => {
    const m = renderManifest(
      {
        yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  {{ .n }}: x\n',
        variables: { n: 7 },
      },
      image('v1'),
    );
    expect(YAML.parse(m.content, { version: '1.1' }).data).toEqual({ '7': 'x' });
  });

  test('a function template gets the variables as strings', () => {
    let seen: unknown;
    renderManifest(
      {
        fn: (img, vars) => {
          seen = vars;
          return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: img.serviceName } };
        },
        variables: { replicas: 3, on: true, ns: 'apps' },
      },
      image('v1'),
    );
    expect(seen).toEqual({ replicas: '3', on: 'true', ns: 'apps' });
  });

  test.each([
    [{ x: null }, "'template.variables.x' must be a string, a finite number or a boolean, got null"],
    [{ x: Infinity }, "'template.variables.x' must be a string, a finite number or a boolean, got Infinity"],
    [
      { x: undefined },
      "'template.variables.x' must be a string, a finite number or a boolean, got undefined",
    ],
    [{ x: { a: 1 } }, '\'template.variables.x\' must be a string, a finite number or a boolean, got {"a":1}'],
  ])('variables %j are rejected', (variables, message) => {
    expect(() => compileTemplate({ yaml: 'a: b', variables: variables as never })).toThrow(message);
  });
});

describe('seed placeholders: the Git target', () => {
  const application = [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Application',
    'metadata:',
    '  name: {{ .ServiceName }}',
    '  namespace: argocd',
    'spec:',
    '  source:',
    '    repoURL: {{ .GitRepoURL }}',
    '    targetRevision: {{ .GitBranch }}',
    '    path: {{ .GitPath }}/{{ .ImageRepository }}',
    '',
  ].join('\n');

  test('{{ .GitRepoURL }}, {{ .GitBranch }} and {{ .GitPath }} come from the validated Git target', () => {
    const config = validatePipelineConfig({
      ecr: { region: 'eu-west-1', repositoryPattern: 'team-a/*' },
      policy: { semver: { range: '*' } },
      template: { yaml: application },
      git: { url: 'https://git.example.com/org/gitops.git', branch: 'release', path: 'clusters/dev' },
    });
    const [m] = renderManifests(config.template, [image('1.0.0')]);
    expect(YAML.parse(m.content).spec).toEqual({
      source: {
        repoURL: 'https://git.example.com/org/gitops.git',
        targetRevision: 'release',
        path: 'clusters/dev/team-a/api',
      },
    });
  });

  test('they are known placeholders (the template compiles without a Git target)', () => {
    expect(() => compileTemplate({ yaml: application })).not.toThrow();
  });
});

describe('template safety', () => {
  const HEAD = 'apiVersion: v1\nmetadata:\n  name: a\n';
  test.each([
    // a committed file without `kind`, which validation would have seen through the prototype
    [
      `${HEAD}__proto__:\n  kind: Secret\n`,
      '\'template.yaml\' document 1 has the key "__proto__" at __proto__',
    ],
    [
      `kind: ConfigMap\n${HEAD}data:\n  constructor: x\n`,
      '\'template.yaml\' document 1 has the key "constructor" at data.constructor',
    ],
    [
      `kind: ConfigMap\n${HEAD}data:\n  - prototype: x\n`,
      '\'template.yaml\' document 1 has the key "prototype" at data[0].prototype',
    ],
  ])('the forbidden key in %j is refused', (yaml, message) => {
    expect(() => compileTemplate({ yaml })).toThrow(message);
    expect(() => compileTemplate({ yaml })).toThrow(
      '(keys __proto__, constructor and prototype are refused)',
    );
  });

  test('a variable rendering a forbidden key is refused', () => {
    expect(() =>
      renderManifest(
        { yaml: `kind: ConfigMap\n${HEAD}data:\n  {{ .k }}: x\n`, variables: { k: '__proto__' } },
        image('v1'),
      ),
    ).toThrow('\'template.yaml\' renders the key "__proto__" at data.__proto__');
  });

  test('a function cannot pass validation through a prototype: what is written is validated', () => {
    const inherited = { kind: 'Secret' };
    const object = Object.assign(Object.create(inherited) as object, {
      apiVersion: 'v1',
      metadata: { name: 'a' },
    });
    expect(() => renderManifest({ fn: () => object as never }, image('v1'))).toThrow(
      "must have a 'kind' like Deployment, got undefined",
    );
    const ownProto = JSON.parse(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"__proto__":{"x":1}}',
    ) as never;
    expect(() => renderManifest({ fn: () => ownProto }, image('v1'))).toThrow(
      '\'template\' for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/api:v1, object 1, has the key "__proto__"',
    );
  });

  test('aliases may expand the template at most MAX_TEMPLATE_EXPANSION times', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `  k${i}: ${'v'.repeat(20)}`).join('\n');
    const refs = 'abcdefghijkl'
      .split('')
      .map((k) => `  ${k}: *a`)
      .join('\n');
    const yaml = `kind: ConfigMap\n${HEAD}x: &a\n${rows}\ndata:\n${refs}\n`;
    expect(() => compileTemplate({ yaml })).toThrow(`more than ${MAX_TEMPLATE_EXPANSION} times its size`);
    expect(() => compileTemplate({ yaml })).toThrow(
      /^'template\.yaml' expands \(through aliases\) to \d+ characters of data from \d+ characters of YAML/,
    );
    // a reuse that stays within the bound is fine
    expect(() =>
      compileTemplate({ yaml: `kind: ConfigMap\n${HEAD}x: &a\n${rows}\ndata:\n  a: *a\n` }),
    ).not.toThrow();
  });

  test.each([
    ['!!binary aGVsbG8=', '!!binary'],
    ['!!python/object:os.system [ls]', '!!python/object:os.system'],
    ['!!timestamp 2026-01-01', '!!timestamp'],
    ['!!set {a, b}', '!!set'],
    ['!custom x', '!custom'],
  ])('the tag of %j is refused', (value, tag) => {
    expect(() => compileTemplate({ yaml: `kind: ConfigMap\n${HEAD}data:\n  x: ${value}\n` })).toThrow(
      `'template.yaml' document 1 uses the tag "${tag}": only the YAML core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are allowed`,
    );
  });

  test('core tags are allowed: !!str keeps a string', () => {
    const m = renderManifest({ yaml: `kind: ConfigMap\n${HEAD}data:\n  x: !!str 123\n` }, image('v1'));
    expect(YAML.parse(m.content, { version: '1.1' }).data).toEqual({ x: '123' });
  });
});
