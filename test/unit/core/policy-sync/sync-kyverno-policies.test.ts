// The sync orchestrator (syncKyvernoPolicies → sync-executor, lease-lock) against an in-memory
// apiserver: guards, empty sources, write verification, lock paths, CEL kinds, redaction.
import { LeaseLock, LockHeldError } from '../../../../core/io/lease';
import { PolicySource } from '../../../../core/policy-sync/policy-source';
import {
  syncKyvernoPolicies,
  SyncKyvernoPoliciesOptions,
} from '../../../../core/policy-sync/sync-kyverno-policies';
import { LogLevel } from '../../../../core/policy-sync/sync-logger';
import { FakeKubeClient, Obj } from '../../../support/fake-kube-client';

const OWNER = { 'insights.fairwinds.com/owned-by': 'Fairwinds Insights' };
const LEASE = 'coordination.k8s.io/leases/default/jobforge-kyverno-policy-sync';

function cp(
  name: string,
  opts: { message?: string; owned?: boolean; kind?: string; namespace?: string } = {},
): Obj {
  const kind = opts.kind ?? 'ClusterPolicy';
  const group = kind === 'ClusterPolicy' || kind === 'Policy' ? 'kyverno.io' : 'policies.kyverno.io';
  return {
    apiVersion: `${group}/v1`,
    kind,
    metadata: {
      name,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      annotations: opts.owned === false ? {} : { ...OWNER },
    },
    spec: { rules: [{ name: 'r', message: opts.message ?? `rule of ${name}` }] },
  };
}

const yaml = (...objs: Obj[]): string => objs.map((o) => JSON.stringify(o)).join('\n---\n');

function source(text: string, redact?: (t: string) => string): PolicySource {
  return { description: 'test source', fetchYaml: async () => [{ origin: 'test', yaml: text }], redact };
}

let kube: FakeKubeClient;
let logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[];

function sync(text: string, over: Partial<SyncKyvernoPoliciesOptions> = {}) {
  return syncKyvernoPolicies({
    source: source(text),
    client: kube,
    kyvernoCli: false,
    lock: { namespace: 'default', timeoutMs: 60_000, holderIdentity: 'this-run' },
    logger: { log: (level, msg, fields) => logs.push({ level, msg, fields }) },
    ...over,
  });
}

const names = (plural = 'clusterpolicies'): string[] =>
  kube
    .stored(plural)
    .map((o) => o.metadata.name)
    .sort();
const seedOwned = (n: number): string[] => {
  const out = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  for (const name of out) kube.seed(cp(name));
  return out;
};

beforeEach(() => {
  kube = new FakeKubeClient();
  logs = [];
});

