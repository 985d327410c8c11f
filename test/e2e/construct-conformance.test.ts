// Construct conformance (issue 8): for every row of the generated table, the construct's verdict
// (builds / throws) equals kube-apiserver's verdict on what it would synthesize: every object
// dry-run with dryRun=All and fieldValidation=Strict, and no two objects with one kind and name.
// Rows where jobforge is stricter by design carry the reason; any other difference fails.
import { isDeepStrictEqual } from 'node:util';
import { e2eEnv } from '../support/e2e-env';
import { applyObject, ensureNamespace, kubeRequest } from '../support/kube-api';
import {
  ConformanceFamily,
  ConformanceRow,
  Manifest,
  NAMESPACE,
  conformanceFamilies,
  synthesize,
} from '../support/conformance-table';

/** At most this many dry-run requests in flight (the apiserver shares 2 cores with the tests). */
const CONCURRENCY = 8;

function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

class DryRunner {
  private readonly resources = new Map<string, Promise<ApiResource[]>>();
  private readonly namespaces = new Map<string, Promise<string | undefined>>();
  private readonly limit = limiter(CONCURRENCY);
  public requests = 0;

  public constructor(private readonly kubeconfig: string) {}

  private base(apiVersion: string): string {
    return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  }

  private async resource(obj: Manifest): Promise<ApiResource> {
    const base = this.base(obj.apiVersion);
    let list = this.resources.get(base);
    if (list === undefined) {
      list = kubeRequest(this.kubeconfig, 'GET', base).then(
        (r) => r.json<{ resources: ApiResource[] }>().resources,
      );
      this.resources.set(base, list);
    }
    const found = (await list).find((r) => r.kind === obj.kind && !r.name.includes('/'));
    if (!found) throw new Error(`kind ${obj.kind} is not served in ${obj.apiVersion}`);
    return found;
  }

  /** Creates the namespace for real, once (apply order: a Namespace before what lives in it). */
  private namespace(name: string): Promise<string | undefined> {
    let p = this.namespaces.get(name);
    if (p === undefined) {
      p = this.limit(() => ensureNamespace(this.kubeconfig, name)).then(
        () => undefined,
        (e: Error) => e.message,
      );
      this.namespaces.set(name, p);
    }
    return p;
  }

  /** The apiserver's rejection of `obj`, or undefined when a strict dry-run create accepts it. */
  public async dryRun(obj: Manifest): Promise<string | undefined> {
    const r = await this.resource(obj);
    if (r.namespaced) {
      const ns = obj.metadata.namespace ?? 'default';
      const nsError = await this.namespace(ns);
      if (nsError !== undefined) return nsError;
    }
    const nsPath = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    const q = 'dryRun=All&fieldValidation=Strict&fieldManager=jobforge-conformance';
    return this.limit(async () => {
      this.requests++;
      const res = await kubeRequest(
        this.kubeconfig,
        'POST',
        `${this.base(obj.apiVersion)}${nsPath}/${r.name}?${q}`,
        obj,
      );
      if (res.status === 409) {
        return applyObject(this.kubeconfig, obj, { dryRun: true }).then(
          () => undefined,
          (e: Error) => e.message,
        );
      }
      if (res.status >= 300) return `${obj.kind} ${obj.metadata.name}: ${res.body.slice(0, 400)}`;
      return undefined;
    });
  }

