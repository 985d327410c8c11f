// UniqueJobPerImagePolicy against the real engines. A `kyverno test` suite (cli.kyverno.io/v1alpha1
// Test) is written from the synthesized policy, one Pod per image reference of the table and the
// Job expected for each Pod, named by the TypeScript uniqueJobName; the real Kyverno CLI looks the
// generated Job up BY NAME in the expected file and compares it field by field, so a pass proves
// Kyverno computes the same name (and the same Job) as TypeScript for every image. The generated
// Jobs and the policy are then dry-run (server-side, strict) against the test kube-apiserver.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import * as yaml from 'yaml';
import {
  UniqueJobPerImagePolicy,
  UniqueJobPerImagePolicyProps,
} from '../../constructs/unique-job-per-image-policy';
import { normalizeImage } from '../../core/image-reference';
import { uniqueJobName, uniqueJobNameJmesPath } from '../../core/unique-job-name';
import { e2eEnv } from '../support/e2e-env';
import { KubeObject, dryRunObject, ensureNamespace } from '../support/kube-api';
import { ECR, IMAGE_CASES } from '../support/unique-job-images';

const NAMESPACE = 'default';
const SCANNER = 'ghcr.io/acme/scanner:1.4';
const ALL_REFS = IMAGE_CASES.flatMap((c) => c.refs);

interface PodSpec {
  readonly name: string;
  readonly initImages?: readonly string[];
  readonly images: readonly string[];
}

interface KyvernoRun {
  readonly status: number | null;
  readonly output: string;
  /** Job names of the result rows. */
  readonly names: string[];
  /** RESULT column of every row (Pass, Fail, Skip...). */
  readonly results: string[];
  readonly passed: number;
  readonly failed: number;
}

function kyverno(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const bin = path.join(e2eEnv().binDir, 'kyverno');
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function synthPolicy(props: Partial<UniqueJobPerImagePolicyProps>) {
  const chart = Testing.chart();
  const policy = new UniqueJobPerImagePolicy(chart, 'Policy', {
    // $(VAR) is Kubernetes expansion, which Kyverno would read as a reference: the construct escapes it
    jobContainer: {
      image: SCANNER,
      command: ['sh', '-c', 'scan "$(TARGET_IMAGE)" $(echo x)'],
      args: ['--image=$(TARGET_IMAGE)', '$$(TARGET_IMAGE)'],
      env: { LITERAL: 'a\\$(B)' },
    },
    grantKyvernoPermissions: false,
    ...props,
  });
  return { policy, manifests: Testing.synth(chart) as KubeObject[] };
}

/** Writes a kyverno test suite; returns the Jobs expected per pod (first occurrence of a name wins). */
function writeSuite(
  dir: string,
  props: Partial<UniqueJobPerImagePolicyProps>,
  pods: readonly PodSpec[],
): { policy: UniqueJobPerImagePolicy; expected: Map<string, Record<string, unknown>[]> } {
  fs.mkdirSync(dir, { recursive: true });
  const { policy, manifests } = synthPolicy(props);
  fs.writeFileSync(path.join(dir, 'policy.yaml'), manifests.map((m) => yaml.stringify(m)).join('---\n'));
  const podObjects = pods.map((p) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: NAMESPACE },
    spec: {
      ...(p.initImages?.length
        ? { initContainers: p.initImages.map((image, i) => ({ name: `init-${i}`, image })) }
        : {}),
      containers: p.images.map((image, i) => ({ name: `c-${i}`, image })),
    },
  }));
  fs.writeFileSync(path.join(dir, 'resources.yaml'), podObjects.map((p) => yaml.stringify(p)).join('---\n'));
  const expected = new Map<string, Record<string, unknown>[]>();
  const results = pods.map((p) => {
    const images = props.allContainers ? [...(p.initImages ?? []), ...p.images] : [p.images[0]];
    const jobs = new Map<string, Record<string, unknown>>();
    for (const image of images) {
      const job = policy.renderJob({ image, podName: p.name, namespace: NAMESPACE });
      const name = (job.metadata as { name: string }).name;
      if (!jobs.has(name)) jobs.set(name, job);
    }
    expected.set(p.name, [...jobs.values()]);
    const file = `job-${p.name}.yaml`;
    fs.writeFileSync(path.join(dir, file), [...jobs.values()].map((j) => yaml.stringify(j)).join('---\n'));
    return {
      policy: policy.policyName,
      rule: policy.ruleName,
      kind: 'Pod',
      resources: [p.name],
      result: 'pass',
      generatedResource: file,
    };
  });
  const test = {
    apiVersion: 'cli.kyverno.io/v1alpha1',
    kind: 'Test',
    metadata: { name: path.basename(dir) },
    policies: ['policy.yaml'],
    resources: ['resources.yaml'],
    results,
  };
  fs.writeFileSync(path.join(dir, 'kyverno-test.yaml'), yaml.stringify(test));
  return { policy, expected };
}

