// One pod model (issue 9): every construct renders its containers and pods through
// constructs/pod, with one security-context default, one resource default and check, one integer
// check, one image rule (core/image-reference) and the DNS rules only in core/dns-name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { DaemonJobController } from '../../../constructs/daemon-job-controller';
import { ImageResourceController } from '../../../constructs/image-resource-controller';
import { KubernetesJob } from '../../../constructs/kubernetes-job';
import { KyvernoPolicySync } from '../../../constructs/kyverno-policy-sync';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../../constructs/pod';
import { UniqueJobPerImagePolicy } from '../../../constructs/unique-job-per-image-policy';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.generated.ts'))
    .map((f) => path.join(dir, f));
}
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('one pod model: no copies in the sources', () => {
  test('the DNS-1123 regexes are written only in core/dns-name.ts', () => {
    const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
    const copies = ['core', 'constructs', 'stacks', 'bin']
      .flatMap(sources)
      .filter((f) => f !== path.join('core', 'dns-name.ts') && read(f).includes(dnsLabel));
    expect(copies).toEqual([]);
  });

  test('no construct outside constructs/pod writes containers, security contexts or quantities itself', () => {
    const rendering = /\bcontainers: \[|allowPrivilegeEscalation|seccompProfile|Quantity\.fromString/;
    const outside = sources('constructs').filter(
      (f) => !f.startsWith(path.join('constructs', 'pod') + path.sep) && rendering.test(read(f)),
    );
    expect(outside).toEqual([]);
  });
});

describe('one pod model: the same defaults and rules everywhere', () => {
  function kubernetesJobPod(): Manifest {
    const chart = Testing.chart();
    new KubernetesJob(chart, 'Job', { name: 'job', image: IMAGE });
    return Testing.synth(chart)[0].spec.template.spec;
  }

  test('the Kyverno job template has the security contexts and resources of a KubernetesJob', () => {
    const chart = Testing.chart();
    const policy = new UniqueJobPerImagePolicy(chart, 'P', { jobContainer: { image: IMAGE } });
    const job = policy.renderJob({ image: 'nginx:1', podName: 'p', namespace: 'default' }) as Manifest;
    const pod = job.spec.template.spec;
    const reference = kubernetesJobPod();
    expect(pod.securityContext).toEqual(reference.securityContext);
    expect(pod.containers[0].securityContext).toEqual(reference.containers[0].securityContext);
    expect(pod.containers[0].resources).toEqual(reference.containers[0].resources);
    expect(pod.securityContext).toEqual(restrictedPodSecurityContext());
    expect(pod.containers[0].securityContext).toEqual(restrictedContainerSecurityContext());
  });

  test('the controller Deployments run with the restricted defaults (plus their user and group)', () => {
    const chart = Testing.chart();
    new ImageResourceController(chart, 'C', {
      detectionImage: IMAGE,
      creationImage: IMAGE,
      installCrds: false,
    });
    new DaemonJobController(chart, 'D', { image: IMAGE, installCrd: false });
    const deployments = Testing.synth(chart).filter((m: Manifest) => m.kind === 'Deployment');
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const user = pod.securityContext.runAsUser;
      expect([65532, 1000]).toContain(user);
      expect(pod.automountServiceAccountToken).toBe(true);
      expect(pod.securityContext).toEqual(
        restrictedPodSecurityContext({ runAsUser: user, runAsGroup: user }),
      );
      const { privileged, ...restricted } = restrictedContainerSecurityContext();
      expect(privileged).toBe(false);
      expect(pod.containers[0].securityContext).toEqual(restricted);
    }
  });

  test.each<[string, (image: string) => void, string]>([
    ['KubernetesJob', (image) => new KubernetesJob(Testing.chart(), 'J', { image }), 'image'],
    [
      'UniqueJobPerImagePolicy',
      (image) => new UniqueJobPerImagePolicy(Testing.chart(), 'P', { jobContainer: { image } }),
      'jobContainer.image',
    ],
    [
      'ImageResourceController',
      (image) =>
        new ImageResourceController(Testing.chart(), 'C', { detectionImage: image, creationImage: IMAGE }),
      'detectionImage',
    ],
    [
      'KyvernoPolicySync',
      (image) => new KyvernoPolicySync(Testing.chart(), 'S', { insights: { secretName: 'insights' }, image }),
      'image',
    ],
  ])('%s refuses images by the one rule of core/image-reference', (_name, build, field) => {
    expect(() => build('busybox')).toThrow(
      `'${field}' must name a tag or a digest (no implicit :latest), got "busybox"`,
    );
    expect(() => build('Acme/App:1')).toThrow(
      `'${field}' must be a full image reference, got "Acme/App:1": invalid image reference "Acme/App:1": repository name must be lowercase`,
    );
  });

  test('one integer check: the same message for the same field of two constructs', () => {
    const message = `'backoffLimit' must be an integer from 0 to 2147483647, got -1`;
    expect(() => new KubernetesJob(Testing.chart(), 'J', { image: IMAGE, backoffLimit: -1 })).toThrow(
      message,
    );
    expect(
      () =>
        new UniqueJobPerImagePolicy(Testing.chart(), 'P', {
          jobContainer: { image: IMAGE },
          backoffLimit: -1,
        }),
    ).toThrow(message);
  });

  test('one resource check: the same message from a KubernetesJob and the Kyverno job template', () => {
    const resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    expect(() => new KubernetesJob(Testing.chart(), 'J', { image: IMAGE, resources })).toThrow(
      `'resources.requests.cpu' must not exceed limits.cpu (1), got "2"`,
    );
    expect(
      () => new UniqueJobPerImagePolicy(Testing.chart(), 'P', { jobContainer: { image: IMAGE, resources } }),
    ).toThrow(`'jobContainer.resources.requests.cpu' must not exceed limits.cpu (1), got "2"`);
  });
});