  /** The apiserver's verdict on a set of objects applied together. */
  public async verdict(objects: Manifest[]): Promise<string | undefined> {
    const keys = new Set<string>();
    for (const o of objects) {
      const key = `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      if (keys.has(key)) return `two objects are ${key}: the second apply replaces the first`;
      keys.add(key);
    }
    const errors = await Promise.all(objects.map((o) => this.dryRun(o)));
    return errors.find((e) => e !== undefined);
  }
}

const keyed = (objects: Manifest[]): Record<string, Manifest> =>
  Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));

interface RowResult {
  readonly row: ConformanceRow;
  readonly construct: string | undefined; // the construct's error, or undefined when it builds
  readonly apiserver: string | undefined; // the apiserver's rejection, or undefined when it accepts
  readonly patchMismatch: boolean;
}

async function runRow(runner: DryRunner, family: ConformanceFamily, base: Manifest[], row: ConformanceRow) {
  const built = synthesize(family, { ...family.base, ...row.props });
  const expected = JSON.parse(JSON.stringify(base)) as Manifest[];
  row.patch(expected);
  const objects = 'objects' in built ? built.objects : expected;
  const patchMismatch = 'objects' in built && !isDeepStrictEqual(keyed(built.objects), keyed(expected));
  const apiserver = await runner.verdict(objects);
  return {
    row,
    construct: 'error' in built ? built.error.message : undefined,
    apiserver,
    patchMismatch,
  } satisfies RowResult;
}

const verdict = (error: string | undefined): string => (error === undefined ? 'accepts' : 'rejects');

describe('construct conformance with kube-apiserver', () => {
  const { kubeconfig } = e2eEnv();

  test('every row: the construct builds exactly when the apiserver accepts, unless stricter by design', async () => {
    const started = Date.now();
    await ensureNamespace(kubeconfig, NAMESPACE);
    const runner = new DryRunner(kubeconfig);
    const families = conformanceFamilies();
    const differences: string[] = [];
    const mismatches: string[] = [];
    const summary: Record<string, unknown>[] = [];
    const stricterReasons = new Map<string, number>();

    for (const family of families) {
      const base = synthesize(family, family.base);
      if (!('objects' in base))
        throw new Error(`${family.name}: the base props do not build: ${base.error.message}`);
      expect(await runner.verdict(base.objects)).toBeUndefined();
      const results = await Promise.all(family.rows.map((row) => runRow(runner, family, base.objects, row)));
      let agree = 0;
      let stricter = 0;
      for (const r of results) {
        const where = `${family.name} ${r.row.label}`;
        if (r.patchMismatch) mismatches.push(where);
        const c = verdict(r.construct);
        const a = verdict(r.apiserver);
        if (r.row.stricterBecause !== undefined) {
          if (c === 'rejects' && a === 'accepts') {
            stricter++;
            stricterReasons.set(r.row.stricterBecause, (stricterReasons.get(r.row.stricterBecause) ?? 0) + 1);
          } else {
            differences.push(
              `${where}: marked stricter (${r.row.stricterBecause}) but construct ${c}, apiserver ${a}`,
            );
          }
        } else if (c === a) {
          agree++;
        } else {
          differences.push(
            `${where}: construct ${c}${r.construct ? ` (${r.construct.slice(0, 200)})` : ''}, apiserver ${a}${r.apiserver ? ` (${r.apiserver.slice(0, 300)})` : ''}`,
          );
        }
      }
      summary.push({
        family: family.name,
        rows: results.length,
        agree,
        'both reject': results.filter((r) => r.construct !== undefined && r.apiserver !== undefined).length,
        'stricter by design': stricter,
        differences: results.length - agree - stricter,
      });
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      [
        `construct conformance: ${summary.reduce((n, s) => n + (s.rows as number), 0)} rows, ${runner.requests} dry-run requests, ${seconds} s`,
        ...summary.map((s) => JSON.stringify(s)),
        'stricter by design:',
        ...[...stricterReasons].map(([why, n]) => `  ${n} × ${why}`),
        ...(differences.length ? ['differences:', ...differences.map((d) => `  ${d}`)] : []),
        ...(mismatches.length ? ['patch mismatches:', ...mismatches.map((d) => `  ${d}`)] : []),
      ].join('\n'),
    );
    // At least 200 rows per family.
    for (const family of families) {
      expect([family.name, family.rows.length >= 200]).toEqual([family.name, true]);
    }
    expect(mismatches).toEqual([]);
    expect(differences).toEqual([]);
  });
});
