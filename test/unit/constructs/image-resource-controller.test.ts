import { Testing } from 'cdk8s';
import {
  ImageResourceController,
  ImageResourceControllerProps,
} from '../../../constructs/image-resource-controller';
import { IMAGE_RESOURCE_GROUP, ImageResourceCrds } from '../../../constructs/image-resource-crds';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

const base: ImageResourceControllerProps = {
  detectionImage: 'ghcr.io/example/detection-manager:v1.0.0',
  creationImage: 'ghcr.io/example/creation-manager:v1.0.0',
};

function synth(props: ImageResourceControllerProps = base): Manifest[] {
  const chart = Testing.chart();
  new ImageResourceController(chart, 'Irc', props);
  return Testing.synth(chart);
}

const find = (docs: Manifest[], kind: string, name: string): Manifest =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);

describe('ImageResourceController', () => {
  test('synthesizes CRDs, namespace, two managers with their RBAC, and a metrics Service', () => {
    const docs = synth();
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/image-resource-creation-manager',
        'ClusterRole/image-resource-detection-manager',
        'ClusterRoleBinding/image-resource-creation-manager',
        'ClusterRoleBinding/image-resource-detection-manager',
        'CustomResourceDefinition/imagedetecteds.automation.gitops.io',
        'CustomResourceDefinition/imageresourcepolicies.automation.gitops.io',
        'CustomResourceDefinition/resourcetemplates.automation.gitops.io',
        'Deployment/image-resource-creation-manager',
        'Deployment/image-resource-detection-manager',
        'Namespace/image-resource-controller-system',
        'NetworkPolicy/image-resource-controller',
        'Role/image-resource-creation-manager-leader-election',
        'Role/image-resource-detection-manager-leader-election',
        'RoleBinding/image-resource-creation-manager-leader-election',
        'RoleBinding/image-resource-detection-manager-leader-election',
        'Service/image-resource-controller-metrics',
        'ServiceAccount/image-resource-creation-manager',
        'ServiceAccount/image-resource-detection-manager',
      ].sort(),
    );
    expect(docs).toMatchSnapshot();
  });

  test('RBAC is least privilege: no wildcards, secrets only by name, workloads read only by the creation manager', () => {
    const docs = synth();
    for (const role of docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')) {
      for (const rule of role.rules) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
        expect(rule.apiGroups).not.toContain('*');
        if (rule.resources.includes('secrets')) expect(rule.verbs).toEqual(['get']);
      }
    }
    const detection = find(docs, 'ClusterRole', 'image-resource-detection-manager');
    const creation = find(docs, 'ClusterRole', 'image-resource-creation-manager');
    const resources = (r: Manifest): string[] => r.rules.flatMap((x: Manifest) => x.resources);
    expect(resources(detection)).not.toContain('deployments');
    expect(resources(detection)).not.toContain('resourcetemplates');
    expect(resources(creation)).toEqual(
      expect.arrayContaining(['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'pods']),
    );
    const workloadRules = creation.rules.filter((x: Manifest) => x.resources.includes('deployments'));
    expect(workloadRules[0].verbs).toEqual(['list', 'watch']);
    // Only the detection manager creates ImageDetected; only the creation manager deletes them (TTL).
    const verbsOn = (r: Manifest, res: string): string[] =>
      r.rules.filter((x: Manifest) => x.resources.includes(res)).flatMap((x: Manifest) => x.verbs);
    expect(verbsOn(detection, 'imagedetecteds')).toContain('create');
    expect(verbsOn(detection, 'imagedetecteds')).not.toContain('delete');
    expect(verbsOn(creation, 'imagedetecteds')).toContain('delete');
    expect(verbsOn(creation, 'imagedetecteds')).not.toContain('create');
    const binding = find(docs, 'ClusterRoleBinding', 'image-resource-creation-manager');
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: 'image-resource-creation-manager',
        namespace: 'image-resource-controller-system',
      },
    ]);
  });

  test('IRSA annotation goes on the detection manager ServiceAccount only', () => {
    const arn = 'arn:aws:iam::123456789012:role/ecr-read';
    const docs = synth({ ...base, irsaRoleArn: arn });
    expect(find(docs, 'ServiceAccount', 'image-resource-detection-manager').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': arn,
    });
    expect(
      find(docs, 'ServiceAccount', 'image-resource-creation-manager').metadata.annotations,
    ).toBeUndefined();
    expect(
      find(synth(), 'ServiceAccount', 'image-resource-detection-manager').metadata.annotations,
    ).toBeUndefined();
  });

  test('Deployments run the given images with secure defaults, probes and metrics port', () => {
    const docs = synth({ ...base, namespace: 'irc', replicas: 2, metricsPort: 9090, healthPort: 9091 });
    const dep = find(docs, 'Deployment', 'image-resource-detection-manager');
    expect(dep.metadata.namespace).toBe('irc');
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe('image-resource-detection-manager');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0];
    expect(c.image).toBe(base.detectionImage);
    expect(c.args).toEqual([
      '--leader-elect',
      '--metrics-bind-address=:9090',
      '--health-probe-bind-address=:9091',
    ]);
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(dep.spec.selector.matchLabels).toEqual(
      expect.objectContaining({ 'app.kubernetes.io/component': 'detection-manager' }),
    );
    expect(
      find(docs, 'Deployment', 'image-resource-creation-manager').spec.template.spec.containers[0].image,
    ).toBe(base.creationImage);
    const svc = find(docs, 'Service', 'image-resource-controller-metrics');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }]);
    // The Service selects both managers' pods.
    for (const name of ['image-resource-detection-manager', 'image-resource-creation-manager']) {
      const labels = find(docs, 'Deployment', name).spec.template.metadata.labels;
      expect(labels).toEqual(expect.objectContaining(svc.spec.selector));
    }
  });

  test('installCrds and createNamespace can be turned off', () => {
    const docs = synth({ ...base, installCrds: false, createNamespace: false });
    expect(docs.filter((d) => d.kind === 'CustomResourceDefinition')).toHaveLength(0);
    expect(docs.filter((d) => d.kind === 'Namespace')).toHaveLength(0);
  });

  test.each<[string, Partial<ImageResourceControllerProps>, string]>([
    ['empty image', { detectionImage: '' }, `'detectionImage' is required, got ""`],
    [
      'image with space',
      { creationImage: 'a b' },
      `'creationImage' must be a full image reference, got "a b"`,
    ],
    [
      'image without tag or digest (as KubernetesJob)',
      { detectionImage: 'busybox' },
      `'detectionImage' must name a tag or a digest (no implicit :latest), got "busybox"`,
    ],
    [
      'unparsable image (as KubernetesJob)',
      { creationImage: 'UPPER::bad@@' },
      `'creationImage' must be a full image reference, got "UPPER::bad@@"`,
    ],
    ['bad namespace', { namespace: 'Bad_NS' }, `'namespace' must be a DNS-1123 label, got "Bad_NS"`],
    [
      'bad role ARN',
      { irsaRoleArn: 'arn:aws:iam::123:user/x' },
      `'irsaRoleArn' must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "arn:aws:iam::123:user/x"`,
    ],
    ['zero replicas', { replicas: 0 }, `'replicas' must be an integer from 1 to 2147483647, got 0`],
    [
      'replicas beyond int32',
      { replicas: 2147483648 },
      `'replicas' must be an integer from 1 to 2147483647, got 2147483648`,
    ],
    [
      'port out of range',
      { metricsPort: 70000 },
      `'metricsPort' must be an integer port from 1 to 65535, got 70000`,
    ],
    ['same ports', { metricsPort: 8081 }, `'healthPort' must differ from 'metricsPort', got 8081 for both`],
  ])('rejects %s', (_name, override, message) => {
    expect(() => synth({ ...base, ...override })).toThrow(message);
  });
});

