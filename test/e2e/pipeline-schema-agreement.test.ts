// The ImageResourcePolicy CRD (derived from the one pipeline schema) and the validator agree: a
// generated table of specs, valid and invalid, is submitted to the real apiserver (server-side
// dry run against the installed CRD, fieldValidation=Strict) and to validateImageResourcePolicySpec.
// Both accept (with the same defaults applied) or both reject. The one intentional difference — the validator also compiles regexes,
// ranges and globs, which the apiserver cannot — is asserted separately at the end.
import fc from 'fast-check';
import { Chart, Testing } from 'cdk8s';
import { ImageResourceCrds } from '../../constructs/image-resource-crds';
import { validateImageResourcePolicySpec } from '../../core/pipeline/validate';
import { dryRunObject, installCrds, KubeObject } from '../support/kube-api';
import { e2eEnv } from '../support/e2e-env';

/** Mostly valid values, sometimes an invalid one, sometimes absent. */
const field = (valid: unknown[], invalid: unknown[], absent = true): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...invalid) },
    ...(absent ? [{ weight: 3, arbitrary: fc.constant(undefined) }] : []),
  );

/** An object without its undefined fields (as a YAML or JSON document would be). */
const record = (shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(shape).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));

/** Usually exactly one of `choices`, sometimes none or two. */
const oneOfFields = (choices: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .oneof(
      { weight: 8, arbitrary: fc.constantFrom(...Object.keys(choices)).map((k) => [k]) },
      { weight: 2, arbitrary: fc.subarray(Object.keys(choices)) },
    )
    .chain((keys) => record(Object.fromEntries(keys.map((k) => [k, choices[k]]))));

const order = field(['asc', 'desc'], ['up', 1]);
const ecrRepository = fc
  .tuple(
    record({
      region: field(['us-east-1', 'eu-west-1'], ['', 'Europe', 42], false),
      registryId: field(['123456789012'], ['123', 123456789012]),
      maxRepositories: field([1, 50, 200], [0, 201, 2.5, '10']),
      maxConcurrentScans: field([1, 10, 50], [0, 51]),
      scanTimeout: field(['5m', '90s', '1h30m', '24h', '1s', '1.5h'], ['0s', '25h', '5 m', '300', 300]),
      // a typo: an unknown field
      repositoryPatern: fc.oneof(
        { weight: 12, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant('team-a/*') },
      ),
    }),
    oneOfFields({
      repositoryPattern: field(['team-a/*', 'service-*', '**'], ['', 7], false),
      imageNamePattern: field(['nginx-*', '*-service'], [''], false),
      imagePattern: field(['team-a/*:v*', '*/nginx:stable-*'], [''], false),
    }),
  )
  .map(([a, b]) => ({ ...a, ...b }));
const policy = fc
  .tuple(
    record({ perRepository: field([true, false], ['yes', 0]) }),
    oneOfFields({
      semver: record({ range: field(['>=1.0.0', '~1.2.0', '^2'], ['', 12], false) }),
      alphabetical: record({ order }),
      numerical: record({ order }),
      pattern: record({
        regex: field(['^v(\\d+)$', '^(dev|staging|prod)-v\\d+\\.\\d+\\.\\d+$'], ['', 5], false),
        extract: field(['$1'], [1]),
        extractPrefix: field([true, false], ['$1', 'true']),
        compareAs: field(['semver', 'numerical', 'alphabetical'], ['natural']),
        order,
      }),
    }),
  )
  .map(([a, b]) => ({ ...a, ...b }));
const spec = record({
  ecrRepository: fc.oneof(
    { weight: 12, arbitrary: ecrRepository },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'us-east-1') },
  ),
  policy,
  templateRef: field(
    [{ name: 'webapp' }, { name: 'webapp', namespace: 'apps' }],
    [{}, { name: '' }, 'webapp'],
    false,
  ),
  aws: field(
    [{ roleArn: 'arn:aws:iam::123456789012:role/ECRReadRole' }, { secretRef: { name: 'aws-credentials' } }],
    [{ roleArn: 'role/x' }, { secretRef: {} }, { region: 'us-east-1' }],
  ),
  suspend: field([true, false], ['no']),
  ttlDays: field([0, 7, 365, 1.5], [-1, 366, '7']),
});

