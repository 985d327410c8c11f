import { Testing } from 'cdk8s';
import {
  escapeKyvernoReferences,
  UniqueJobPerImagePolicy,
  UniqueJobPerImagePolicyProps,
} from '../../../constructs/unique-job-per-image-policy';
import { uniqueJobName, uniqueJobNameJmesPath } from '../../../core/unique-job-name';

const SCANNER = 'ghcr.io/acme/scanner:1.4';

function synth(props: Partial<UniqueJobPerImagePolicyProps> = {}) {
  const chart = Testing.chart();
  const policy = new UniqueJobPerImagePolicy(chart, 'Policy', { jobContainer: { image: SCANNER }, ...props });
  const manifests = Testing.synth(chart);
  const cp = manifests.find((m) => m.kind === 'ClusterPolicy');
  return {
    policy,
    manifests,
    cp,
    rule: cp.spec.rules[0],
    role: manifests.find((m) => m.kind === 'ClusterRole'),
  };
}

describe('UniqueJobPerImagePolicy', () => {
  test('defaults: one generate rule on containers[0], hashed names, the original behaviour kept', () => {
    const { cp, rule, role, policy } = synth();
    expect(cp.apiVersion).toBe('kyverno.io/v1');
    expect(cp.metadata.name).toBe('generate-unique-job-per-image');
    expect(cp.metadata.annotations['policies.kyverno.io/minversion']).toBe('1.12.0');
    expect(policy.minimumKyvernoVersion).toBe('1.12.0');
    expect(rule.match).toEqual({ any: [{ resources: { kinds: ['Pod'], namespaces: ['default'] } }] });
    // The generated Jobs' own pods carry this label: excluded, or each would make a Job of the scanner.
    expect(rule.exclude).toEqual({
      any: [
        {
          resources: {
            kinds: ['Pod'],
            selector: { matchLabels: { 'generated-by': 'unique-job-per-image-policy' } },
          },
        },
      ],
    });
    expect(policy.renderJob({ image: 'nginx', podName: 'p', namespace: 'default' })).toMatchObject({
      spec: { template: { metadata: { labels: { 'generated-by': 'unique-job-per-image-policy' } } } },
    });

    const g = rule.generate;
    expect(g.synchronize).toBe(false);
    expect(g.apiVersion).toBe('batch/v1');
    expect(g.kind).toBe('Job');
    expect(g.namespace).toBe('{{ request.object.metadata.namespace }}');
    expect(g.name).toBe(`{{ ${uniqueJobNameJmesPath('request.object.spec.containers[0].image')} }}`);
    expect(g.foreach).toBeUndefined();

    const job = g.data;
    expect(job.metadata.labels).toEqual({ 'generated-by': 'unique-job-per-image-policy' });
    expect(job.metadata.annotations).toEqual({
      'original-image': '{{ request.object.spec.containers[0].image }}',
      'source-pod': '{{ request.object.metadata.name }}',
    });
    expect(job.spec.ttlSecondsAfterFinished).toBe(300);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.image).toBe(SCANNER);
    expect(c.env).toEqual([{ name: 'TARGET_IMAGE', value: '{{ request.object.spec.containers[0].image }}' }]);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });

    expect(role.metadata.labels).toEqual({ 'rbac.kyverno.io/aggregate-to-background-controller': 'true' });
    expect(role.rules).toEqual([
      {
        apiGroups: ['batch'],
        resources: ['jobs'],
        verbs: ['create', 'update', 'patch', 'delete', 'get', 'list', 'watch'],
      },
    ]);
  });

  test('snapshot', () => {
    expect(synth().manifests).toMatchSnapshot();
  });

  test('every prop lands', () => {
    const { cp, rule, manifests } = synth({
      policyName: 'scan-images',
      namespaces: ['team-a', 'team-*'],
      imageEnvVar: 'IMAGE',
      ttlSecondsAfterFinished: 60,
      backoffLimit: 1,
      activeDeadlineSeconds: 600,
      jobLabels: { team: 'platform' },
      serviceAccountName: 'scanner',
      runAsUser: 65532,
      readOnlyRootFilesystem: false,
      hashLength: 16,
      grantKyvernoPermissions: false,
      jobContainer: {
        image: SCANNER,
        name: 'scan',
        command: ['/scan'],
        args: ['--image', '$(IMAGE)'],
        env: { LOG_LEVEL: 'debug' },
        resources: { requests: { cpu: '50m' }, limits: { memory: '1Gi' } },
        imagePullPolicy: 'Always',
      },
    });
    expect(manifests.map((m) => m.kind)).toEqual(['ClusterPolicy']);
    expect(cp.metadata.name).toBe('scan-images');
    expect(rule.match.any[0].resources.namespaces).toEqual(['team-a', 'team-*']);
    expect(rule.generate.name).toContain('truncate(sha256(');
    expect(rule.generate.name).toContain('`16`');
    const spec = rule.generate.data.spec;
    expect(spec).toMatchObject({ ttlSecondsAfterFinished: 60, backoffLimit: 1, activeDeadlineSeconds: 600 });
    expect(spec.template.metadata.labels).toEqual({
      team: 'platform',
      'generated-by': 'unique-job-per-image-policy',
    });
    expect(spec.template.spec.serviceAccountName).toBe('scanner');
    expect(spec.template.spec.containers[0]).toEqual({
      name: 'scan',
      image: SCANNER,
      imagePullPolicy: 'Always',
      command: ['/scan'],
      args: ['--image', '\\$(IMAGE)'],
      env: [
        { name: 'IMAGE', value: '{{ request.object.spec.containers[0].image }}' },
        { name: 'LOG_LEVEL', value: 'debug' },
      ],
      resources: { requests: { cpu: '50m' }, limits: { memory: '1Gi' } },
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: false,
        runAsNonRoot: true,
        runAsUser: 65532,
      },
    });
  });

  test('allContainers: generate foreach over init containers and containers, Kyverno 1.13', () => {
    const { rule, cp, policy } = synth({ allContainers: true });
    expect(cp.metadata.annotations['policies.kyverno.io/minversion']).toBe('1.13.0');
    expect(policy.minimumKyvernoVersion).toBe('1.13.0');
    expect(rule.generate.synchronize).toBe(false);
    expect(rule.generate.name).toBeUndefined();
    expect(rule.generate.foreach).toHaveLength(1);
    const f = rule.generate.foreach[0];
    expect(f.list).toBe('request.object.spec.[initContainers, containers][]');
    expect(f.apiVersion).toBe('batch/v1');
    expect(f.kind).toBe('Job');
    expect(f.name).toBe(`{{ ${uniqueJobNameJmesPath('element.image')} }}`);
    expect(f.data.metadata.annotations['original-image']).toBe('{{ element.image }}');
    expect(f.data.spec.template.spec.containers[0].env[0].value).toBe('{{ element.image }}');
  });

  test('legacy naming: the original expression, Kyverno 1.6', () => {
    const { rule, cp, policy } = synth({ naming: 'legacy' });
    expect(cp.metadata.annotations['policies.kyverno.io/minversion']).toBe('1.6.0');
    expect(rule.generate.name).toBe(
      "{{ join('', ['img-', truncate(replace_all(replace_all(replace_all(replace_all(replace_all(request.object.spec.containers[0].image, '/', '-'), ':', '-'), '.', '-'), '@', '-'), '_', '-'), `50`)]) }}",
    );
    expect(policy.jobName('nginx:1.21')).toBe('img-nginx-1-21');
  });

  test('escapes Kubernetes $(VAR) expansion from Kyverno references, renderJob keeps it', () => {
    const { rule, policy } = synth({
      jobContainer: {
        image: SCANNER,
        command: ['sh', '-c', 'echo $(echo hi) $$(X)'],
        args: ['$(A)$(B)'],
        env: { X: 'a\\$(B)' },
      },
    });
    const c = rule.generate.data.spec.template.spec.containers[0];
    expect(c.command).toEqual(['sh', '-c', 'echo $(echo hi) $\\$(X)']);
    expect(c.args).toEqual(['\\$(A)\\$(B)']);
    expect(c.env[1]).toEqual({ name: 'X', value: 'a\\\\$(B)' });
    const job = policy.renderJob({ image: 'nginx', podName: 'p', namespace: 'default' });
    const rendered = (job.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template
      .spec.containers[0];
    expect(rendered.args).toEqual(['$(A)$(B)']);
    expect(rendered.env).toEqual([
      { name: 'TARGET_IMAGE', value: 'nginx' },
      { name: 'X', value: 'a\\$(B)' },
    ]);
  });

  test('escapeKyvernoReferences', () => {
    expect(escapeKyvernoReferences('$(X)')).toBe('\\$(X)');
    expect(escapeKyvernoReferences('no refs $ ( )')).toBe('no refs $ ( )');
    expect(escapeKyvernoReferences('$(a b)')).toBe('$(a b)');
  });

  test('minimumKyvernoVersion', () => {
    expect(UniqueJobPerImagePolicy.minimumKyvernoVersion()).toBe('1.12.0');
    expect(UniqueJobPerImagePolicy.minimumKyvernoVersion({ naming: 'legacy' })).toBe('1.6.0');
    expect(UniqueJobPerImagePolicy.minimumKyvernoVersion({ naming: 'legacy', allContainers: true })).toBe(
      '1.13.0',
    );
    expect(UniqueJobPerImagePolicy.minimumKyvernoVersion({ allContainers: true })).toBe('1.13.0');
  });

  test('renderJob is the generated Job with the values substituted', () => {
    const { policy, rule } = synth();
    const job = policy.renderJob({ image: 'nginx', podName: 'web-1', namespace: 'default' });
    expect(job).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: uniqueJobName('nginx'),
        namespace: 'default',
        labels: { 'generated-by': 'unique-job-per-image-policy' },
        annotations: { 'original-image': 'nginx', 'source-pod': 'web-1' },
      },
      spec: JSON.parse(
        JSON.stringify(rule.generate.data.spec).replace(
          /\{\{ request\.object\.spec\.containers\[0\]\.image \}\}/g,
          'nginx',
        ),
      ),
    });
    expect(policy.jobName('docker.io/library/nginx:latest')).toBe(
      job.metadata && (job.metadata as { name: string }).name,
    );
  });

  test.each<[string, Partial<UniqueJobPerImagePolicyProps>, string]>([
    ['missing jobContainer', { jobContainer: undefined }, "'jobContainer' is required, got undefined"],
    ['empty image', { jobContainer: { image: '' } }, `'jobContainer.image' is required, got ""`],
    [
      'bad image',
      { jobContainer: { image: 'Acme/Scanner' } },
      `'jobContainer.image' must be a full image reference, got "Acme/Scanner": invalid image reference "Acme/Scanner": repository name must be lowercase`,
    ],
    [
      'image without tag or digest (as KubernetesJob)',
      { jobContainer: { image: 'busybox' } },
      `'jobContainer.image' must name a tag or a digest (no implicit :latest), got "busybox"`,
    ],
    [
      'unparsable image (as KubernetesJob)',
      { jobContainer: { image: 'UPPER::bad@@' } },
      `'jobContainer.image' must be a full image reference, got "UPPER::bad@@"`,
    ],
    [
      'bad container name',
      { jobContainer: { image: SCANNER, name: 'Scan' } },
      "'jobContainer.name' must be a DNS-1123 label",
    ],
    [
      'bad pull policy',
      { jobContainer: { image: SCANNER, imagePullPolicy: 'Sometimes' as 'Always' } },
      '\'jobContainer.imagePullPolicy\' must be Always, IfNotPresent or Never, got "Sometimes"',
    ],
    [
      'Kyverno variable in args',
      { jobContainer: { image: SCANNER, args: ['{{ request.object }}'] } },
      `'jobContainer.args[0]' must not contain '{{' (Kyverno would substitute it), got "{{ request.object }}"`,
    ],
    [
      'Kyverno variable in env',
      { jobContainer: { image: SCANNER, env: { A: 'x{{y}}' } } },
      `'jobContainer.env.A' must not contain '{{'`,
    ],
    [
      'env overriding the image variable',
      { jobContainer: { image: SCANNER, env: { TARGET_IMAGE: 'x' } } },
      `'jobContainer.env' must not set "TARGET_IMAGE": the policy sets it to the target image`,
    ],
    [
      'bad env name',
      { jobContainer: { image: SCANNER, env: { 'A=B': 'x' } } },
      `'jobContainer.env' keys must be environment variable names (printable ASCII characters except '='), got "A=B"`,
    ],
    [
      'bad quantity',
      { jobContainer: { image: SCANNER, resources: { limits: { cpu: 'lots' } } } },
      `'jobContainer.resources.limits.cpu' must be a non-negative quantity such as 500m or 256Mi, got "lots"`,
    ],
    [
      'request above limit',
      {
        jobContainer: {
          image: SCANNER,
          resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } },
        },
      },
      `'jobContainer.resources.requests.memory' must not exceed limits.memory (1Gi), got "2Gi"`,
    ],
    [
      'bad imageEnvVar',
      { imageEnvVar: 'X=1' },
      `'imageEnvVar' must be an environment variable name (printable ASCII characters except '='), got "X=1"`,
    ],
    ['bad policy name', { policyName: 'Scan_Images' }, "'policyName' must be a DNS-1123 subdomain"],
    ['no namespaces', { namespaces: [] }, `'namespaces' must be a non-empty list of namespace names, got []`],
    [
      'bad namespace',
      { namespaces: ['ok', 'Bad'] },
      `'namespaces[1]' must be a namespace name (wildcards * and ? allowed), got "Bad"`,
    ],
    [
      'negative ttl',
      { ttlSecondsAfterFinished: -1 },
      `'ttlSecondsAfterFinished' must be an integer from 0 to 2147483647, got -1`,
    ],
    [
      'fractional backoffLimit',
      { backoffLimit: 1.5 },
      `'backoffLimit' must be an integer from 0 to 2147483647, got 1.5`,
    ],
    [
      'zero deadline',
      { activeDeadlineSeconds: -1 },
      `'activeDeadlineSeconds' must be an integer from 0 to 2147483647, got -1`,
    ],
    ['root user', { runAsUser: 0 }, `'runAsUser' must be an integer from 1 to 2147483647, got 0`],
    ['short hash', { hashLength: 4 }, `'hashLength' must be an integer from 8 to 32, got 4`],
    ['unknown naming', { naming: 'md5' as 'hashed' }, `'naming' must be 'hashed' or 'legacy', got "md5"`],
    [
      'hashLength with legacy',
      { naming: 'legacy', hashLength: 16 },
      `'hashLength' only applies to naming 'hashed', got 16 with 'legacy'`,
    ],
    [
      'bad service account',
      { serviceAccountName: 'Scanner' },
      "'serviceAccountName' must be a DNS-1123 subdomain",
    ],
    [
      'bad label',
      { jobLabels: { team: 'a b' } },
      `'jobLabels' has an invalid value for label "team", got "a b"`,
    ],
    [
      'label generated-by',
      { jobLabels: { 'generated-by': 'me' } },
      `'jobLabels' must not set "generated-by": the policy sets it`,
    ],
  ])('rejects %s', (_what, props, message) => {
    const chart = Testing.chart();
    expect(
      () =>
        new UniqueJobPerImagePolicy(chart, 'Policy', {
          jobContainer: { image: SCANNER },
          ...props,
        } as UniqueJobPerImagePolicyProps),
    ).toThrow(message);
    expect(chart.node.children).toHaveLength(0);
  });
});

describe('UniqueJobPerImagePolicy accepts what the apiserver accepts in the Job it generates', () => {
  test.each<[string, Partial<UniqueJobPerImagePolicyProps>]>([
    ['an empty serviceAccountName (the default ServiceAccount)', { serviceAccountName: '' }],
    [
      'env names the apiserver takes',
      { jobContainer: { image: SCANNER, env: { '1ST': 'a', 'WITH SPACE': 'b' } } },
    ],
    ['activeDeadlineSeconds 0', { activeDeadlineSeconds: 0 }],
  ])('%s', (_label, props) => {
    expect(() => synth(props)).not.toThrow();
  });
});
