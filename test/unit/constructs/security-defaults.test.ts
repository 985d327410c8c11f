// The secure defaults and one-prop options an IaC scanner (Checkov) checks for: image digests and
// pull policy, secrets as files, no API token unless needed, high non-root IDs, NetworkPolicies.
import { Testing } from 'cdk8s';
import { KubernetesJob, KubernetesJobProps } from '../../../constructs/kubernetes-job';
import { DaemonJob } from '../../../constructs/daemon-job';
import { KubernetesCronJob } from '../../../constructs/kubernetes-cron-job';
import { defaultImagePullPolicy } from '../../../constructs/pod';
import {
  ImageResourceController,
  ImageResourceControllerProps,
} from '../../../constructs/image-resource-controller';
import {
  InsightsReportCronJob,
  InsightsReportCronJobProps,
} from '../../../constructs/insights-report-cron-job';
import { KyvernoPolicySync } from '../../../constructs/kyverno-policy-sync';
import { HTTPS_EGRESS } from '../../../constructs/network-policy';
import { UniqueJobPerImagePolicy } from '../../../constructs/unique-job-per-image-policy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

const TAGGED = 'ghcr.io/acme/app:1.2.3';
const DIGEST = `ghcr.io/acme/app:1.2.3@sha256:${'a'.repeat(64)}`;

function job(props: Partial<KubernetesJobProps> = {}): Manifest[] {
  const chart = Testing.chart();
  new KubernetesJob(chart, 'Job', { name: 'etl', namespace: 'batch', image: TAGGED, ...props });
  return Testing.synth(chart);
}
const buildJob = (props: Partial<KubernetesJobProps>) => () => job(props);
const of = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const podOf = (ms: Manifest[]): Manifest => of(ms, 'Job')[0].spec.template.spec;

