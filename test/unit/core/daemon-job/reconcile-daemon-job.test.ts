import { DaemonJobObject } from '../../../../core/daemon-job/daemon-job-resource';
import { DAEMON_JOB_TEMPLATE_HASH_LABEL } from '../../../../core/daemon-job/per-node-job';
import {
  ObservedJob,
  reconcileDaemonJob,
  sameStatus,
} from '../../../../core/daemon-job/reconcile-daemon-job';
import { NodeInfo } from '../../../../core/node-inventory';

const NOW = new Date('2026-12-01T08:00:00.000Z');
const NODES: NodeInfo[] = [
  { name: 'n1', labels: { pool: 'batch' } },
  { name: 'n2', labels: { pool: 'batch' } },
  { name: 'n3', labels: { pool: 'batch' }, taints: [{ key: 'gpu', effect: 'NoSchedule' }] },
  { name: 'n4', labels: { pool: 'web' } },
];

function dj(image = 'busybox:1', extra: Partial<DaemonJobObject['spec']> = {}): DaemonJobObject {
  return {
    metadata: { name: 'audit', namespace: 'ops', uid: 'uid-1', generation: 3 },
    spec: {
      nodeSelector: { pool: 'batch' },
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } },
      ...extra,
    },
  };
}

/** The Jobs a previous reconcile made, with the given terminal condition per node. */
function jobsOf(d: DaemonJobObject, state: Record<string, 'Complete' | 'Failed' | 'Running'>): ObservedJob[] {
  const made = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs: [], now: NOW }).create;
  return made
    .filter((j) => state[j.metadata.annotations['jobforge.io/node-name']] !== undefined)
    .map((j) => {
      const s = state[j.metadata.annotations['jobforge.io/node-name']];
      return {
        metadata: { ...j.metadata, uid: `uid-${j.metadata.name}` },
        status: { conditions: s === 'Running' ? [] : [{ type: s, status: 'True' }] },
      };
    });
}

