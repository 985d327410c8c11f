// The Job name expression the UniqueJobPerImagePolicy synthesizes, EVALUATED (not compared with a
// snapshot or with the function that printed it): a JMESPath engine with Kyverno's custom functions
// (test/support/kyverno-jmespath.ts) runs the generate rule's `name` over a Pod, and the result must
// be uniqueJobName(image) for every image of the shared table. The e2e suite runs the same policy in
// the real Kyverno CLI.
import { Testing } from 'cdk8s';
import {
  UniqueJobPerImagePolicy,
  type UniqueJobPerImagePolicyProps,
} from '../../../constructs/unique-job-per-image-policy';
import { uniqueJobName } from '../../../core/unique-job-name';
import { evaluateKyverno, kyvernoImageNormalize } from '../../support/kyverno-jmespath';
import { IMAGE_CASES } from '../../support/unique-job-images';

// and slugs that end in `-` where they are cut (46 characters; 38 with hashLength 20): trim runs
const CUT_AT_A_DASH = [
  `ghcr.io/${'a'.repeat(45)}/b:1`,
  `ghcr.io/${'a'.repeat(44)}__b:1`,
  `ghcr.io/${'a'.repeat(37)}/b:1`,
  `ghcr.io/${'a'.repeat(36)}.b:1`,
];
const IMAGES = [...IMAGE_CASES.flatMap((c) => c.refs), ...CUT_AT_A_DASH];

function generateRule(props: Partial<UniqueJobPerImagePolicyProps> = {}) {
  const chart = Testing.chart();
  new UniqueJobPerImagePolicy(chart, 'Policy', {
    jobContainer: { image: 'ghcr.io/acme/scanner:1.4' },
    ...props,
  });
  const cp = Testing.synth(chart).find((m) => m.kind === 'ClusterPolicy');
  return cp.spec.rules[0].generate;
}

const pod = (containers: string[], initContainers: string[] = []) => ({
  request: {
    object: {
      metadata: { name: 'p', namespace: 'team-a' },
      spec: {
        ...(initContainers.length > 0 ? { initContainers: initContainers.map((image) => ({ image })) } : {}),
        containers: containers.map((image, i) => ({ name: `c${i}`, image })),
      },
    },
  },
});

describe("Kyverno's functions as written for the tests", () => {
  test.each([
    ['nginx', 'docker.io/nginx:latest'],
    ['library/nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['index.docker.io/nginx', 'index.docker.io/nginx:latest'],
    ['localhost/tools/jq', 'localhost/tools/jq:latest'],
    ['localhost:5000', 'docker.io/localhost:5000'],
    ['ghcr.io/org/tool:v1@sha256:abc', 'ghcr.io/org/tool@sha256:abc'],
    ['Registry.Example.com/app:1', 'Registry.Example.com/app:1'],
  ])('image_normalize(%j) = %j', (image, normalized) => {
    expect(kyvernoImageNormalize(image)).toBe(normalized);
  });

  test('truncate, trim, regex_replace_all, replace_all, to_lower, sha256', () => {
    expect(evaluateKyverno("truncate('abcdef', `3`)", {})).toBe('abc');
    expect(evaluateKyverno("truncate('ab', `3`)", {})).toBe('ab');
    expect(evaluateKyverno("trim('--a-b--', '-')", {})).toBe('a-b');
    expect(
      evaluateKyverno(
        "regex_replace_all('^docker[.]io/([^/]+)$', 'docker.io/x:1', 'docker.io/library/$1')",
        {},
      ),
    ).toBe('docker.io/library/x:1');
    expect(evaluateKyverno("replace_all('a/b/c', '/', '-')", {})).toBe('a-b-c');
    expect(evaluateKyverno("to_lower('AbC')", {})).toBe('abc');
    expect(evaluateKyverno("sha256('abc')", {})).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('the generate rule name, evaluated as Kyverno would', () => {
  test.each(IMAGES)('hashed (default) on containers[0]: %s', (image) => {
    const g = generateRule();
    expect(evaluateKyverno(g.name, pod([image, 'busybox:1.36']))).toBe(uniqueJobName(image));
  });

  test.each(IMAGES)('hashed, hashLength 20: %s', (image) => {
    const g = generateRule({ hashLength: 20 });
    expect(evaluateKyverno(g.name, pod([image]))).toBe(uniqueJobName(image, { hashLength: 20 }));
  });

  test.each(IMAGES)('hashed with allContainers (foreach element): %s', (image) => {
    const g = generateRule({ allContainers: true });
    const entry = g.foreach[0];
    const data = pod(['busybox:1.36', image], ['alpine:3.19']);
    const elements = evaluateKyverno(entry.list, data) as Array<{ image: string }>;
    expect(elements.map((e) => e.image)).toEqual(['alpine:3.19', 'busybox:1.36', image]);
    const names = elements.map((element) => evaluateKyverno(entry.name, { ...data, element }));
    expect(names).toEqual(['alpine:3.19', 'busybox:1.36', image].map((i) => uniqueJobName(i)));
  });

  test.each(IMAGES)('legacy naming: %s', (image) => {
    const g = generateRule({ naming: 'legacy' });
    expect(evaluateKyverno(g.name, pod([image]))).toBe(uniqueJobName(image, { naming: 'legacy' }));
  });

  test('a slug cut at a dash is trimmed (the name never has "--" before the hash)', () => {
    for (const [image, hashLength] of [
      [CUT_AT_A_DASH[0], 12],
      [CUT_AT_A_DASH[2], 20],
    ] as const) {
      const name = evaluateKyverno(generateRule({ hashLength }).name, pod([image])) as string;
      expect(name).toMatch(new RegExp(`^img-a+-[0-9a-f]{${hashLength}}$`));
    }
  });

  test('equivalent references evaluate to one name, distinct images to distinct names', () => {
    const g = generateRule();
    const names = IMAGE_CASES.map((c) => new Set(c.refs.map((r) => evaluateKyverno(g.name, pod([r])))));
    for (const set of names) expect(set.size).toBe(1);
    expect(new Set(names.map((s) => [...s][0])).size).toBe(IMAGE_CASES.length);
  });
});