describe('apply, update, remove', () => {
  test('creates new, updates changed owned, removes owned no longer expected; unowned and unchanged untouched', async () => {
    kube.seed(cp('keep'));
    kube.seed(cp('change'));
    kube.seed(cp('drop'));
    kube.seed(cp('drop-2'));
    const theirs = kube.seed(cp('theirs', { owned: false }));
    const keepRv = kube.stored('clusterpolicies').find((o) => o.metadata.name === 'keep')
      .metadata.resourceVersion;
    const r = await sync(yaml(cp('keep'), cp('change', { message: 'new' }), cp('add'), cp('theirs')), {
      maxRemovalRatio: 1,
    });
    expect(r).toMatchObject({
      success: true,
      applied: ['add'],
      updated: ['change'],
      removed: ['drop', 'drop-2'],
      unchanged: ['keep'],
      conflicts: ['theirs'],
      failed: [],
      errors: [],
    });
    expect(r.changes).toEqual({ change: ['spec.rules[0].message'] });
    expect(names()).toEqual(['add', 'change', 'keep', 'theirs']);
    const stored = Object.fromEntries(kube.stored('clusterpolicies').map((o) => [o.metadata.name, o]));
    expect(stored.change.spec.rules[0].message).toBe('new');
    expect(stored.keep.metadata.resourceVersion).toBe(keepRv);
    expect(stored.theirs).toEqual(theirs);
    // The Lease was taken and released.
    expect(kube.calls.some((c) => c.method === 'POST' && c.path.endsWith('/leases'))).toBe(true);
    expect(kube.objects.has(LEASE)).toBe(false);
  });

  test('a dry run writes nothing and takes no lock', async () => {
    kube.seed(cp('drop'));
    kube.seed(cp('keep'));
    const r = await sync(yaml(cp('keep'), cp('add')), { dryRun: true });
    expect(r).toMatchObject({ success: true, dryRun: true, applied: ['add'], removed: ['drop'] });
    expect(kube.writes()).toEqual([]);
  });

  test('an update that conflicts is read again and retried once while still owned', async () => {
    kube.seed(cp('a'));
    let bumped = false;
    kube.intercept = (call) => {
      if (call.method === 'PUT' && !call.dryRun && !bumped && call.path.includes('clusterpolicies')) {
        bumped = true;
        const key = 'kyverno.io/clusterpolicies//a';
        const cur = kube.objects.get(key);
        kube.objects.set(key, { ...cur, metadata: { ...cur.metadata, resourceVersion: '999' } });
      }
      return undefined;
    };
    const r = await sync(yaml(cp('a', { message: 'new' })));
    expect(r).toMatchObject({ success: true, updated: ['a'] });
    expect(kube.stored('clusterpolicies')[0].spec.rules[0].message).toBe('new');
  });

  test('an update whose policy was disowned since planning is left unchanged and fails', async () => {
    kube.seed(cp('a'));
    kube.intercept = (call) => {
      if (call.method === 'PUT' && !call.dryRun && call.path.includes('clusterpolicies')) {
        const key = 'kyverno.io/clusterpolicies//a';
        const cur = kube.objects.get(key);
        kube.objects.set(key, {
          ...cur,
          metadata: { ...cur.metadata, resourceVersion: '999', annotations: {} },
        });
      }
      return undefined;
    };
    const r = await sync(yaml(cp('a', { message: 'new' })));
    expect(r).toMatchObject({ success: false, updated: [], failed: ['a'] });
    expect(r.errors).toEqual(['a: update failed: it was disowned since planning; left unchanged']);
  });

  test('a create whose name was taken since planning fails alone; a removal already gone counts as removed', async () => {
    kube.seed(cp('gone'));
    kube.seed(cp('keep-1'));
    kube.seed(cp('keep-2'));
    kube.intercept = (call) => {
      if (call.method === 'POST' && !call.dryRun && call.path.endsWith('/clusterpolicies')) {
        kube.seed(cp('new', { owned: false }));
      }
      if (call.method === 'DELETE' && call.path.endsWith('/gone'))
        kube.objects.delete('kyverno.io/clusterpolicies//gone');
      return undefined;
    };
    const r = await sync(yaml(cp('keep-1'), cp('keep-2'), cp('new')));
    expect(r).toMatchObject({ success: false, applied: [], failed: ['new'], removed: ['gone'] });
    expect(r.errors[0]).toMatch(/^new: create failed, the name was taken since planning: /);
  });

  test('a policy the server-side dry-run rejects: nothing written with validation, only it fails without', async () => {
    kube.seed(cp('old'));
    kube.intercept = (call) => {
      if (call.dryRun && (call.body as Obj)?.metadata?.name === 'bad') {
        throw new (require('../../../../core/io/kube').KubeApiError)(
          'POST',
          call.path,
          422,
          'Invalid',
          'spec.rules: Invalid value',
        );
      }
      return undefined;
    };
    const strict = await sync(yaml(cp('old'), cp('good'), cp('bad')));
    expect(strict).toMatchObject({ success: false, applied: [], failed: ['bad'] });
    expect(strict.errors).toEqual([
      'validation failed for 1 policy, nothing written',
      'bad: server-side dry-run rejected it: spec.rules: Invalid value',
    ]);
    expect(kube.writes().filter((c) => !c.path.includes('leases'))).toEqual([]);
    const lenient = await sync(yaml(cp('old'), cp('good'), cp('bad')), { validate: false });
    expect(lenient).toMatchObject({ success: false, applied: ['good'], failed: ['bad'] });
  });
});