describe('image pull policy and digests', () => {
  test('Always for a tag, IfNotPresent for a digest (main and init containers)', () => {
    expect(defaultImagePullPolicy(TAGGED)).toBe('Always');
    expect(defaultImagePullPolicy(DIGEST)).toBe('IfNotPresent');
    expect(defaultImagePullPolicy('ghcr.io/acme/app@sha256:' + 'b'.repeat(64))).toBe('IfNotPresent');
    const pod = podOf(job({ initContainers: [{ name: 'init', image: DIGEST }] }));
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    expect(pod.initContainers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(podOf(job({ image: DIGEST })).containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  test('imagePullPolicy overrides the default for every container', () => {
    const pod = podOf(job({ imagePullPolicy: 'Never', initContainers: [{ name: 'init', image: TAGGED }] }));
    expect(pod.containers[0].imagePullPolicy).toBe('Never');
    expect(pod.initContainers[0].imagePullPolicy).toBe('Never');
    expect(buildJob({ imagePullPolicy: 'always' as never })).toThrow(
      `'imagePullPolicy' must be Always, IfNotPresent or Never, got "always"`,
    );
  });

  test('requireImageDigest refuses tag-only images, main and init', () => {
    expect(buildJob({ requireImageDigest: true })).toThrow(
      `'image' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got "ghcr.io/acme/app:1.2.3"`,
    );
    expect(
      buildJob({
        image: DIGEST,
        requireImageDigest: true,
        initContainers: [{ name: 'init', image: TAGGED }],
      }),
    ).toThrow(`'initContainers[0].image' must be pinned by digest`);
    expect(buildJob({ requireImageDigest: 'yes' as never })).toThrow(
      `'requireImageDigest' must be a boolean, got "yes"`,
    );
    expect(podOf(job({ image: DIGEST, requireImageDigest: true })).containers[0].image).toBe(DIGEST);
  });
});

describe('secretEnv asFile', () => {
  test('mounts the keys read-only, one volume per Secret, and puts the path in the variable', () => {
    const pod = podOf(
      job({
        secretEnv: {
          API_KEY_FILE: { secretName: 'api', key: 'key', asFile: true },
          API_CERT_FILE: { secretName: 'api', key: 'tls.crt', asFile: true },
          DB_PASSWORD: { secretName: 'db', key: 'password' },
        },
      }),
    );
    const c = pod.containers[0];
    expect(c.env).toEqual([
      { name: 'API_KEY_FILE', value: '/var/run/secrets/jobforge/api/key' },
      { name: 'API_CERT_FILE', value: '/var/run/secrets/jobforge/api/tls.crt' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ]);
    expect(pod.volumes).toEqual([
      {
        name: 'jobforge-secret-files-0',
        secret: {
          secretName: 'api',
          items: [
            { key: 'key', path: 'key' },
            { key: 'tls.crt', path: 'tls.crt' },
          ],
        },
      },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'jobforge-secret-files-0', mountPath: '/var/run/secrets/jobforge/api', readOnly: true },
    ]);
  });

  test('no secretKeyRef remains when every secret is a file; optional only when every key is', () => {
    const pod = podOf(job({ secretEnv: { T: { secretName: 's', key: 'k', asFile: true, optional: true } } }));
    expect(JSON.stringify(pod.containers[0].env)).not.toContain('secretKeyRef');
    expect(pod.volumes[0].secret.optional).toBe(true);
  });

  test('refuses a bad asFile and a volume mount over the files', () => {
    expect(buildJob({ secretEnv: { T: { secretName: 's', key: 'k', asFile: 'true' as never } } })).toThrow(
      `'secretEnv.T.asFile' must be a boolean, got "true"`,
    );
    expect(
      buildJob({
        secretEnv: { T: { secretName: 's', key: 'k', asFile: true } },
        volumeMounts: [{ mountPath: '/var/run/secrets', emptyDir: {} }],
      }),
    ).toThrow(
      `'volumeMounts[0]' collides with the secretEnv files mounted at "/var/run/secrets/jobforge/s" (volume "jobforge-secret-files-0"), got mountPath "/var/run/secrets" name "scratch-0"`,
    );
    expect(
      buildJob({
        secretEnv: { T: { secretName: 's', key: 'k', asFile: true } },
        volumeMounts: [{ name: 'jobforge-secret-files-0', mountPath: '/data', emptyDir: {} }],
      }),
    ).toThrow(`'volumeMounts[0]' collides with the secretEnv files`);
  });
});

describe('ServiceAccount token', () => {
  test('not mounted by default, also with a created (IRSA) ServiceAccount; true when asked', () => {
    const ms = job({
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' } },
    });
    expect(podOf(ms).automountServiceAccountToken).toBe(false);
    expect(of(ms, 'ServiceAccount')[0].automountServiceAccountToken).toBe(false);
    const asked = job({ serviceAccount: {}, automountServiceAccountToken: true });
    expect(podOf(asked).automountServiceAccountToken).toBe(true);
    expect(of(asked, 'ServiceAccount')[0].automountServiceAccountToken).toBe(true);
  });
});

describe('NetworkPolicy of user workloads (opt-in)', () => {
  test('none by default', () => {
    expect(of(job(), 'NetworkPolicy')).toEqual([]);
  });

  test('{}: ingress denied, egress to cluster DNS only, selecting the workload pods', () => {
    const [np] = of(job({ networkPolicy: {} }), 'NetworkPolicy');
    expect(np.metadata).toMatchObject({ name: 'etl', namespace: 'batch' });
    expect(np.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'etl', 'app.kubernetes.io/managed-by': 'jobforge' },
      },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    // The pod labels match the selector.
    expect(podOf(job({ networkPolicy: {} }))).toBeDefined();
  });

  test('egress targets and allowDns false (deny all egress)', () => {
    const [np] = of(
      job({ networkPolicy: { allowDns: false, egress: [{ cidr: '10.0.0.0/16', ports: [5432, 5432] }] } }),
      'NetworkPolicy',
    );
    expect(np.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ]);
    const [none] = of(job({ networkPolicy: { allowDns: false } }), 'NetworkPolicy');
    expect(none.spec.egress).toBeUndefined();
    expect(none.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test('CronJob and DaemonJob pods get theirs too', () => {
    const chart = Testing.chart();
    new KubernetesCronJob(chart, 'Cron', {
      name: 'rep',
      namespace: 'b',
      image: TAGGED,
      schedule: '0 1 * * *',
      networkPolicy: { egress: [HTTPS_EGRESS] },
    });
    new DaemonJob(chart, 'Daemon', {
      name: 'warm',
      namespace: 'b',
      image: TAGGED,
      nodes: [{ name: 'n1' }],
      networkPolicy: {},
    });
    const nps = of(Testing.synth(chart), 'NetworkPolicy');
    expect(nps.map((n: Manifest) => n.metadata.name)).toEqual(['rep', 'warm']);
    expect(nps[0].spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  test.each([
    [
      { egress: [{ cidr: '10.0.0.0', ports: [1] }] },
      `'networkPolicy.egress[0].cidr' must be an IPv4 or IPv6 CIDR (address/prefix), got "10.0.0.0"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/33', ports: [1] }] },
      `'networkPolicy.egress[0].cidr' must be an IPv4 or IPv6 CIDR (address/prefix), got "10.0.0.0/33"`,
    ],
    [
      { egress: [{ cidr: 'example.com/32', ports: [1] }] },
      `'networkPolicy.egress[0].cidr' must be an IPv4 or IPv6 CIDR (address/prefix), got "example.com/32"`,
    ],
    [
      { egress: [{ cidr: '::/0', except: ['x'], ports: [1] }] },
      `'networkPolicy.egress[0].except[0]' must be an IPv4 or IPv6 CIDR (address/prefix), got "x"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', ports: [] }] },
      `'networkPolicy.egress[0].ports' must be a non-empty list of ports, got []`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', ports: [0] }] },
      `'networkPolicy.egress[0].ports[0]' must be an integer port from 1 to 65535, got 0`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', ports: [70000] }] },
      `'networkPolicy.egress[0].ports[0]' must be an integer port from 1 to 65535, got 70000`,
    ],
    [
      { egress: [{ cidr: '10.0.0.1/8', ports: [443] }] },
      `'networkPolicy.egress[0].cidr' must not have address bits set beyond the /8 prefix, got "10.0.0.1/8"`,
    ],
    [
      { egress: [{ cidr: '2001:db8::1/32', ports: [443] }] },
      `'networkPolicy.egress[0].cidr' must not have address bits set beyond the /32 prefix, got "2001:db8::1/32"`,
    ],
    [
      { egress: [{ cidr: '::ffff:10.0.0.0/104', ports: [443] }] },
      `'networkPolicy.egress[0].cidr' must not be an IPv4-mapped IPv6 CIDR (write it as IPv4), got "::ffff:10.0.0.0/104"`,
    ],
    [
      { egress: [{ cidr: 'fe80::1%eth0/64', ports: [443] }] },
      `'networkPolicy.egress[0].cidr' must be an IPv4 or IPv6 CIDR (address/prefix), got "fe80::1%eth0/64"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', except: ['10.0.0.0/8'], ports: [443] }] },
      `'networkPolicy.egress[0].except[0]' must be a strict subset of cidr 10.0.0.0/8, got "10.0.0.0/8"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', except: ['10.0.0.0/7'], ports: [443] }] },
      `'networkPolicy.egress[0].except[0]' must be a strict subset of cidr 10.0.0.0/8, got "10.0.0.0/7"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', except: ['192.168.0.0/16'], ports: [443] }] },
      `'networkPolicy.egress[0].except[0]' must be a strict subset of cidr 10.0.0.0/8, got "192.168.0.0/16"`,
    ],
    [
      { egress: [{ cidr: '10.0.0.0/8', except: ['::/0'], ports: [443] }] },
      `'networkPolicy.egress[0].except[0]' must be a strict subset of cidr 10.0.0.0/8, got "::/0"`,
    ],
    [{ egress: 'all' }, `'networkPolicy.egress' must be a list, got "all"`],
    [{ allowDns: 'no' }, `'networkPolicy.allowDns' must be a boolean, got "no"`],
  ])('refuses %j', (networkPolicy, message) => {
    expect(buildJob({ networkPolicy: networkPolicy as never })).toThrow(message);
  });

  test.each([
    { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'], ports: [443] },
    { cidr: '::/0', except: ['fe80::/10'], ports: [443] },
    { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.255.255.255/32'], ports: [443] },
    { cidr: '192.0.2.10/32', ports: [22] },
    { cidr: '64:ff9b::192.0.2.0/120', ports: [443] },
  ])('accepts egress %j', (target) => {
    expect(buildJob({ networkPolicy: { egress: [target] } })).not.toThrow();
  });
});

describe('InsightsReportCronJob and KyvernoPolicySync', () => {
  function runner(props: Partial<InsightsReportCronJobProps> = {}): Manifest[] {
    const chart = Testing.chart();
    new InsightsReportCronJob(chart, 'Runner', {
      jobType: 'polaris',
      image: 'quay.io/fairwinds/polaris:9.6',
      insights: { secretName: 'insights-token', organization: 'acme', cluster: 'prod' },
      namespace: 'insights-agent',
      ...props,
    });
    return Testing.synth(chart);
  }
  const cronPod = (ms: Manifest[]): Manifest => of(ms, 'CronJob')[0].spec.jobTemplate.spec.template.spec;

  test('high non-root user and group, overridable', () => {
    expect(cronPod(runner()).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      runAsUser: 65532,
      runAsGroup: 65532,
    });
    expect(cronPod(runner({ podSecurityContext: { runAsUser: 20000 } })).securityContext.runAsUser).toBe(
      20000,
    );
  });

  test('a NetworkPolicy: ingress denied, DNS + 443 + 6443 by default, or the egress given', () => {
    const [np] = of(runner(), 'NetworkPolicy');
    expect(np.metadata).toMatchObject({ name: 'polaris', namespace: 'insights-agent' });
    expect(np.spec.ingress).toBeUndefined();
    expect(np.spec.egress.slice(1).map((e: Manifest) => e.ports[0].port)).toEqual([443, 6443]);
    const [custom] = of(
      runner({ networkPolicy: { egress: [{ cidr: '10.1.0.0/16', ports: [8443] }] } }),
      'NetworkPolicy',
    );
    expect(custom.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: '10.1.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 8443 }],
    });
  });

  test('the API token is mounted and the Checkov finding suppressed with its reason on the CronJob', () => {
    const ms = runner();
    expect(cronPod(ms).automountServiceAccountToken).toBe(true);
    expect(of(ms, 'CronJob')[0].metadata.annotations).toEqual({
      'checkov.io/skip1':
        'CKV_K8S_38=the runner calls the Kubernetes API with its ServiceAccount token (RBAC in its own ClusterRole and Role)',
      'checkov.io/skip2':
        'CKV_K8S_35=the Fairwinds on-demand job runner reads FAIRWINDS_TOKEN only from environment variables',
    });
  });

  test('tokenAsFile: FAIRWINDS_TOKEN_FILE names the mounted token; no CKV_K8S_35 suppression', () => {
    const ms = runner({ tokenAsFile: true });
    const env = cronPod(ms).containers[0].env;
    expect(env).toContainEqual({
      name: 'FAIRWINDS_TOKEN_FILE',
      value: '/var/run/secrets/jobforge/insights-token/token',
    });
    expect(JSON.stringify(env)).not.toContain('secretKeyRef');
    expect(Object.values(of(ms, 'CronJob')[0].metadata.annotations).join()).not.toContain('CKV_K8S_35');
    expect(() => runner({ tokenAsFile: 'yes' as never })).toThrow(
      `'tokenAsFile' must be a boolean, got "yes"`,
    );
    expect(() => runner({ env: { FAIRWINDS_TOKEN_FILE: '/x' } })).toThrow(
      `'env' cannot set FAIRWINDS_TOKEN_FILE`,
    );
  });

  test('the jobforge policy sync reads its token from a file; org and cluster from the Secret are suppressed with their reason', () => {
    const chart = Testing.chart();
    new KyvernoPolicySync(chart, 'Sync', {
      runner: 'jobforge',
      image: DIGEST,
      requireImageDigest: true,
      namespace: 'insights-agent',
      insights: { secretName: 'insights-token' },
    });
    const ms = Testing.synth(chart);
    const c = cronPod(ms).containers[0];
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.env).toContainEqual({
      name: 'FAIRWINDS_TOKEN_FILE',
      value: '/var/run/secrets/jobforge/insights-token/token',
    });
    expect(of(ms, 'CronJob')[0].metadata.annotations['checkov.io/skip2']).toBe(
      'CKV_K8S_35=FAIRWINDS_ORG and FAIRWINDS_CLUSTER are names read from the Insights Secret and not credentials; the token is a file',
    );
    expect(
      () =>
        new KyvernoPolicySync(Testing.chart(), 'S', {
          runner: 'jobforge',
          image: TAGGED,
          requireImageDigest: true,
          insights: { secretName: 'insights-token' },
        }),
    ).toThrow(
      `'image' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got "ghcr.io/acme/app:1.2.3"`,
    );
  });
});

describe('ImageResourceController', () => {
  const base: ImageResourceControllerProps = { detectionImage: TAGGED, creationImage: DIGEST };
  function irc(props: Partial<ImageResourceControllerProps> = {}): Manifest[] {
    const chart = Testing.chart();
    new ImageResourceController(chart, 'Irc', { ...base, ...props });
    return Testing.synth(chart);
  }
  const deployments = (ms: Manifest[]): Manifest[] => of(ms, 'Deployment');

  test('managers run as 65532:65532, pull by the Kubernetes rule, carry the CKV_K8S_38 reason', () => {
    const [detection, creation] = deployments(irc());
    for (const d of [detection, creation]) {
      expect(d.spec.template.spec.securityContext).toMatchObject({
        runAsUser: 65532,
        runAsGroup: 65532,
        runAsNonRoot: true,
      });
      expect(d.spec.template.spec.automountServiceAccountToken).toBe(true);
      expect(d.metadata.annotations).toEqual({
        'checkov.io/skip1':
          'CKV_K8S_38=a controller watches and writes Kubernetes objects through the apiserver with its ServiceAccount token',
      });
    }
    expect(detection.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
    expect(creation.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    const custom = deployments(
      irc({ runAsUser: 10001, runAsGroup: 10002, imagePullPolicy: 'IfNotPresent' }),
    )[0];
    expect(custom.spec.template.spec.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10002 });
    expect(custom.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  test('a NetworkPolicy for both managers: no ingress but metrics from the namespaces given', () => {
    const [np] = of(irc(), 'NetworkPolicy');
    expect(np.metadata).toMatchObject({
      name: 'image-resource-controller',
      namespace: 'image-resource-controller-system',
    });
    expect(np.spec.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'image-resource-controller' },
    });
    expect(np.spec.ingress).toBeUndefined();
    expect(np.spec.egress.slice(1).map((e: Manifest) => e.ports[0].port)).toEqual([443, 6443]);
    const [open] = of(irc({ metricsFromNamespaces: ['monitoring'], metricsPort: 9090 }), 'NetworkPolicy');
    expect(open.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 9090 }],
      },
    ]);
  });

  test.each([
    [{ runAsUser: 0 }, `'runAsUser' must be a non-root ID from 1 to 2147483647, got 0`],
    [{ runAsGroup: 1.5 }, `'runAsGroup' must be a non-root ID from 1 to 2147483647, got 1.5`],
    [
      { requireImageDigest: true },
      `'detectionImage' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got "ghcr.io/acme/app:1.2.3"`,
    ],
    [
      { imagePullPolicy: 'Sometimes' },
      `'imagePullPolicy' must be Always, IfNotPresent or Never, got "Sometimes"`,
    ],
    [
      { metricsFromNamespaces: ['Monitoring'] },
      `'metricsFromNamespaces[0]' must be a namespace name (DNS-1123 label), got "Monitoring"`,
    ],
    [
      { networkPolicy: { egress: [{ cidr: '1.2.3.4/32', ports: ['443'] }] } },
      `'networkPolicy.egress[0].ports[0]' must be an integer port from 1 to 65535, got "443"`,
    ],
  ])('refuses %j', (props, message) => {
    expect(() => irc(props as never)).toThrow(message);
  });
});

describe('UniqueJobPerImagePolicy', () => {
  const policy = (image: string, requireImageDigest: unknown) => () =>
    new UniqueJobPerImagePolicy(Testing.chart(), 'P', {
      jobContainer: { image },
      requireImageDigest: requireImageDigest as boolean,
    });

  test('requireImageDigest refuses a tag-only job image', () => {
    expect(policy(TAGGED, true)).toThrow(
      `'jobContainer.image' must be pinned by digest (…@sha256:<hex>) when requireImageDigest is true, got "ghcr.io/acme/app:1.2.3"`,
    );
    expect(policy(TAGGED, 1)).toThrow(`'requireImageDigest' must be a boolean, got 1`);
    expect(policy(DIGEST, true)).not.toThrow();
    expect(policy(TAGGED, false)).not.toThrow();
  });
});
