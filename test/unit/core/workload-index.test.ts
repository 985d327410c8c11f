import {
  collectWorkloadImages,
  imageUsesOf,
  WorkloadIndex,
  WorkloadIndexCache,
  WorkloadKind,
  WorkloadLister,
  WorkloadObject,
} from '../../../core/workload-index';

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

const deployment = (ns: string, name: string, image: string): WorkloadObject => ({
  metadata: { namespace: ns, name },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
});

/** A lister over fixed objects, paginating like the apiserver and recording its calls. */
function fakeLister(objects: Partial<Record<WorkloadKind, WorkloadObject[]>>) {
  const calls: { kind: WorkloadKind; limit: number; token?: string }[] = [];
  const list: WorkloadLister = async (kind, limit, token) => {
    calls.push({ kind, limit, token });
    const all = objects[kind] ?? [];
    const start = token ? Number(token) : 0;
    const next = start + limit;
    return { items: all.slice(start, next), continueToken: next < all.length ? String(next) : '' };
  };
  return { list, calls };
}

describe('imageUsesOf', () => {
  test('reads containers, init containers and ephemeral containers of every kind', () => {
    const spec = {
      containers: [{ name: 'main', image: 'nginx:1.25' }],
      initContainers: [{ name: 'init', image: 'busybox' }],
      ephemeralContainers: [{ name: 'debug', image: 'alpine:3' }],
    };
    const meta = { namespace: 'ns', name: 'x' };
    expect(imageUsesOf('Pod', { metadata: meta, spec })).toEqual([
      {
        kind: 'Pod',
        namespace: 'ns',
        name: 'x',
        container: 'main',
        containerType: 'container',
        image: 'nginx:1.25',
      },
      {
        kind: 'Pod',
        namespace: 'ns',
        name: 'x',
        container: 'init',
        containerType: 'initContainer',
        image: 'busybox',
      },
      {
        kind: 'Pod',
        namespace: 'ns',
        name: 'x',
        container: 'debug',
        containerType: 'ephemeralContainer',
        image: 'alpine:3',
      },
    ]);
    expect(
      imageUsesOf('CronJob', { metadata: meta, spec: { jobTemplate: { spec: { template: { spec } } } } }),
    ).toHaveLength(3);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const) {
      expect(imageUsesOf(kind, { metadata: meta, spec: { template: { spec } } }).map((u) => u.kind)).toEqual([
        kind,
        kind,
        kind,
      ]);
    }
    expect(imageUsesOf('Deployment', { metadata: meta })).toEqual([]);
  });
});

describe('collectWorkloadImages', () => {
  test('follows continue tokens to the last page of every kind and counts one call per page', async () => {
    const deployments = Array.from({ length: 7 }, (_, i) => deployment('ns', `d${i}`, `${ECR}/app:v${i}`));
    const { list, calls } = fakeLister({ Deployment: deployments, Pod: [deployment('ns', 'p', 'x')] });
    const result = await collectWorkloadImages(list, { pageSize: 3 });
    expect(result.uses.filter((u) => u.kind === 'Deployment').map((u) => u.name)).toEqual(
      deployments.map((d) => d.metadata!.name),
    );
    expect(calls.filter((c) => c.kind === 'Deployment')).toEqual([
      { kind: 'Deployment', limit: 3, token: undefined },
      { kind: 'Deployment', limit: 3, token: '3' },
      { kind: 'Deployment', limit: 3, token: '6' },
    ]);
    // 3 pages of Deployments + 1 page for each of the 5 other kinds.
    expect(result.apiCalls).toBe(8);
    expect(calls).toHaveLength(8);
    expect(result.objects).toEqual({
      Deployment: 7,
      StatefulSet: 0,
      DaemonSet: 0,
      CronJob: 0,
      Job: 0,
      Pod: 1,
    });
  });

  test('restarts a kind once when its continue token expired (410)', async () => {
    const inner = fakeLister({ Job: Array.from({ length: 4 }, (_, i) => deployment('ns', `j${i}`, 'img')) });
    let failed = false;
    const list: WorkloadLister = async (kind, limit, token) => {
      if (kind === 'Job' && token === '2' && !failed) {
        failed = true;
        throw Object.assign(new Error('Gone'), { code: 410 });
      }
      return inner.list(kind, limit, token);
    };
    const result = await collectWorkloadImages(list, { pageSize: 2 });
    expect(result.uses.map((u) => u.name)).toEqual(['j0', 'j1', 'j2', 'j3']);
  });

  test('names the kind when a list call fails', async () => {
    const list: WorkloadLister = async (kind) => {
      if (kind === 'StatefulSet') throw new Error('forbidden');
      return { items: [] };
    };
    await expect(collectWorkloadImages(list)).rejects.toThrow('listing StatefulSets failed: forbidden');
  });

  test('rejects a bad page size', async () => {
    await expect(collectWorkloadImages(fakeLister({}).list, { pageSize: 0 })).rejects.toThrow(
      "'pageSize' must be a positive integer, got 0",
    );
  });
});