describe('deletion guard (maxRemovals)', () => {
  beforeEach(() => seedOwned(6));

  test('removing exactly maxRemovals passes', async () => {
    const r = await sync(yaml(cp('p1'), cp('p2'), cp('p3')), { maxRemovals: 3, maxRemovalRatio: 1 });
    expect(r).toMatchObject({ success: true, removed: ['p4', 'p5', 'p6'] });
    expect(names()).toEqual(['p1', 'p2', 'p3']);
  });

  test('one more than maxRemovals removes nothing and names the settings the CLI reads', async () => {
    const r = await sync(yaml(cp('p1'), cp('p2')), { maxRemovals: 3, maxRemovalRatio: 1 });
    expect(r).toMatchObject({ success: false, removed: [], applied: [], updated: [] });
    expect(r.errors).toEqual([
      'deletion guard: the plan removes 4 policies, more than the allowed 3 (p3, p4, p5, p6); nothing written. ' +
        'Check the source, or allow it with force (--force, FORCE_REMOVALS=true) or a higher maxRemovals (--max-removals 4, MAX_REMOVALS=4)',
    ]);
    expect(names()).toHaveLength(6);
    expect(kube.writes().filter((c) => !c.path.includes('leases'))).toEqual([]);
  });

  test('the default is 10: 10 pass, 11 refused', async () => {
    const more = Array.from({ length: 16 }, (_, i) => `q${i}`);
    for (const n of more) kube.seed(cp(n));
    const keep = (n: number) =>
      yaml(...['p1', 'p2', 'p3', 'p4', 'p5', 'p6', ...more].slice(0, n).map((x) => cp(x)));
    expect((await sync(keep(11), { maxRemovalRatio: 1, dryRun: true })).errors).toEqual([
      expect.stringMatching(/^deletion guard: the plan removes 11 policies, more than the allowed 10 /),
    ]);
    expect(await sync(keep(12), { maxRemovalRatio: 1, dryRun: true })).toMatchObject({ success: true });
  });

  test('force passes it', async () => {
    const r = await sync(yaml(cp('p1')), { maxRemovals: 3, force: true });
    expect(r).toMatchObject({ success: true, removed: ['p2', 'p3', 'p4', 'p5', 'p6'] });
  });

  test.each([-1, 1.5, NaN])('maxRemovals %s is refused', async (maxRemovals) => {
    await expect(sync('', { maxRemovals })).rejects.toThrow(
      `'maxRemovals' must be a non-negative integer, got ${maxRemovals}`,
    );
  });
});

describe('ratio guard (maxRemovalRatio)', () => {
  beforeEach(() => {
    seedOwned(4);
    for (let i = 0; i < 10; i++) kube.seed(cp(`unowned-${i}`, { owned: false }));
  });

  test('removing exactly half of the owned policies passes (unowned ones do not count)', async () => {
    const r = await sync(yaml(cp('p1'), cp('p2')));
    expect(r).toMatchObject({ success: true, removed: ['p3', 'p4'] });
  });

  test('more than half removes nothing and names the settings', async () => {
    const r = await sync(yaml(cp('p1')));
    expect(r).toMatchObject({ success: false, removed: [] });
    expect(r.errors).toEqual([
      'deletion guard: the plan removes 3 of the 4 owned policies, more than the allowed share 0.5 (p2, p3, p4); ' +
        'nothing written. Check the source, or allow it with force (--force, FORCE_REMOVALS=true) or a higher ' +
        'maxRemovalRatio (--max-removal-ratio 0.75, MAX_REMOVAL_RATIO=0.75)',
    ]);
    expect(names()).toHaveLength(14);
  });

  test('forced, or a higher ratio, passes', async () => {
    expect(await sync(yaml(cp('p1')), { maxRemovalRatio: 0.75, dryRun: true })).toMatchObject({
      success: true,
      removed: ['p2', 'p3', 'p4'],
    });
    expect(await sync(yaml(cp('p1')), { force: true })).toMatchObject({
      success: true,
      removed: ['p2', 'p3', 'p4'],
    });
  });

  test('a ratio of 0 refuses any removal', async () => {
    expect((await sync(yaml(cp('p1'), cp('p2'), cp('p3')), { maxRemovalRatio: 0 })).success).toBe(false);
  });

  test.each([-0.1, 1.01, NaN])('maxRemovalRatio %s is refused', async (maxRemovalRatio) => {
    await expect(sync('', { maxRemovalRatio })).rejects.toThrow(
      `'maxRemovalRatio' must be a number from 0 to 1, got ${maxRemovalRatio}`,
    );
  });
});

