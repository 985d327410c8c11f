import { Testing } from 'cdk8s';
import { DaemonJob, DaemonJobProps } from '../../../constructs/daemon-job';
import { DaemonJobCrd, daemonJobSchema } from '../../../constructs/daemon-job-crd';
import { DaemonJobObject } from '../../../core/daemon-job/daemon-job-resource';
import { perNodeJob } from '../../../core/daemon-job/per-node-job';
import { reconcileDaemonJob } from '../../../core/daemon-job/reconcile-daemon-job';

const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(props: Partial<DaemonJobProps> = {}): Manifest[] {
  const chart = Testing.chart();
  new DaemonJob(chart, 'Daemon', {
    name: 'node-audit',
    namespace: 'ops',
    image: IMAGE,
    mode: 'controller',
    nodeSelector: { pool: 'batch' },
    tolerations: [{ key: 'gpu', operator: 'Exists' }],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
    ...props,
  });
  return Testing.synth(chart);
}

describe('DaemonJob mode controller', () => {
  test('synthesizes a DaemonJob custom resource and no Job', () => {
    const ms = synth({ nodeRemovalPolicy: 'Retain', backoffLimit: 2 });
    expect(ms.filter((m) => m.kind === 'Job')).toEqual([]);
    const [dj] = ms.filter((m) => m.kind === 'DaemonJob');
    expect(dj.apiVersion).toBe('jobforge.io/v1alpha1');
    expect(dj.metadata).toMatchObject({ name: 'node-audit', namespace: 'ops' });
    expect(dj.spec).toMatchObject({
      nodeSelector: { pool: 'batch' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      backoffLimit: 2,
      nodeRemovalPolicy: 'Retain',
    });
    expect(dj.spec.template.spec.nodeSelector).toBeUndefined();
    expect(dj.spec.template.spec.containers[0]).toMatchObject({
      image: IMAGE,
      resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
    });
    expect(dj.spec.parallelism).toBeUndefined();
    expect(dj.spec.completions).toBeUndefined();
    expect(ms).toMatchSnapshot();
  });

  test("the controller's Jobs from the resource match the perNode construct's pod spec", () => {
    const [dj] = synth().filter((m) => m.kind === 'DaemonJob');
    const r = reconcileDaemonJob({
      daemonJob: { ...(dj as DaemonJobObject), metadata: { ...dj.metadata, uid: 'u' } },
      nodes: [{ name: 'n1', labels: { pool: 'batch' } }],
      jobs: [],
      now: new Date(0),
    });
    const chart = Testing.chart();
    new DaemonJob(chart, 'Daemon', {
      name: 'node-audit',
      namespace: 'ops',
      image: IMAGE,
      nodes: [{ name: 'n1', labels: { pool: 'batch' } }],
      nodeSelector: { pool: 'batch' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
    });
    const [synthJob] = Testing.synth(chart).filter((m: Manifest) => m.kind === 'Job');
    const sortKeys = (o: unknown): unknown =>
      JSON.parse(
        JSON.stringify(o, (_k, v) =>
          v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
        ),
      );
    expect(sortKeys(r.create[0].spec.template.spec)).toEqual(sortKeys(synthJob.spec.template.spec));
    expect(perNodeJob).toBeDefined();
  });

  test.each<[string, Partial<DaemonJobProps>, string]>([
    [
      'ttlSecondsAfterFinished',
      { ttlSecondsAfterFinished: 60 },
      `'ttlSecondsAfterFinished' is not supported with mode controller`,
    ],
    ['suspend', { suspend: true }, `'suspend' is not supported with mode controller`],
    [
      'Indexed',
      { completionMode: 'Indexed' },
      `'completionMode' must be NonIndexed with mode controller (each per-node Job has one completion), got "Indexed"`,
    ],
    [
      'a bad nodeRemovalPolicy',
      { nodeRemovalPolicy: 'Keep' as never },
      `'nodeRemovalPolicy' must be Delete or Retain, got "Keep"`,
    ],
  ])('refuses %s', (_n, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('nodeRemovalPolicy without mode controller, and no nodes without it, are errors', () => {
    const chart = Testing.chart();
    expect(
      () => new DaemonJob(chart, 'A', { image: IMAGE, nodes: [{ name: 'n' }], nodeRemovalPolicy: 'Retain' }),
    ).toThrow(`'nodeRemovalPolicy' only applies with mode controller, got "Retain"`);
    expect(() => new DaemonJob(chart, 'B', { image: IMAGE })).toThrow(
      `'nodes' must be a list of nodes, got undefined`,
    );
  });
});

describe('DaemonJobCrd', () => {
  test('a structural schema: every node typed (or int-or-string), no $ref', () => {
    const missing: string[] = [];
    const walk = (s: Record<string, unknown>, at: string): void => {
      if (s.$ref !== undefined) missing.push(`${at}: $ref`);
      if (s.type === undefined && s['x-kubernetes-int-or-string'] !== true) missing.push(at);
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>))
        walk(v, `${at}.${k}`);
      if (s.items) walk(s.items as Record<string, unknown>, `${at}[]`);
      if (typeof s.additionalProperties === 'object')
        walk(s.additionalProperties as Record<string, unknown>, `${at}{}`);
    };
    walk(daemonJobSchema(), '');
    expect(missing).toEqual([]);
  });

  test('the CRD: jobforge.io/v1alpha1 DaemonJob, namespaced, status subresource', () => {
    const chart = Testing.chart();
    new DaemonJobCrd(chart, 'Crd');
    const [crd] = Testing.synth(chart);
    expect(crd.metadata.name).toBe('daemonjobs.jobforge.io');
    expect(crd.spec).toMatchObject({
      group: 'jobforge.io',
      scope: 'Namespaced',
      names: { kind: 'DaemonJob', plural: 'daemonjobs' },
    });
    expect(crd.spec.versions[0]).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['template']);
    expect(Object.keys(spec.properties)).not.toContain('parallelism');
    expect(Object.keys(spec.properties)).not.toContain('completions');
    expect(spec.properties.template.properties.spec.properties.restartPolicy.enum).toEqual([
      'Never',
      'OnFailure',
    ]);
  });
});
