import {
  DAEMON_JOB_TEMPLATE_HASH_LABEL,
  daemonJobTemplateHash,
  perNodeJob,
  perNodeJobName,
  pinAffinity,
} from '../../../../core/daemon-job/per-node-job';

const spec = {
  backoffLimit: 2,
  template: {
    metadata: { labels: { app: 'audit' }, annotations: { note: 'x' } },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: 'busybox' }],
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
    },
  },
};

describe('perNodeJob', () => {
  test('one Job pinned to the node by metadata.name, completions = parallelism = 1, labelled and annotated', () => {
    const job = perNodeJob(
      { name: 'audit', namespace: 'ops', metadata: { labels: { team: 't' } }, spec },
      'node-1',
    );
    expect(job.metadata).toEqual({
      name: 'audit-node-1',
      namespace: 'ops',
      labels: { team: 't', 'jobforge.io/daemon-job': 'audit', 'jobforge.io/node': 'node-1' },
      annotations: { 'jobforge.io/node-name': 'node-1' },
    });
    expect(job.spec.completions).toBe(1);
    expect(job.spec.parallelism).toBe(1);
    expect(job.spec.backoffLimit).toBe(2);
    expect(job.spec.template.metadata).toEqual({
      labels: { app: 'audit', 'jobforge.io/daemon-job': 'audit', 'jobforge.io/node': 'node-1' },
      annotations: { note: 'x' },
    });
    expect(job.spec.template.spec).toEqual({
      ...spec.template.spec,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
            ],
          },
        },
      },
    });
  });

  test('with a template hash: the round is in the name and in a label of the Job and its pods', () => {
    const job = perNodeJob({ name: 'audit', spec, templateHash: 'abcdef0123' }, 'node-1');
    expect(job.metadata.name).toBe('audit-abcdef0123-node-1');
    expect(job.metadata.labels[DAEMON_JOB_TEMPLATE_HASH_LABEL]).toBe('abcdef0123');
    expect(job.spec.template.metadata.labels[DAEMON_JOB_TEMPLATE_HASH_LABEL]).toBe('abcdef0123');
  });

  test('does not change its input', () => {
    const before = JSON.stringify(spec);
    perNodeJob({ name: 'audit', spec, templateHash: 'h' }, 'node-1');
    expect(JSON.stringify(spec)).toBe(before);
  });
});

describe('perNodeJobName', () => {
  test('long or dotted node names give distinct DNS labels within 63 characters (61 for Indexed)', () => {
    const a = perNodeJobName('audit', `${'n'.repeat(80)}.a`, { templateHash: '0123456789' });
    const b = perNodeJobName('audit', `${'n'.repeat(80)}.b`, { templateHash: '0123456789' });
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(perNodeJobName('audit', 'x'.repeat(80), { completionMode: 'Indexed' }).length).toBeLessThanOrEqual(
      61,
    );
    expect(perNodeJobName('audit', 'node.example.com')).toMatch(/^audit-node-example-com-[0-9a-f]{8}$/);
  });
});

describe('daemonJobTemplateHash', () => {
  test('stable under key order and undefined fields; changes with the template', () => {
    const h = daemonJobTemplateHash({ spec });
    expect(h).toMatch(/^[0-9a-f]{10}$/);
    expect(daemonJobTemplateHash({ spec: { template: spec.template, backoffLimit: 2, x: undefined } })).toBe(
      h,
    );
    const changed = {
      ...spec,
      template: {
        ...spec.template,
        spec: { ...spec.template.spec, containers: [{ name: 'main', image: 'busybox:2' }] },
      },
    };
    expect(daemonJobTemplateHash({ spec: changed })).not.toBe(h);
    expect(daemonJobTemplateHash({ metadata: { labels: { a: 'b' } }, spec })).not.toBe(h);
  });
});

describe('pinAffinity', () => {
  test('each user term gets the pin; other affinity is kept', () => {
    const affinity = {
      podAntiAffinity: { x: 1 },
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [],
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['z'] }] },
          ],
        },
      },
    };
    const pin = { key: 'metadata.name', operator: 'In', values: ['n1'] };
    expect(pinAffinity(affinity, ['n1'])).toEqual({
      podAntiAffinity: { x: 1 },
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [],
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }], matchFields: [pin] },
            { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['z'] }, pin] },
          ],
        },
      },
    });
  });
});
