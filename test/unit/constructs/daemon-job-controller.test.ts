import { Testing } from 'cdk8s';
import { DaemonJobController, DaemonJobControllerProps } from '../../../constructs/daemon-job-controller';
import { JOBFORGE_IMAGE } from '../../../core/jobforge-image';

const IMAGE = 'ghcr.io/example/jobforge:0.1.0';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(props: Partial<DaemonJobControllerProps> = {}): Manifest[] {
  const chart = Testing.chart();
  new DaemonJobController(chart, 'Controller', { image: IMAGE, ...props });
  return Testing.synth(chart);
}
const byKind = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);

describe('DaemonJobController', () => {
  test('namespace, CRD, ServiceAccount, least RBAC, two replicas with probes and restricted security', () => {
    const ms = synth();
    expect(ms.map((m) => m.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Deployment',
    ]);
    expect(byKind(ms, 'ClusterRole')[0].rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
      { apiGroups: ['jobforge.io'], resources: ['daemonjobs'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['jobforge.io'], resources: ['daemonjobs/status'], verbs: ['update'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(byKind(ms, 'Role')[0].rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['jobforge-daemonjob-controller'],
        verbs: ['get', 'update', 'delete'],
      },
    ]);
    const [deployment] = byKind(ms, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const [c] = deployment.spec.template.spec.containers;
    expect(c.args).toEqual(['controller', 'daemonjob']);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(ms).toMatchSnapshot();
  });

  test("the image defaults to jobforge's image of this version", () => {
    const chart = Testing.chart();
    new DaemonJobController(chart, 'Controller');
    const [deployment] = byKind(Testing.synth(chart), 'Deployment');
    expect(deployment.spec.template.spec.containers[0].image).toBe(JOBFORGE_IMAGE);
    expect(JOBFORGE_IMAGE).toBe('ghcr.io/jobforge/jobforge:0.1.0');
  });

  test('watchNamespace: cluster-wide nodes only, the rest in a Role of that namespace', () => {
    const ms = synth({ watchNamespace: 'batch', installCrd: false, createNamespace: false });
    expect(byKind(ms, 'ClusterRole')[0].rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    ]);
    const watch = byKind(ms, 'Role').find((r) => r.metadata.namespace === 'batch');
    expect(watch.rules.map((r: Manifest) => r.resources[0])).toEqual([
      'daemonjobs',
      'daemonjobs/status',
      'jobs',
      'events',
    ]);
    const env = byKind(ms, 'Deployment')[0].spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'WATCH_NAMESPACE', value: 'batch' });
    expect(byKind(ms, 'CustomResourceDefinition')).toEqual([]);
  });

  test.each<[string, Partial<DaemonJobControllerProps>, string]>([
    ['a bad image', { image: 'Bad Image' }, `'image'`],
    ['a bad namespace', { namespace: 'Ops' }, `'namespace' must be a DNS-1123 label`],
    ['a bad watchNamespace', { watchNamespace: 'a_b' }, `'watchNamespace' must be a DNS-1123 label`],
    ['zero replicas', { replicas: 0 }, `'replicas' must be an integer from 1 to 2147483647, got 0`],
    ['a bad port', { port: 70000 }, `'port' must be an integer port from 1 to 65535, got 70000`],
    ['a short lease', { leaseDuration: '500ms' }, `'leaseDuration' must be at least 1s, got "500ms"`],
    [
      'a bad log level',
      { logLevel: 'loud' as never },
      `'logLevel' must be debug, info, warn or error, got "loud"`,
    ],
    [
      'a bad pull policy',
      { imagePullPolicy: 'Sometimes' as never },
      `'imagePullPolicy' must be Always, IfNotPresent or Never, got "Sometimes"`,
    ],
  ])('refuses %s', (_n, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