describe('empty source', () => {
  test.each([
    ['an empty body', ''],
    ['a lone separator', '---\n'],
    ['comments only', '# nothing here\n'],
    ['a List without items', 'apiVersion: v1\nkind: List\nitems: []\n'],
  ])('%s while owned policies exist is refused, nothing written', async (_what, text) => {
    seedOwned(2);
    kube.seed(cp('theirs', { owned: false }));
    const r = await sync(text);
    expect(r).toMatchObject({ success: false, removed: [] });
    expect(r.errors).toEqual([
      'empty source: test source has no policies while 2 owned policies exist; nothing written. Check the source, ' +
        'or allow it with allowEmptySource (--allow-empty-source, ALLOW_EMPTY_SOURCE=true) ' +
        '(removing them is still subject to the deletion guard)',
    ]);
    expect(names()).toEqual(['p1', 'p2', 'theirs']);
    expect(kube.writes().filter((c) => !c.path.includes('leases'))).toEqual([]);
  });

  test('allowed, the deletion guards still apply; allowed and forced, the owned policies go', async () => {
    seedOwned(2);
    kube.seed(cp('theirs', { owned: false }));
    const allowed = await sync('', { allowEmptySource: true });
    expect(allowed.errors).toEqual([
      expect.stringMatching(/^deletion guard: the plan removes 2 of the 2 owned/),
    ]);
    expect(await sync('', { allowEmptySource: true, force: true })).toMatchObject({
      success: true,
      removed: ['p1', 'p2'],
    });
    expect(names()).toEqual(['theirs']);
  });

  test('with no owned policies an empty source is simply nothing to do', async () => {
    kube.seed(cp('theirs', { owned: false }));
    expect(await sync('')).toMatchObject({ success: true, applied: [], removed: [] });
  });
});

describe('every write is verified', () => {
  const discovery = (call: { path: string }) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'kyverno.io/v1',
    resources: [],
    path: call.path,
  });

  test('a create answered by something else than the object is a failure, not "Applied"', async () => {
    kube.intercept = (call) =>
      call.method === 'POST' && !call.dryRun && call.path.endsWith('/clusterpolicies')
        ? discovery(call)
        : undefined;
    const r = await sync(yaml(cp('a')));
    expect(r).toMatchObject({ success: false, applied: [], failed: ['a'] });
    expect(r.errors).toEqual([
      `a: create failed: the apiserver's answer to the create is not ClusterPolicy/a ` +
        `(got kind "APIResourceList", apiVersion "v1", name undefined); it was not written`,
    ]);
  });

  test('an update answered without a new resourceVersion is a failure, not "Updated"', async () => {
    const seeded = kube.seed(cp('a'));
    kube.intercept = (call) =>
      call.method === 'PUT' && !call.dryRun && call.path.includes('clusterpolicies')
        ? { ...seeded }
        : undefined;
    const r = await sync(yaml(cp('a', { message: 'new' })));
    expect(r).toMatchObject({ success: false, updated: [], failed: ['a'] });
    expect(r.errors[0]).toBe(
      `a: update failed: the apiserver's answer to the update of ClusterPolicy/a has no new resourceVersion ` +
        `(got "${seeded.metadata.resourceVersion}", before "${seeded.metadata.resourceVersion}"); it was not written`,
    );
  });

  test('a delete answered by something else is a failure; a Status of Success is a delete', async () => {
    seedOwned(4);
    kube.intercept = (call) =>
      call.method === 'DELETE' && call.path.endsWith('/p4')
        ? discovery(call)
        : call.method === 'DELETE' && call.path.endsWith('/p3')
          ? { kind: 'Status', apiVersion: 'v1', status: 'Success' }
          : undefined;
    const r = await sync(yaml(cp('p1'), cp('p2')));
    expect(r).toMatchObject({ success: false, removed: ['p3'], failed: ['p4'] });
    expect(r.errors[0]).toMatch(
      /^p4: remove failed: the apiserver's answer to the delete is not ClusterPolicy\/p4/,
    );
  });

  test('a dry run answered by something else fails the run before any write', async () => {
    kube.intercept = (call) => (call.dryRun ? discovery(call) : undefined);
    const r = await sync(yaml(cp('a'), cp('b')));
    expect(r).toMatchObject({ success: false, applied: [] });
    expect(r.errors).toEqual([
      `the apiserver's answer to the dry-run create is not ClusterPolicy/a (got kind "APIResourceList", apiVersion "v1", name undefined); it was not written`,
    ]);
    expect(kube.writes().filter((c) => !c.path.includes('leases'))).toEqual([]);
  });

  test('a malformed apiVersion never reaches the apiserver', async () => {
    kube.seed(cp('existing'));
    for (const apiVersion of ['kyverno.io/v1#x', 'kyverno.io/v1?x=']) {
      kube.calls.length = 0;
      const r = await sync(yaml(cp('existing'), { ...cp('a'), apiVersion }));
      expect(r.success).toBe(false);
      expect(r.errors).toEqual([
        `test document 2: 'apiVersion' of a ClusterPolicy must be one of kyverno.io/v1, kyverno.io/v2beta1, got ${JSON.stringify(apiVersion)}`,
      ]);
      expect(kube.calls).toEqual([]);
    }
  });
});