describe('ImageResourceCrds', () => {
  const docs = (): Manifest[] => {
    const chart = Testing.chart();
    new ImageResourceCrds(chart, 'Crds');
    return Testing.synth(chart);
  };

  test('three namespaced v1beta1 CRDs in the operator group with status subresources', () => {
    const crds = docs();
    expect(crds.map((c) => c.spec.names.kind)).toEqual([
      'ImageResourcePolicy',
      'ResourceTemplate',
      'ImageDetected',
    ]);
    for (const crd of crds) {
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.spec.group).toBe(IMAGE_RESOURCE_GROUP);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${IMAGE_RESOURCE_GROUP}`);
      const [version] = crd.spec.versions;
      expect(version).toMatchObject({
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
      });
      expect(version.schema.openAPIV3Schema.type).toBe('object');
    }
  });

  test('ImageResourcePolicy schema carries the documented fields, defaults and one-of rules', () => {
    const spec = docs()[0].spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['ecrRepository', 'policy', 'templateRef']);
    const ecr = spec.properties.ecrRepository;
    expect(Object.keys(ecr.properties).sort()).toEqual(
      [
        'imageNamePattern',
        'imagePattern',
        'maxConcurrentScans',
        'maxRepositories',
        'region',
        'registryId',
        'repositoryPattern',
        'scanTimeout',
      ].sort(),
    );
    expect(ecr.properties.maxRepositories).toMatchObject({ default: 50, minimum: 1, maximum: 200 });
    expect(ecr.properties.maxConcurrentScans).toMatchObject({ default: 10 });
    expect(ecr['x-kubernetes-validations'][0].rule).toContain('has(self.repositoryPattern)');
    const policy = spec.properties.policy;
    expect(Object.keys(policy.properties).sort()).toEqual(
      ['alphabetical', 'numerical', 'pattern', 'perRepository', 'semver'].sort(),
    );
    expect(policy.properties.pattern.properties.extractPrefix).toMatchObject({
      type: 'boolean',
      default: false,
    });
    expect(policy['x-kubernetes-validations'][0].message).toBe(
      'exactly one of semver, alphabetical, numerical and pattern must be set',
    );
    expect(spec.properties.ttlDays).toMatchObject({ default: 7, minimum: 0, maximum: 365 });
  });

  test('ResourceTemplate and ImageDetected schemas', () => {
    const [, rt, id] = docs();
    const rtSpec = rt.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(rtSpec.required).toEqual(['template', 'gitRepository']);
    expect(rtSpec.properties.variables.additionalProperties).toEqual({ type: 'string' });
    expect(rtSpec.properties.gitRepository.properties.branch.default).toBe('main');
    const idSchema = id.spec.versions[0].schema.openAPIV3Schema.properties;
    expect(idSchema.spec.properties.tagPrefix.type).toBe('string');
    expect(idSchema.spec.properties.detectedAt.format).toBe('date-time');
    expect(idSchema.status.properties.phase.enum).toEqual([
      'Pending',
      'Processing',
      'Completed',
      'Skipped',
      'Failed',
    ]);
  });
});

describe('ImageResourceController with jobforge image (the default)', () => {
  test("defaults both managers to JOBFORGE_IMAGE running jobforge's controller commands, with POD_NAMESPACE and a writable /tmp", () => {
    const { JOBFORGE_IMAGE } = jest.requireActual('../../../core/jobforge-image');
    const docs = synth({});
    for (const [name, command] of [
      ['image-resource-detection-manager', 'image-detection'],
      ['image-resource-creation-manager', 'image-creation'],
    ]) {
      const pod = find(docs, 'Deployment', name).spec.template.spec;
      const c = pod.containers[0];
      expect(c.image).toBe(JOBFORGE_IMAGE);
      expect(c.args).toEqual([
        'controller',
        command,
        '--leader-elect',
        '--metrics-bind-address=:8080',
        '--health-probe-bind-address=:8081',
      ]);
      expect(c.env).toEqual([
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ]);
      expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  test("the seed's images keep the seed's flags; imageFlavor 'jobforge' runs a given image with jobforge's commands", () => {
    const seed = find(synth(base), 'Deployment', 'image-resource-detection-manager').spec.template.spec
      .containers[0];
    expect(seed.args[0]).toBe('--leader-elect');
    expect(seed.env).toBeUndefined();
    const own = find(
      synth({ ...base, imageFlavor: 'jobforge' }),
      'Deployment',
      'image-resource-creation-manager',
    ).spec.template.spec.containers[0];
    expect(own.image).toBe(base.creationImage);
    expect(own.args.slice(0, 2)).toEqual(['controller', 'image-creation']);
  });

  test('an unknown imageFlavor is refused', () => {
    expect(() => synth({ imageFlavor: 'go' as never })).toThrow(
      "'imageFlavor' must be 'jobforge' or 'seed', got \"go\"",
    );
  });
});