function runSuite(dir: string): KyvernoRun {
  const r = kyverno(['test', dir, '--remove-color']);
  const output = r.stdout + r.stderr;
  const names: string[] = [];
  const results: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const cells = line.split('│').map((c) => c.trim());
    // │ ID │ POLICY │ RULE │ RESOURCE │ RESULT │ REASON │ — RESOURCE is "/<job name>" for a generated Job
    if (cells.length >= 7 && /^[0-9]+$/.test(cells[1])) {
      names.push(cells[4].replace(/^.*\//, ''));
      results.push(cells[5]);
    }
  }
  const m = /Test Summary: ([0-9]+) tests passed and ([0-9]+) tests failed/.exec(r.stdout);
  return {
    status: r.status,
    output,
    names,
    results,
    passed: m ? Number(m[1]) : -1,
    failed: m ? Number(m[2]) : -1,
  };
}

/** Exit 0, nothing failed, and every row a Pass (kyverno counts a skipped "Invalid Policy" row as passed). */
function expectAllPass(run: KyvernoRun): void {
  expect({
    status: run.status,
    failed: run.failed,
    notPass: run.results.filter((r) => r !== 'Pass'),
  }).toEqual({
    status: 0,
    failed: 0,
    notPass: [],
  });
  expect(run.results.length).toBe(run.passed);
}

/** One pod per reference of the table. */
const onePodPerRef: PodSpec[] = IMAGE_CASES.flatMap((c, i) =>
  c.refs.map((ref, j) => ({ name: `case-${i}-form-${j}`, images: [ref] })),
);

describe('UniqueJobPerImagePolicy with the real Kyverno CLI', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'jf-unique-job-'));
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the table covers at least 30 images and every form of each', () => {
    expect(IMAGE_CASES.length).toBeGreaterThanOrEqual(30);
    expect(onePodPerRef.length).toBe(ALL_REFS.length);
  });

  it('hashed names: Kyverno generates, for every image, the Job named by uniqueJobName', () => {
    const dir = path.join(root, 'hashed');
    writeSuite(dir, {}, onePodPerRef);
    const run = runSuite(dir);
    expectAllPass(run);
    expect(run.passed).toBe(onePodPerRef.length);
    // every form of an image -> one name; distinct images -> distinct names, as Kyverno computed them
    expect(run.names.length).toBe(onePodPerRef.length);
    const expectedNames = IMAGE_CASES.map((c) => uniqueJobName(c.refs[0]));
    expect(new Set(run.names)).toEqual(new Set(expectedNames));
    expect(new Set(run.names).size).toBe(IMAGE_CASES.length);
  });

  it('fails when an expected name differs from what Kyverno computes (the check can fail)', () => {
    const dir = path.join(root, 'tampered');
    writeSuite(dir, {}, onePodPerRef.slice(0, 3));
    const file = path.join(dir, `job-${onePodPerRef[1].name}.yaml`);
    const name = uniqueJobName(onePodPerRef[1].images[0]);
    const last = name.slice(-1) === '0' ? '1' : '0';
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(name, name.slice(0, -1) + last));
    const run = runSuite(dir);
    expect(run.status).not.toBe(0);
    expect(run.failed).toBe(1);
    expect(run.passed).toBe(2);
    expect(run.results).toEqual(['Pass', 'Fail', 'Pass']);
  });

  it('legacy names: Kyverno reproduces the original naming, collisions included', () => {
    const dir = path.join(root, 'legacy');
    writeSuite(dir, { naming: 'legacy' }, onePodPerRef);
    const run = runSuite(dir);
    expectAllPass(run);
    expect(run.passed).toBe(onePodPerRef.length);
    const ecrA = uniqueJobName(`${ECR}/team-a/api:v1`, { naming: 'legacy' });
    expect(ecrA).toBe(uniqueJobName(`${ECR}/team-b/web:v2`, { naming: 'legacy' }));
    expect(run.names.filter((n) => n === ecrA).length).toBeGreaterThanOrEqual(2);
  });

  it('allContainers: one Job per distinct image of every container and init container', () => {
    // pods of up to 4 references: the first as an init container, the rest as containers
    const pods: PodSpec[] = [];
    for (let i = 0; i < ALL_REFS.length; i += 4) {
      const refs = ALL_REFS.slice(i, i + 4);
      pods.push({
        name: `multi-${i / 4}`,
        initImages: refs.slice(0, 1),
        images: refs.slice(1).length ? refs.slice(1) : refs,
      });
    }
    const dir = path.join(root, 'all-containers');
    const { expected } = writeSuite(dir, { allContainers: true }, pods);
    const run = runSuite(dir);
    expectAllPass(run);
    const expectedNames = [...expected.values()].flat().map((j) => (j.metadata as { name: string }).name);
    expect(run.passed).toBe(expectedNames.length);
    expect(run.names.sort()).toEqual(expectedNames.sort());
    expect(new Set(run.names)).toEqual(new Set(IMAGE_CASES.map((c) => uniqueJobName(c.refs[0]))));
  });

  it('kyverno jp: image_normalize and the name expressions equal normalizeImage and uniqueJobName', () => {
    const input = path.join(root, 'images.json');
    fs.writeFileSync(input, JSON.stringify({ images: ALL_REFS }));
    const queries = [
      'map(&image_normalize(@), images)',
      `map(&${uniqueJobNameJmesPath('@')}, images)`,
      `map(&${uniqueJobNameJmesPath('@', { naming: 'legacy' })}, images)`,
      `map(&${uniqueJobNameJmesPath('@', { hashLength: 20 })}, images)`,
    ];
    const r = kyverno(['jp', 'query', '-i', input, ...queries]);
    expect(r.status).toBe(0);
    // output: "# <query>\n<json>" per query
    const blocks = r.stdout
      .split(/^# .*$/m)
      .map((b) => b.trim())
      .filter((b) => b !== '')
      .map((b) => JSON.parse(b) as string[]);
    expect(blocks).toEqual([
      ALL_REFS.map(normalizeImage),
      ALL_REFS.map((ref) => uniqueJobName(ref)),
      ALL_REFS.map((ref) => uniqueJobName(ref, { naming: 'legacy' })),
      ALL_REFS.map((ref) => uniqueJobName(ref, { hashLength: 20 })),
    ]);
  });

  it.each(['', 'Nginx', 'nginx:', `nginx@sha256:${'A'.repeat(64)}`, 'a___b/c', 'a'.repeat(256)])(
    'kyverno jp: image_normalize rejects %j as normalizeImage does',
    (ref) => {
      const input = path.join(root, 'bad.json');
      fs.writeFileSync(input, JSON.stringify({ image: ref }));
      const r = kyverno(['jp', 'query', '-i', input, 'image_normalize(image)']);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("JMESPath function 'image_normalize'");
      expect(() => normalizeImage(ref)).toThrow(`invalid image reference ${JSON.stringify(ref)}`);
    },
  );
});