describe('WorkloadIndex', () => {
  const uses = [
    ...imageUsesOf('Pod', {
      metadata: { namespace: 'web', name: 'frontend-abc' },
      spec: { containers: [{ name: 'app', image: `${ECR}/webapp/frontend:v1.2.3` }] },
    }),
    ...imageUsesOf('Deployment', deployment('web', 'frontend', `${ECR}/webapp/frontend:v1.2.3`)),
    ...imageUsesOf('Deployment', deployment('dev', 'api', `${ECR}/webapp/api:dev-v2.0.0`)),
    ...imageUsesOf('StatefulSet', deployment('db', 'cache', 'redis')),
    ...imageUsesOf('Job', deployment('ops', 'pinned', `${ECR}/tools/migrate@sha256:${'a'.repeat(64)}`)),
  ];
  const index = new WorkloadIndex(uses);

  test('finds the exact image and names the owning workload first', () => {
    const found = index.findImage(`${ECR}/webapp/frontend:v1.2.3`);
    expect(found.map((u) => `${u.kind}/${u.namespace}/${u.name}/${u.container}`)).toEqual([
      'Deployment/web/frontend/app',
      'Pod/web/frontend-abc/app',
    ]);
    expect(index.findImage(`${ECR}/webapp/frontend:v1.2.4`)).toEqual([]);
    expect(index.size).toBe(5);
  });

  test('normalizes references: an implicit registry and latest tag match their explicit forms', () => {
    expect(index.findImage('docker.io/library/redis:latest').map((u) => u.name)).toEqual(['cache']);
    expect(index.findImage('redis').map((u) => u.name)).toEqual(['cache']);
  });

  test('matches a digest-pinned workload by the detected digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(index.findImage(`${ECR}/tools/migrate:v3`, digest).map((u) => u.name)).toEqual(['pinned']);
    expect(index.findImage(`${ECR}/tools/migrate:v3`, `sha256:${'b'.repeat(64)}`)).toEqual([]);
  });

  test('finds workloads by repository and tag prefix', () => {
    expect(index.findPrefix(`${ECR}/webapp/api`, 'dev').map((u) => u.name)).toEqual(['api']);
    expect(index.findPrefix(`${ECR}/webapp/api:dev-v9`, 'dev').map((u) => u.name)).toEqual(['api']);
    expect(index.findPrefix(`${ECR}/webapp/api`, 'prod')).toEqual([]);
  });

  test('uses the given tag prefix extraction', () => {
    const byRegex = new WorkloadIndex(uses, { tagPrefixOf: (t) => /^(dev|staging|prod)-/.exec(t)?.[1] });
    expect(byRegex.findPrefix(`${ECR}/webapp/api`, 'dev')).toHaveLength(1);
    expect(byRegex.findPrefix(`${ECR}/webapp/frontend`, 'v1')).toEqual([]);
    expect(index.findPrefix(`${ECR}/webapp/frontend`, 'v1')).toHaveLength(2);
  });
});

describe('WorkloadIndexCache', () => {
  test('reuses the index for cacheTtlSeconds, then rebuilds', async () => {
    let now = 1_000_000;
    const { list, calls } = fakeLister({ Deployment: [deployment('a', 'b', 'nginx:1')] });
    const cache = new WorkloadIndexCache(list, { cacheTtlSeconds: 60, now: () => now });
    const first = await cache.get();
    expect(first).toMatchObject({ cached: false, apiCalls: 6 });
    now += 59_000;
    const second = await cache.get();
    expect(second).toMatchObject({ cached: true, apiCalls: 0 });
    expect(second.index).toBe(first.index);
    expect(calls).toHaveLength(6);
    now += 2_000;
    expect(await cache.get()).toMatchObject({ cached: false, apiCalls: 6 });
    expect(calls).toHaveLength(12);
  });

  test('does not cache a failed build', async () => {
    let fail = true;
    const list: WorkloadLister = async () => {
      if (fail) throw new Error('connection refused');
      return { items: [] };
    };
    const cache = new WorkloadIndexCache(list);
    await expect(cache.get()).rejects.toThrow('connection refused');
    fail = false;
    await expect(cache.get()).resolves.toMatchObject({ cached: false });
  });

  test('rejects a negative TTL', () => {
    expect(() => new WorkloadIndexCache(fakeLister({}).list, { cacheTtlSeconds: -1 })).toThrow(
      "'cacheTtlSeconds' must be a number of seconds of at least 0, got -1",
    );
  });
});