describe('reconcileDaemonJob', () => {
  test('one Job per matching node (tainted and unselected nodes left out), owned by the DaemonJob', () => {
    const r = reconcileDaemonJob({ daemonJob: dj(), nodes: NODES, jobs: [], now: NOW });
    expect(r.create.map((j) => j.metadata.annotations['jobforge.io/node-name'])).toEqual(['n1', 'n2']);
    const job = r.create[0];
    expect(job.metadata.name).toBe(`audit-${r.templateHash}-n1`);
    expect(job.metadata.namespace).toBe('ops');
    expect(job.metadata.labels).toMatchObject({
      'jobforge.io/daemon-job': 'audit',
      'jobforge.io/node': 'n1',
      [DAEMON_JOB_TEMPLATE_HASH_LABEL]: r.templateHash,
    });
    expect((job.metadata as unknown as { ownerReferences: object[] }).ownerReferences).toEqual([
      {
        apiVersion: 'jobforge.io/v1alpha1',
        kind: 'DaemonJob',
        name: 'audit',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(job.spec.template.spec.nodeSelector).toEqual({ pool: 'batch' });
    expect(r.delete).toEqual([]);
    expect(r.status).toMatchObject({ desired: 2, active: 2, succeeded: 0, failed: 0, observedGeneration: 3 });
    expect(r.events.map((e) => e.reason)).toEqual(['CreatedJob', 'CreatedJob']);
  });

  test('a toleration brings the tainted node in; nodeSelector and tolerations merge with the pod template', () => {
    const d = dj('busybox:1', { tolerations: [{ key: 'gpu', operator: 'Exists' }] });
    const r = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs: [], now: NOW });
    expect(r.create.map((j) => j.metadata.annotations['jobforge.io/node-name'])).toEqual(['n1', 'n2', 'n3']);
  });

  test('nodes with a Job of this round get none; all succeeded → Complete', () => {
    const d = dj();
    const jobs = jobsOf(d, { n1: 'Complete', n2: 'Complete' });
    const r = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs, now: NOW });
    expect(r.create).toEqual([]);
    expect(r.status).toMatchObject({ desired: 2, active: 0, succeeded: 2, failed: 0 });
    expect(r.status.conditions?.find((c) => c.type === 'Complete')).toMatchObject({
      status: 'True',
      reason: 'AllNodesSucceeded',
      observedGeneration: 3,
    });
    expect(r.events.map((e) => e.reason)).toEqual(['Complete']);
  });

  test('a node that joins gets its Job; the others are left alone', () => {
    const d = dj();
    const jobs = jobsOf(d, { n1: 'Complete', n2: 'Running' });
    const nodes = [...NODES, { name: 'n5', labels: { pool: 'batch' } }];
    const r = reconcileDaemonJob({ daemonJob: d, nodes, jobs, now: NOW });
    expect(r.create.map((j) => j.metadata.name)).toEqual([`audit-${r.templateHash}-n5`]);
    expect(r.status).toMatchObject({ desired: 3, active: 2, succeeded: 1 });
  });

  test("a removed node's Job is deleted, or kept with nodeRemovalPolicy Retain", () => {
    const d = dj();
    const jobs = jobsOf(d, { n1: 'Complete', n2: 'Complete' });
    const nodes = NODES.filter((n) => n.name !== 'n2');
    const r = reconcileDaemonJob({ daemonJob: d, nodes, jobs, now: NOW });
    expect(r.delete).toEqual([
      { name: jobs[1].metadata.name, uid: jobs[1].metadata.uid, node: 'n2', reason: 'NodeRemoved' },
    ]);
    expect(r.status).toMatchObject({ desired: 1, succeeded: 1 });
    const retain = dj('busybox:1', { nodeRemovalPolicy: 'Retain' });
    expect(
      reconcileDaemonJob({ daemonJob: retain, nodes, jobs: jobsOf(retain, { n2: 'Complete' }), now: NOW })
        .delete,
    ).toEqual([]);
  });

  test('a node that no longer matches: its unfinished Job is deleted, a finished one kept', () => {
    const d = dj();
    const jobs = jobsOf(d, { n1: 'Running', n2: 'Complete' });
    const nodes = NODES.map((n) =>
      n.name === 'n1' || n.name === 'n2' ? { ...n, labels: { pool: 'web' } } : n,
    );
    const r = reconcileDaemonJob({ daemonJob: d, nodes, jobs, now: NOW });
    expect(r.delete.map((x) => [x.node, x.reason])).toEqual([['n1', 'NodeNoLongerMatches']]);
    expect(r.create).toEqual([]);
    expect(r.status.desired).toBe(0);
    expect(r.status.conditions?.[0]).toMatchObject({
      type: 'Complete',
      status: 'False',
      reason: 'NoMatchingNodes',
    });
  });

  test('a changed template starts a new round: old Jobs deleted, one new Job per node', () => {
    const old = dj('busybox:1');
    const jobs = jobsOf(old, { n1: 'Complete', n2: 'Complete' });
    const r = reconcileDaemonJob({ daemonJob: dj('busybox:2'), nodes: NODES, jobs, now: NOW });
    expect(r.templateHash).not.toBe(jobs[0].metadata.labels?.[DAEMON_JOB_TEMPLATE_HASH_LABEL]);
    expect(r.delete.map((x) => [x.node, x.reason])).toEqual([
      ['n1', 'NewRound'],
      ['n2', 'NewRound'],
    ]);
    expect(r.create.map((j) => j.metadata.name)).toEqual([
      `audit-${r.templateHash}-n1`,
      `audit-${r.templateHash}-n2`,
    ]);
  });

  test('failed Jobs are counted, not retried (the Job controller retried them up to backoffLimit)', () => {
    const d = dj();
    const r = reconcileDaemonJob({
      daemonJob: d,
      nodes: NODES,
      jobs: jobsOf(d, { n1: 'Failed', n2: 'Complete' }),
      now: NOW,
    });
    expect(r.create).toEqual([]);
    expect(r.status).toMatchObject({ desired: 2, active: 0, succeeded: 1, failed: 1 });
  });

  test('Jobs being deleted are not counted as the node having its Job', () => {
    const d = dj();
    const jobs = jobsOf(d, { n1: 'Complete' }).map((j) => ({
      ...j,
      metadata: { ...j.metadata, deletionTimestamp: '2026-12-01T07:00:00Z' },
    }));
    expect(reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs, now: NOW }).create).toHaveLength(2);
  });

  test('an invalid DaemonJob creates nothing and says which field, with one Warning event', () => {
    const d = dj();
    const invalid = { field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Always"' };
    const r = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs: [], invalid, now: NOW });
    expect(r.create).toEqual([]);
    expect(r.status.conditions?.find((c) => c.type === 'Valid')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.template.spec.restartPolicy: Unsupported value: "Always"',
    });
    expect(r.events).toEqual([
      {
        type: 'Warning',
        reason: 'InvalidSpec',
        message: 'spec.template.spec.restartPolicy: Unsupported value: "Always"',
      },
    ]);
    const again = reconcileDaemonJob({
      daemonJob: { ...d, status: r.status },
      nodes: NODES,
      jobs: [],
      invalid,
      now: NOW,
    });
    expect(again.events).toEqual([]);
    expect(sameStatus(r.status, again.status)).toBe(true);
  });

  test('a name too long for the label the Jobs carry is invalid, naming metadata.name', () => {
    const d = { ...dj(), metadata: { ...dj().metadata, name: 'a'.repeat(64) } };
    const r = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs: [], now: NOW });
    expect(r.create).toEqual([]);
    expect(r.status.conditions?.find((c) => c.type === 'Valid')?.message).toContain(
      "metadata.name: 'metadata.name' must be at most 63 characters",
    );
  });

  test('conditions keep their lastTransitionTime while their status holds; sameStatus ignores key order', () => {
    const d = dj();
    const first = reconcileDaemonJob({ daemonJob: d, nodes: NODES, jobs: [], now: NOW });
    const later = reconcileDaemonJob({
      daemonJob: { ...d, status: first.status },
      nodes: NODES,
      jobs: [],
      now: new Date('2026-12-01T09:00:00Z'),
    });
    expect(later.status.conditions?.[0].lastTransitionTime).toBe('2026-12-01T08:00:00Z');
    const reordered = JSON.parse(JSON.stringify(first.status, Object.keys(first.status).sort()));
    expect(sameStatus({ ...reordered, conditions: first.status.conditions }, later.status)).toBe(true);
  });
});