/** The generated table: deterministic (fixed seed), deduplicated. */
function table(): Record<string, unknown>[] {
  const seen = new Set<string>();
  return fc.sample(spec, { seed: 20261201, numRuns: 240 }).filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const policyObject = (name: string, s: Record<string, unknown>): KubeObject => ({
  apiVersion: 'automation.gitops.io/v1beta1',
  kind: 'ImageResourcePolicy',
  metadata: { name, namespace: 'default' },
  spec: s,
});

type Verdict = { ok: true; spec: unknown } | { ok: false; message: string };

async function apiserver(kubeconfig: string, name: string, s: Record<string, unknown>): Promise<Verdict> {
  try {
    const stored = (await dryRunObject(kubeconfig, policyObject(name, s))) as KubeObject & { spec: unknown };
    return { ok: true, spec: stored.spec };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function validator(s: Record<string, unknown>): Verdict {
  try {
    return { ok: true, spec: JSON.parse(JSON.stringify(validateImageResourcePolicySpec(s))) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe('the ImageResourcePolicy CRD and the validator agree (one schema)', () => {
  const { kubeconfig } = e2eEnv();

  beforeAll(async () => {
    const chart = new Chart(Testing.app(), 'crds');
    new ImageResourceCrds(chart, 'Crds');
    await installCrds(kubeconfig, Testing.synth(chart) as KubeObject[]);
  });

  it('on a generated table of valid and invalid specs', async () => {
    const specs = table();
    const disagreements: string[] = [];
    let accepted = 0;
    let rejected = 0;
    for (const [i, s] of specs.entries()) {
      const server = await apiserver(kubeconfig, `agree-${i}`, s);
      const ours = validator(s);
      if (server.ok && ours.ok) {
        accepted++;
        // The same defaults, applied by the apiserver and by the validator.
        if (JSON.stringify(server.spec) !== JSON.stringify(ours.spec)) {
          try {
            expect(ours.spec).toEqual(server.spec);
          } catch {
            disagreements.push(
              `${JSON.stringify(s)}: defaults differ: ${JSON.stringify(server.spec)} vs ${JSON.stringify(ours.spec)}`,
            );
          }
        }
      } else if (!server.ok && !ours.ok) {
        // Both reject. (Which error each names first may differ when a spec has several: the
        // apiserver stops at unknown fields before checking types, and skips CEL rules then.)
        rejected++;
      } else {
        disagreements.push(
          `${JSON.stringify(s)}: apiserver ${server.ok ? 'accepts' : `rejects (${server.message})`}, validator ${ours.ok ? 'accepts' : `rejects (${ours.message})`}`,
        );
      }
    }
    console.log(
      `${specs.length} generated specs: ${accepted} accepted by both, ${rejected} rejected by both`,
    );
    expect(disagreements).toEqual([]);
    // The table exercises both sides.
    expect(accepted).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });

  it('the old disagreements are gone: defaults, order, extractPrefix and limits are the same on both sides', async () => {
    const base = {
      ecrRepository: { region: 'us-east-1', repositoryPattern: 'webapp/*' },
      templateRef: { name: 'webapp' },
    };
    const both = async (s: Record<string, unknown>): Promise<[Verdict, Verdict]> => [
      await apiserver(kubeconfig, 'old-disagreements', s),
      validator(s),
    ];
    // perRepository defaults to false and order to desc (the latest) on both sides
    const [server, ours] = await both({ ...base, policy: { alphabetical: {} } });
    expect(server).toEqual(ours);
    expect(ours).toMatchObject({
      ok: true,
      spec: { policy: { perRepository: false, alphabetical: { order: 'desc' } } },
    });
    // extractPrefix is a boolean on both sides
    const prefix = await both({
      ...base,
      policy: { pattern: { regex: '^(dev|staging|prod)-v\\d+\\.\\d+\\.\\d+$', extractPrefix: true } },
    });
    expect(prefix[0]).toEqual(prefix[1]);
    expect(prefix[1].ok).toBe(true);
    const prefixString = await both({
      ...base,
      policy: { pattern: { regex: '^(dev)-', extractPrefix: '$1' } },
    });
    expect([prefixString[0].ok, prefixString[1].ok]).toEqual([false, false]);
    // the same limits
    for (const ecr of [{ maxRepositories: 201 }, { maxConcurrentScans: 51 }]) {
      const r = await both({
        ...base,
        ecrRepository: { ...base.ecrRepository, ...ecr },
        policy: { numerical: {} },
      });
      expect([r[0].ok, r[1].ok]).toEqual([false, false]);
    }
    const ttl = await both({ ...base, policy: { numerical: {} }, ttlDays: 366 });
    expect([ttl[0].ok, ttl[1].ok]).toEqual([false, false]);
  });

  it('the intentional difference: the validator also compiles what the apiserver only stores', async () => {
    const base = {
      ecrRepository: { region: 'us-east-1', repositoryPattern: 'webapp/*' },
      templateRef: { name: 'webapp' },
    };
    for (const [s, message] of [
      [
        { ...base, policy: { pattern: { regex: '^(?!latest)' } } },
        "'policy.pattern.regex' is not a valid regular expression",
      ],
      [
        { ...base, policy: { semver: { range: 'one point oh' } } },
        "'policy.semver.range' is not a valid semver range",
      ],
      [
        { ...base, policy: { pattern: { regex: '^dev-', extractPrefix: true } } },
        "'policy.pattern.extractPrefix' takes the regex's first capture group",
      ],
      [
        {
          ...base,
          ecrRepository: { region: 'us-east-1', repositoryPattern: 'Team/*' },
          policy: { numerical: {} },
        },
        '\'ecrRepository.repositoryPattern\' contains "T"',
      ],
    ] as const) {
      expect((await apiserver(kubeconfig, 'stricter', s)).ok).toBe(true);
      expect(() => validateImageResourcePolicySpec(s)).toThrow(message);
    }
  });
});
