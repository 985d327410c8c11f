// The YAML the image pipeline writes, read by the real kube-apiserver (Kubernetes' go-yaml
// decoder, YAML 1.1 rules): POSTed as application/yaml with dryRun=All and fieldValidation=Strict.
// Tags and variables such as `on`, `yes`, `NO`, `y`, `Off`, `1_000` must arrive as strings, and
// typed placeholders as numbers and booleans.
import * as YAML from 'yaml';
import { renderManifest } from '../../core/pipeline/render';
import { toDetectedImage } from '../../core/pipeline/select';
import type { DetectedImage } from '../../core/pipeline/types';
import { e2eEnv } from '../support/e2e-env';
import { ensureNamespace, kubeRequest, KubeResponse } from '../support/kube-api';

const NAMESPACE = 'yaml-types';
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function image(tag: string): DetectedImage {
  return toDetectedImage(
    {
      repository: 'team-a/api',
      registry: REGISTRY,
      tag,
      digest: `sha256:${'ab'.repeat(32)}`,
      pushedAt: '2026-01-01T00:00:00.000Z',
    },
    undefined,
  );
}

// Strings a YAML 1.1 reader takes for booleans, nulls or numbers.
const VALUES = [
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'False', 'TRUE'],
  ...['on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL', '~', ''],
  ...['1_000', '0x1F', '0X1F', '0o17', '0O17', '0b101', '012', '09', '1e3', '1.5e-3', '1.', '.5', '+1', '-1'],
  ...['3', '1.10', '.inf', '-.Inf', '.nan', '.NaN', '1:20', '190:20:30', '2026-01-15', '<<'],
];
// Among them, valid Docker tags that are valid label values too (used as the image tag, in a
// label and in the image reference).
const TAGS = VALUES.filter(
  (v) =>
    /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(v) && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v),
);
// Valid ConfigMap keys among them (used as keys too).
const KEYS = VALUES.filter((v) => /^[-._a-zA-Z0-9]+$/.test(v) && v !== '.' && v !== '..');

const post = (kubeconfig: string, plural: string, group: string, yamlText: string): Promise<KubeResponse> => {
  const q = new URLSearchParams({ dryRun: 'All', fieldValidation: 'Strict', fieldManager: 'jobforge-e2e' });
  return kubeRequest(
    kubeconfig,
    'POST',
    `/${group}/namespaces/${NAMESPACE}/${plural}?${q}`,
    yamlText,
    'application/yaml',
  );
};

describe('rendered manifests on a real kube-apiserver (YAML 1.1 decoder, strict dry-run)', () => {
  const { kubeconfig } = e2eEnv();
  const variables = Object.fromEntries(VALUES.map((v, i) => [`v${i}`, v]));
  const configMapTemplate = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: tags',
    '  namespace: yaml-types',
    '  labels:',
    '    app.kubernetes.io/version: {{ .ImageTag }}',
    'data:',
    '  tag: {{ .ImageTag }}',
    '  image: {{ .FullImageName }}',
    ...VALUES.map((_, i) => `  value-${i}: {{ .v${i} }}`),
    ...VALUES.map((v, i) => (KEYS.includes(v) ? `  {{ .v${i} }}: key-${i}` : '')).filter(Boolean),
    '',
  ].join('\n');

  beforeAll(async () => {
    await ensureNamespace(kubeconfig, NAMESPACE);
  });

  it('the unquoted YAML a YAML 1.2 emitter writes is refused (the strict check is real)', async () => {
    const res = await post(
      kubeconfig,
      'configmaps',
      'api/v1',
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'unquoted' },
        data: { a: 'on' },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toContain('cannot unmarshal bool');
  });

  it.each(TAGS)(
    'tag %j: every value, key, label and image reference arrives as the same string',
    async (tag) => {
      const m = renderManifest({ yaml: configMapTemplate, variables, fileName: 'x.yaml' }, image(tag));
      const res = await post(kubeconfig, 'configmaps', 'api/v1', m.content);
      expect([res.status, res.status < 300 ? '' : res.body]).toEqual([201, '']);
      const stored = res.json<{
        metadata: { labels: Record<string, string> };
        data: Record<string, string>;
      }>();
      expect(stored.metadata.labels['app.kubernetes.io/version']).toBe(tag);
      const expected: Record<string, string> = { tag, image: `${REGISTRY}/team-a/api:${tag}` };
      VALUES.forEach((v, i) => {
        expected[`value-${i}`] = v;
        if (KEYS.includes(v)) expected[v] = `key-${i}`;
      });
      expect(stored.data).toEqual(expected);
    },
  );

  it('typed placeholders reach the apiserver as a number and a boolean', async () => {
    const deployment = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .ServiceName }}',
      '  namespace: yaml-types',
      '  labels:',
      '    version: {{ .ImageTag }}',
      'spec:',
      '  replicas: {{ .replicas }}',
      '  paused: {{ .paused }}',
      '  selector:',
      '    matchLabels:',
      '      app: {{ .ServiceName }}',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: {{ .ServiceName }}',
      '        enabled: "{{ .paused }}"',
      '    spec:',
      '      containers:',
      '        - name: {{ .ServiceName }}',
      '          image: {{ .FullImageName }}',
      '',
    ].join('\n');
    const m = renderManifest({ yaml: deployment, variables: { replicas: 3, paused: true } }, image('on'));
    const res = await post(kubeconfig, 'deployments', 'apis/apps/v1', m.content);
    expect([res.status, res.status < 300 ? '' : res.body]).toEqual([201, '']);
    const stored = res.json<{
      metadata: { labels: Record<string, string> };
      spec: { replicas: number; paused: boolean; template: { metadata: { labels: Record<string, string> } } };
    }>();
    expect(stored.spec.replicas).toBe(3);
    expect(stored.spec.paused).toBe(true);
    expect(stored.metadata.labels.version).toBe('on');
    expect(stored.spec.template.metadata.labels.enabled).toBe('true');
  });
});