describe('UniqueJobPerImagePolicy on the test kube-apiserver (server-side dry-run)', () => {
  const { kubeconfig } = e2eEnv();
  beforeAll(async () => {
    await ensureNamespace(kubeconfig, NAMESPACE);
  });

  it('accepts the ClusterPolicy (every variant) and the Kyverno ClusterRole', async () => {
    const accepted: string[] = [];
    for (const props of [
      { grantKyvernoPermissions: true },
      { naming: 'legacy' as const },
      { allContainers: true },
    ]) {
      for (const obj of synthPolicy(props).manifests) {
        const out = await dryRunObject(kubeconfig, obj);
        accepted.push(`${out.kind}/${out.metadata.name}`);
      }
    }
    expect(accepted).toEqual([
      'ClusterPolicy/generate-unique-job-per-image',
      'ClusterRole/kyverno:generate-unique-job-per-image:jobs',
      'ClusterPolicy/generate-unique-job-per-image',
      'ClusterPolicy/generate-unique-job-per-image',
    ]);
  });

  it('accepts the generated Job of every image of the table', async () => {
    const { policy } = synthPolicy({});
    const rejected: string[] = [];
    for (const c of IMAGE_CASES) {
      const job = policy.renderJob({
        image: c.refs[0],
        podName: 'web-1',
        namespace: NAMESPACE,
      }) as KubeObject;
      try {
        const out = await dryRunObject(kubeconfig, job);
        expect(out.metadata.name).toBe(uniqueJobName(c.refs[0]));
      } catch (e) {
        rejected.push((e as Error).message);
      }
    }
    expect(rejected).toEqual([]);
  });

  it('rejects the legacy names the hashed naming fixes', async () => {
    const { policy } = synthPolicy({ naming: 'legacy' });
    for (const image of ['nginx:1.25-RC1', `${ECR}/team-a/api:v1`]) {
      const job = policy.renderJob({ image, podName: 'web-1', namespace: NAMESPACE }) as KubeObject;
      await expect(dryRunObject(kubeconfig, job)).rejects.toThrow('rejected (422)');
    }
  });
});