describe("Kyverno's CEL policy kinds", () => {
  test('synced like ClusterPolicies: apply, update, remove, unowned left alone, listed across namespaces', async () => {
    kube.seed(cp('old-vp', { kind: 'ValidatingPolicy' }));
    kube.seed(cp('keep-vp', { kind: 'ValidatingPolicy' }));
    kube.seed(cp('mp', { kind: 'MutatingPolicy' }));
    kube.seed(cp('theirs', { kind: 'ValidatingPolicy', owned: false }));
    kube.seed(cp('nvp', { kind: 'NamespacedValidatingPolicy', namespace: 'team-a' }));
    const r = await sync(
      yaml(
        cp('keep-vp', { kind: 'ValidatingPolicy' }),
        cp('mp', { kind: 'MutatingPolicy', message: 'changed' }),
        cp('nvp', { kind: 'NamespacedValidatingPolicy', namespace: 'team-a' }),
        cp('new-dp', { kind: 'DeletingPolicy' }),
        cp('new-ndp', { kind: 'NamespacedDeletingPolicy', namespace: 'team-b' }),
      ),
    );
    expect(r).toMatchObject({
      success: true,
      applied: ['DeletingPolicy/new-dp', 'NamespacedDeletingPolicy/team-b/new-ndp'],
      updated: ['MutatingPolicy/mp'],
      removed: ['ValidatingPolicy/old-vp'],
      unchanged: ['NamespacedValidatingPolicy/team-a/nvp', 'ValidatingPolicy/keep-vp'],
    });
    expect(names('validatingpolicies')).toEqual(['keep-vp', 'theirs']);
    expect(kube.stored('namespaceddeletingpolicies')[0].metadata.namespace).toBe('team-b');
    expect(
      kube.calls.some((c) => c.path === '/apis/policies.kyverno.io/v1/namespacedvalidatingpolicies'),
    ).toBe(true);
  });

  test('a cluster without their CRDs syncs the classic kinds; a source with one of them fails naming it', async () => {
    for (const p of [
      'validatingpolicies',
      'imagevalidatingpolicies',
      'mutatingpolicies',
      'generatingpolicies',
      'deletingpolicies',
    ])
      kube.missing.add(p);
    expect(await sync(yaml(cp('a')))).toMatchObject({ success: true, applied: ['a'] });
    const r = await sync(yaml(cp('a'), cp('vp', { kind: 'ValidatingPolicy' })));
    expect(r.errors).toEqual([
      "the Kyverno CRDs are not installed: validatingpolicies.policies.kyverno.io v1 not found (the source has ValidatingPolicy policies: install Kyverno's CRDs that serve policies.kyverno.io/v1)",
    ]);
    kube.missing.add('clusterpolicies');
    expect((await sync(yaml(cp('a')))).errors).toEqual([
      'the Kyverno CRDs are not installed: clusterpolicies.kyverno.io v1 not found',
    ]);
  });
});

describe('lock', () => {
  const lease = (holder: string, renewedMsAgo: number, transitions = 0): Obj => {
    const t = new Date(Date.now() - renewedMsAgo).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'jobforge-kyverno-policy-sync', namespace: 'default' },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 60,
        acquireTime: t,
        renewTime: t,
        leaseTransitions: transitions,
      },
    };
  };

  test('a lock held by another live run: fails fast, writes nothing, leaves its Lease', async () => {
    const held = kube.seed(lease('other-run', 1000));
    const r = await sync(yaml(cp('a')));
    expect(r.success).toBe(false);
    expect(r.errors[0]).toMatch(
      /^another policy sync is running: Lease default\/jobforge-kyverno-policy-sync is held by "other-run" \(last renewed .*\); it is taken over once stale, at .* \(LOCK_TIMEOUT 60s\)$/,
    );
    expect(kube.writes()).toEqual([]);
    expect(kube.objects.get(LEASE)).toEqual(held);
  });

  test('a stale lock is taken over (one more transition), used, and released', async () => {
    kube.seed(lease('crashed-run', 61_000, 2));
    let during: Obj;
    const r = await sync(yaml(cp('a')), { onWrite: () => void (during = kube.objects.get(LEASE)) });
    expect(r).toMatchObject({ success: true, applied: ['a'] });
    expect(during.spec).toMatchObject({
      holderIdentity: 'this-run',
      leaseTransitions: 3,
      leaseDurationSeconds: 60,
    });
    expect(logs.find((l) => l.msg === 'Took over a stale policy sync lock')?.fields).toMatchObject({
      previousHolder: 'crashed-run',
    });
    expect(kube.objects.has(LEASE)).toBe(false);
  });

  test('a Lease without a holder is free', async () => {
    const free = lease('', 0);
    delete free.spec.holderIdentity;
    kube.seed(free);
    expect(await sync(yaml(cp('a')))).toMatchObject({ success: true, applied: ['a'] });
  });

  test('losing the race to create the Lease is "held" by the winner', async () => {
    kube.intercept = (call) => {
      if (call.method === 'POST' && call.path.endsWith('/leases')) kube.seed(lease('winner', 0));
      return undefined;
    };
    const r = await sync(yaml(cp('a')));
    expect(r.errors[0]).toMatch(/^another policy sync is running: .* held by "winner"/);
    expect(kube.stored('clusterpolicies')).toEqual([]);
  });

  test('losing the race to take over a stale Lease is "held" by the winner', async () => {
    kube.seed(lease('crashed', 120_000));
    kube.intercept = (call) => {
      if (call.method === 'PUT' && call.path.includes('/leases/')) kube.seed(lease('winner', 0));
      return undefined;
    };
    const r = await sync(yaml(cp('a')));
    expect(r.errors[0]).toMatch(/held by "winner"/);
  });

  test('a lock taken over during the run: the run stops writing and leaves the new holder its Lease', async () => {
    let writes = 0;
    const r = await sync(yaml(cp('l1'), cp('l2'), cp('l3')), {
      lock: { namespace: 'default', timeoutMs: 1000, holderIdentity: 'this-run' },
      onWrite: async () => {
        if (++writes !== 1) return;
        kube.seed({
          ...kube.objects.get(LEASE),
          spec: { ...kube.objects.get(LEASE).spec, holderIdentity: 'intruder' },
        });
        // Wait until a renewal (every third of the timeout) finds out.
        while (!logs.some((l) => l.msg === 'Lost the policy sync lock'))
          await new Promise((res) => setTimeout(res, 50));
      },
    });
    expect(r).toMatchObject({ success: false, applied: ['l1'] });
    expect(r.errors).toEqual([
      'the policy sync lock Lease default/jobforge-kyverno-policy-sync was taken over or deleted by another run',
    ]);
    expect(names()).toEqual(['l1']);
    expect(kube.objects.get(LEASE).spec.holderIdentity).toBe('intruder');
  });

  test('renewals keep the Lease fresh; a failed renewal that is not a conflict only warns', async () => {
    let writes = 0;
    let failOnce = true;
    kube.intercept = (call) => {
      if (call.method === 'PUT' && call.path.includes('/leases/') && failOnce) {
        failOnce = false;
        throw new Error('connection reset');
      }
      return undefined;
    };
    const r = await sync(yaml(cp('a'), cp('b')), {
      lock: { namespace: 'default', timeoutMs: 1000, holderIdentity: 'this-run' },
      onWrite: async () => {
        if (++writes !== 1) return;
        const renewals = () =>
          kube.calls.filter((c) => c.method === 'PUT' && c.path.includes('/leases/')).length;
        while (renewals() < 2) await new Promise((res) => setTimeout(res, 50));
      },
    });
    expect(r).toMatchObject({ success: true, applied: ['a', 'b'] });
    expect(logs.find((l) => l.msg === 'Could not renew the policy sync lock')?.fields).toEqual({
      error: 'connection reset',
    });
    expect(kube.objects.has(LEASE)).toBe(false);
  });

  test('a release that fails only warns (the Lease goes stale)', async () => {
    kube.intercept = (call) => {
      if (call.method === 'DELETE' && call.path.includes('/leases/')) throw new Error('apiserver gone');
      return undefined;
    };
    expect(await sync(yaml(cp('a')))).toMatchObject({ success: true });
    expect(logs.find((l) => l.msg.startsWith('Could not release the policy sync lock'))?.fields).toEqual({
      error: 'apiserver gone',
    });
  });

  test('no lock when lock is false', async () => {
    await sync(yaml(cp('a')), { lock: false });
    expect(kube.calls.some((c) => c.path.includes('leases'))).toBe(false);
  });

  test.each([[{ namespace: 'default', timeoutMs: 999 }, `'lock.timeoutMs' must be at least 1000, got 999`]])(
    'bad lock options %j',
    async (lock, message) => {
      await expect(sync('', { lock })).rejects.toThrow(message);
    },
  );

  test('LeaseLock.acquire refuses a timeout under 1s; assertHeld passes while held', async () => {
    await expect(LeaseLock.acquire(kube, { namespace: 'default', name: 'x', timeoutMs: 10 })).rejects.toThrow(
      `'lockTimeout' must be at least 1s, got 10 ms`,
    );
    const lock = await LeaseLock.acquire(kube, {
      namespace: 'default',
      name: 'x',
      timeoutMs: 5000,
      holderIdentity: 'h',
    });
    expect(() => lock.assertHeld()).not.toThrow();
    expect(kube.objects.get('coordination.k8s.io/leases/default/x').spec.holderIdentity).toBe('h');
    await expect(
      LeaseLock.acquire(kube, { namespace: 'default', name: 'x', timeoutMs: 5000 }),
    ).rejects.toThrow(LockHeldError);
    await lock.release();
    expect(kube.objects.has('coordination.k8s.io/leases/default/x')).toBe(false);
  });
});

describe('secrets the source knows are never printed', () => {
  test('an error echoing the token is redacted in the result and the logs', async () => {
    const failing: PolicySource = {
      description: 'test source',
      fetchYaml: async () => {
        throw new Error('upstream said: bad token s3cr3t-t0ken');
      },
      redact: (t) => t.split('s3cr3t-t0ken').join('[REDACTED]'),
    };
    const r = await sync('', { source: failing });
    expect(r.errors).toEqual(['upstream said: bad token [REDACTED]']);
    expect(JSON.stringify(logs)).not.toContain('s3cr3t-t0ken');
    expect(JSON.stringify(logs)).toContain('[REDACTED]');
  });

  test('a policy document quoting the token is redacted in the parse error', async () => {
    const r = await sync('', {
      source: source('token s3cr3t-t0ken is invalid', (t) => t.split('s3cr3t-t0ken').join('[REDACTED]')),
    });
    expect(r.errors[0]).toBe('test document 1 is not a Kubernetes object, got "token [REDACTED] is invalid"');
  });
});
