// The construct conformance table (issue 8): for each construct family, generated rows of prop
// variations. A row is a pair: the props given to the construct, and the same raw value written
// at the same field path of a base construct's synthesized manifest (`patch`), which is what the
// construct would synthesize if it let the value through. The suite compares the construct's
// verdict (builds / throws) with kube-apiserver's strict dry-run verdict on that manifest.
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { DaemonJob, DaemonJobProps } from '../../constructs/daemon-job';
import { ImageResourceController } from '../../constructs/image-resource-controller';
import { defaultImagePullPolicy } from '../../constructs/pod';
import { KubernetesCronJob, KubernetesCronJobProps } from '../../constructs/kubernetes-cron-job';
import { KubernetesJob, KubernetesJobProps } from '../../constructs/kubernetes-job';
import { KyvernoPolicySync, syncIntervalToSchedule } from '../../constructs/kyverno-policy-sync';
import { UniqueJobPerImagePolicy } from '../../constructs/unique-job-per-image-policy';
import { toDnsLabel, toLabelValue } from '../../core/dns-name';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** One row: props for the construct, the equivalent manifest edit, and why jobforge is stricter (if it is). */
export interface ConformanceRow {
  readonly label: string;
  readonly props: Props;
  readonly patch: (objects: Manifest[]) => void;
  readonly stricterBecause?: string;
}

/** A construct family: how to build it and its rows. */
export interface ConformanceFamily {
  readonly name: string;
  readonly base: Props;
  /** Builds the construct; returns objects to check with what it synthesizes (none by default). */
  readonly build: (scope: Construct, props: Props) => Manifest[] | void;
  readonly rows: ConformanceRow[];
}

export const NAMESPACE = 'jf-conformance';
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

/**
 * The pull policy a construct writes for `image` (defaultImagePullPolicy); for an image jobforge
 * refuses, what the kubelet's own rule would pick (only the apiserver's verdict matters there).
 */
function pullPolicyOf(image: string): string {
  try {
    return defaultImagePullPolicy(image);
  } catch {
    return image.includes('@') ? 'IfNotPresent' : 'Always';
  }
}
const BASE_NAME = 'conf';
const DIGEST = `sha256:${'a'.repeat(64)}`;

export const STRICTER = {
  untagged: 'untagged image: jobforge requires a tag or digest (no implicit :latest)',
  imageReference:
    'not a valid image reference (distribution/reference): the kubelet fails the pod with InvalidImageName',
  dnsLabelName:
    'jobforge keeps workload names DNS-1123 labels: pods take their hostname from the name, and the kubelet refuses a hostname with a dot',
  relativeMountPath: 'relative mountPath: the container runtime (runc) refuses a relative mount destination',
  relativeHostPath: 'relative hostPath: resolves against the kubelet working directory, never meant',
  syncIntervalForm:
    "syncInterval is also the runner's SYNC_INTERVAL: a duration or a five-field expression, no descriptors",
  everyDescriptor:
    '@every is not a calendar schedule and not in the documented CronJob syntax (robfig/cron accepts it)',
  hostZoneFile:
    'a file of the host zoneinfo directory, not an IANA zone name: it exists on some apiserver hosts only',
  daemonName:
    "DaemonJob names are DNS-1123 labels: the name is the fanOut Job's name and the prefix of every per-node Job's name",
} as const;

// ---------------------------------------------------------------------------------------------
// Manifest accessors

const walk = (value: Manifest, fn: (v: Manifest) => Manifest): Manifest => {
  const mapped = fn(value);
  if (mapped !== value) return mapped;
  if (Array.isArray(value)) return value.map((v) => walk(v, fn));
  if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) value[k] = walk(value[k], fn);
  }
  return value;
};

/** Every pod template of Jobs and CronJobs. */
function podTemplates(objects: Manifest[]): Manifest[] {
  const out: Manifest[] = [];
  for (const o of objects) {
    if (o.kind === 'Job') out.push(o.spec.template);
    if (o.kind === 'CronJob') out.push(o.spec.jobTemplate.spec.template);
  }
  return out;
}
const podSpecs = (objects: Manifest[]): Manifest[] => podTemplates(objects).map((t) => t.spec);
const mains = (objects: Manifest[]): Manifest[] => podSpecs(objects).map((p) => p.containers[0]);
const jobSpecs = (objects: Manifest[]): Manifest[] =>
  objects.flatMap((o) =>
    o.kind === 'Job' ? [o.spec] : o.kind === 'CronJob' ? [o.spec.jobTemplate.spec] : [],
  );
/** The metadata that carries the workload's annotations (Job, CronJob and its jobTemplate). */
const annotated = (objects: Manifest[]): Manifest[] =>
  objects.flatMap((o) =>
    o.kind === 'Job' ? [o.metadata] : o.kind === 'CronJob' ? [o.metadata, o.spec.jobTemplate.metadata] : [],
  );
/** Every metadata that carries the workload's labels. */
const labelled = (objects: Manifest[]): Manifest[] =>
  objects.flatMap((o) => [
    o.metadata,
    ...(o.kind === 'Job' ? [o.spec.template.metadata] : []),
    ...(o.kind === 'CronJob' ? [o.spec.jobTemplate.metadata, o.spec.jobTemplate.spec.template.metadata] : []),
  ]);

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
/** The labels of the supporting objects: the workload's, less the DaemonJob's per-Job labels. */
const supportLabels = (objects: Manifest[]): Record<string, string> =>
  Object.fromEntries(
    Object.entries(objects[0].metadata.labels as Record<string, string>).filter(
      ([k]) => !k.startsWith('jobforge.io/'),
    ),
  );

// ---------------------------------------------------------------------------------------------
// Value lists

const NAMES = [
  'etl',
  'a',
  '0',
  '123',
  'a-b',
  'a--b',
  'a'.repeat(52),
  'a'.repeat(53),
  'a'.repeat(61),
  'a'.repeat(63),
  'a'.repeat(64),
  'UPPER',
  'Mixed-Case',
  'with.dot',
  'a.b.c',
  'under_score',
  '-lead',
  'trail-',
  'with space',
  'ümlaut',
  '',
  'x/y',
];

const NAMESPACES = [
  'jf-conformance',
  'jf-other',
  'a'.repeat(63),
  'a'.repeat(64),
  'UPPER',
  'with.dot',
  '-x',
  '0ns',
];

const LABEL_KEYS = [
  'team',
  'example.com/team',
  'a.b.c/d',
  'Example.com/team',
  'app.kubernetes.io/part-of',
  'Team_Name',
  'k'.repeat(63),
  'k'.repeat(64),
  `${'p'.repeat(253)}/k`,
  `${'p'.repeat(254)}/k`,
  '/k',
  'k/',
  'a/b/c',
  'with space',
  '-lead',
  'trail.',
  'ü',
];
const LABEL_VALUES = [
  '',
  'v',
  'v'.repeat(63),
  'v'.repeat(64),
  'A_b.C-d',
  'a b',
  '-lead',
  'trail_',
  'ümlaut',
  'a/b',
  '1.2.3',
];
const ANNOTATION_KEYS = [
  'note',
  'example.com/Owner',
  'Example.com/Owner',
  'EXAMPLE.COM/X',
  'k'.repeat(63),
  'k'.repeat(64),
  'with space',
  'a/b/c',
  '/k',
  'ü',
];
const ANNOTATION_VALUES = [
  '',
  'any text: with spaces / and = signs',
  'ümlaut ✓',
  'multi\nline',
  '{"json":true}',
];

const IMAGES: [string, string?][] = [
  [IMAGE],
  ['busybox:1.36'],
  ['docker.io/library/busybox:1.36'],
  [`busybox@${DIGEST}`],
  [`busybox:1.36@${DIGEST}`],
  ['localhost:5000/app:v1'],
  ['[::1]:5000/app:v1'],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2.3-rc.1'],
  ['ghcr.io/a/b/c/d:latest'],
  [`busybox:${'t'.repeat(128)}`],
  ['Registry.Example.com/app:1'],
  ['busybox', STRICTER.untagged],
  ['ghcr.io/acme/app', STRICTER.untagged],
  ['localhost:5000/app', STRICTER.untagged],
  ['UPPER/repo:1'], // an uppercase first component is a registry host
  ['UPPER::bad@@', STRICTER.imageReference],
  ['busybox:', STRICTER.imageReference],
  [`busybox:${'t'.repeat(129)}`, STRICTER.imageReference],
  ['busybox@sha256:abc', STRICTER.imageReference],
  [`busybox@md5:${'a'.repeat(32)}`, STRICTER.imageReference],
  ['a b:1', STRICTER.imageReference],
  ['busybox:1.36 ', STRICTER.imageReference],
  [' busybox:1.36', STRICTER.imageReference],
  ['', undefined],
  ['ghcr.io//app:1', STRICTER.imageReference],
];

const ENV_NAMES = [
  'A',
  'a_b',
  'A.B-C',
  '_',
  '1ST',
  'WITH SPACE',
  '$HOME',
  '-x',
  '.',
  'A=B',
  '=',
  '',
  'Ä',
  'tab\tname',
  'new\nline',
  '~!@#%^&*()',
  'x'.repeat(300),
];

const QUANTITIES = [
  '0',
  '1',
  '100m',
  '0.5',
  '.5',
  '5.',
  '+1',
  '1e3',
  '1E3',
  '1Ki',
  '128Mi',
  '2Gi',
  '1k',
  '1M',
  '1ki',
  '1KB',
  '-1',
  '-100m',
  'lots',
  '1 Gi',
  '',
  '0.0001',
  '1.5.5',
  '1e-3',
];

const MOUNT_PATHS = ['/data', '/', '/a/../b', '/a:b', '/with space', 'data', './data', 'C:\\data'];
const SUB_PATHS = ['', 'a', 'a/b', '/a', '../a', 'a/..', 'a/../b', '..a', 'a..b', '.', './a', 'a\\..\\b'];
const HOST_PATHS = ['/var/log', '/', '/var/../etc', '/var/..', '/..', 'var/log', '..', '/a..b'];
const SIZE_LIMITS = ['0', '1Gi', '500Mi', '-1', '-1Gi', 'big', '1.5Gi', '+1Gi'];
const VOLUME_NAMES = ['data', 'UPPER', 'with.dot', 'a'.repeat(63), 'a'.repeat(64), '-x'];
const TOLERATIONS: Props[] = [
  { key: 'dedicated', operator: 'Exists' },
  { key: 'dedicated', operator: 'Equal', value: 'batch' },
  { key: 'example.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
  { operator: 'Exists' },
  { key: '', operator: 'Exists' },
  { key: 'dedicated pool', operator: 'Exists' },
  { key: 'Example.com/gpu', operator: 'Exists' },
  { key: 'a/b/c', operator: 'Exists' },
  { key: 'k'.repeat(64), operator: 'Exists' },
  { key: 'dedicated', value: 'a b' },
  { key: 'dedicated', value: 'v'.repeat(64) },
  { key: 'dedicated', operator: 'Exists', value: 'x' },
  { operator: 'Equal', value: 'x' },
  { key: 'dedicated', operator: 'Gt', value: '1' },
  { key: 'dedicated', operator: 'exists' },
  { key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
  { key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: -5 },
  { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 },
  { key: 'dedicated', operator: 'Exists', effect: 'Sometimes' },
];
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};
const RESTRICTED_POD = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const CONTAINER_SECURITY: Props[] = [
  { runAsUser: 1000 },
  { runAsUser: 0 },
  { runAsUser: -1 },
  { runAsUser: 2147483647 },
  { runAsUser: 2147483648 },
  { runAsGroup: -1 },
  { privileged: true },
  { privileged: true, allowPrivilegeEscalation: true },
  { allowPrivilegeEscalation: true },
  { capabilities: { add: ['CAP_SYS_ADMIN'] } },
  { capabilities: { add: ['SYS_ADMIN'] } },
  { capabilities: { add: ['CAP_SYS_ADMIN'] }, allowPrivilegeEscalation: true },
  { capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } },
  { readOnlyRootFilesystem: false },
  { procMount: 'Default' },
  { procMount: 'Unmasked' },
  { procMount: 'Sometimes' },
  { seccompProfile: { type: 'RuntimeDefault' } },
  { seccompProfile: { type: 'Localhost' } },
  { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } },
  { seccompProfile: { type: 'Unconfined', localhostProfile: 'x.json' } },
  { seccompProfile: { type: 'Bogus' } },
];
const POD_SECURITY: Props[] = [
  { runAsUser: 65532 },
  { runAsUser: -1 },
  { runAsGroup: 2147483648 },
  { fsGroup: 2000 },
  { fsGroup: -1 },
  { supplementalGroups: [1, 2] },
  { supplementalGroups: [-1] },
  { fsGroupChangePolicy: 'OnRootMismatch' },
  { fsGroupChangePolicy: 'Sometimes' },
  { seccompProfile: { type: 'Localhost' } },
  { seccompProfile: { type: 'Unconfined' } },
  { runAsNonRoot: false },
];

// ---------------------------------------------------------------------------------------------
// Rows shared by the Job families (KubernetesJob, KubernetesCronJob, DaemonJob)

const addLabel = (objects: Manifest[], k: string, v: string): void => {
  for (const m of labelled(objects)) m.labels = { ...m.labels, [k]: v };
};

const quantityPlaces: [string, string, string][] = [
  ['requests', 'cpu', 'cpu'],
  ['limits', 'memory', 'memory'],
  ['requests', 'ephemeralStorage', 'ephemeral-storage'],
];

function jobRows(opts: { daemon?: boolean }): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const row = (
    label: string,
    props: Props,
    patch: (o: Manifest[]) => void,
    stricterBecause?: string,
  ): void => {
    rows.push({ label, props, patch, ...(stricterBecause ? { stricterBecause } : {}) });
  };

  for (const name of NAMES) {
    const dotted = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && name.includes('.') && name.length <= 52;
    const labelValueNotDnsLabel =
      /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(name) &&
      name.length <= 63 &&
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
    row(
      `name ${JSON.stringify(name)}`,
      { name },
      (objects) => {
        walk(objects, (v) => {
          if (v === BASE_NAME) return name;
          if (opts.daemon && typeof v === 'string' && v.startsWith(`${BASE_NAME}-node-`)) {
            return toDnsLabel([name, v.slice(BASE_NAME.length + 1)], 63);
          }
          return v;
        });
      },
      opts.daemon
        ? labelValueNotDnsLabel
          ? STRICTER.daemonName
          : undefined
        : dotted
          ? STRICTER.dnsLabelName
          : undefined,
    );
  }
  for (const ns of NAMESPACES) {
    row(`namespace ${JSON.stringify(ns)}`, { namespace: ns }, (objects) => {
      for (const o of objects) o.metadata.namespace = ns;
    });
  }
  for (const k of LABEL_KEYS) {
    row(`label key ${JSON.stringify(k)}`, { labels: { [k]: 'v' } }, (o) => addLabel(o, k, 'v'));
  }
  for (const v of LABEL_VALUES) {
    row(`label value ${JSON.stringify(v)}`, { labels: { team: v } }, (o) => addLabel(o, 'team', v));
  }
  const annotate = (label: string, a: Record<string, string>): void =>
    row(label, { annotations: a }, (objects) => {
      for (const m of annotated(objects)) m.annotations = { ...a, ...m.annotations };
    });
  for (const k of ANNOTATION_KEYS) annotate(`annotation key ${JSON.stringify(k)}`, { [k]: 'v' });
  for (const v of ANNOTATION_VALUES) annotate(`annotation value ${JSON.stringify(v)}`, { note: v });
  // The daemon annotation (jobforge.io/node-name: conf-node-a, 34 bytes) counts too on DaemonJob Jobs.
  const room = 256 * 1024 - (opts.daemon ? 'jobforge.io/node-name'.length + 'node-a'.length : 0);
  annotate('annotations of exactly 256 KiB', { big: 'x'.repeat(room - 3) });
  annotate('annotations of 256 KiB + 1 byte', { big: 'x'.repeat(room - 2) });
  annotate('annotations over 256 KiB in many keys', {
    a: 'x'.repeat(100_000),
    b: 'x'.repeat(100_000),
    c: 'x'.repeat(100_000),
  });
  annotate('annotations of 256 KiB in multi-byte characters', { big: 'é'.repeat((room - 3) / 2) });

  for (const [image, why] of IMAGES) {
    row(
      `image ${JSON.stringify(image)}`,
      { image },
      (objects) => {
        for (const c of mains(objects)) {
          c.image = image;
          c.imagePullPolicy = pullPolicyOf(image);
        }
      },
      why,
    );
  }
  for (const name of ENV_NAMES) {
    row(`env name ${JSON.stringify(name)}`, { env: { [name]: 'v' } }, (objects) => {
      for (const c of mains(objects)) c.env = [{ name, value: 'v' }];
    });
  }
  for (const name of ['TOKEN', 'a.b-c_d', '1ST', 'WITH SPACE', 'A=B', 'x/y', '']) {
    row(`secrets key ${JSON.stringify(name)}`, { secrets: { [name]: 's3cret' } }, (objects) => {
      const secretName = `${BASE_NAME}-secrets`;
      objects.unshift({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: NAMESPACE, labels: supportLabels(objects) },
        type: 'Opaque',
        data: { [name]: b64('s3cret') },
      });
      for (const c of mains(objects))
        c.env = [{ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } }];
    });
  }
  for (const [kind, res, kube] of quantityPlaces) {
    for (const q of QUANTITIES) {
      const resources = { [kind]: { [res]: q } };
      row(`resources.${kind}.${res} ${JSON.stringify(q)}`, { resources }, (objects) => {
        for (const c of mains(objects)) c.resources = { [kind]: { [kube]: q } };
      });
    }
  }
  for (const [req, lim] of [
    ['1', '2'],
    ['2', '1'],
    ['500m', '0.5'],
    ['1Gi', '1024Mi'],
    ['1025Mi', '1Gi'],
  ]) {
    row(
      `resources cpu request ${req} with limit ${lim}`,
      { resources: { requests: { cpu: req }, limits: { cpu: lim } } },
      (objects) => {
        for (const c of mains(objects)) c.resources = { requests: { cpu: req }, limits: { cpu: lim } };
      },
    );
  }

  const mount = (label: string, vm: Props, volume: Props, mountOut: Props, why?: string): void =>
    row(
      label,
      { volumeMounts: [vm] },
      (objects) => {
        for (const p of podSpecs(objects)) {
          p.volumes = [volume];
          p.containers[0].volumeMounts = [mountOut];
        }
      },
      why,
    );
  for (const mountPath of MOUNT_PATHS) {
    mount(
      `mountPath ${JSON.stringify(mountPath)}`,
      { mountPath, emptyDir: {} },
      { name: 'scratch-0', emptyDir: {} },
      { name: 'scratch-0', mountPath },
      mountPath.startsWith('/') || mountPath === '' ? undefined : STRICTER.relativeMountPath,
    );
  }
  for (const subPath of SUB_PATHS) {
    mount(
      `subPath ${JSON.stringify(subPath)}`,
      { mountPath: '/data', emptyDir: {}, subPath },
      { name: 'scratch-0', emptyDir: {} },
      { name: 'scratch-0', mountPath: '/data', subPath },
    );
  }
  for (const hostPath of HOST_PATHS) {
    mount(
      `hostPath ${JSON.stringify(hostPath)}`,
      { mountPath: '/host', hostPath },
      { name: 'host-0', hostPath: { path: hostPath } },
      { name: 'host-0', mountPath: '/host' },
      hostPath.startsWith('/') || hostPath.split('/').includes('..') ? undefined : STRICTER.relativeHostPath,
    );
  }
  for (const sizeLimit of SIZE_LIMITS) {
    mount(
      `emptyDir sizeLimit ${JSON.stringify(sizeLimit)}`,
      { mountPath: '/data', emptyDir: { sizeLimit } },
      { name: 'scratch-0', emptyDir: { sizeLimit } },
      { name: 'scratch-0', mountPath: '/data' },
    );
  }
  for (const name of VOLUME_NAMES) {
    mount(
      `volume name ${JSON.stringify(name)}`,
      { name, mountPath: '/data', emptyDir: {} },
      { name, emptyDir: {} },
      { name, mountPath: '/data' },
    );
  }
  row(
    'two mounts with one mountPath',
    {
      volumeMounts: [
        { mountPath: '/data', emptyDir: {} },
        { mountPath: '/data', emptyDir: {} },
      ],
    },
    (objects) => {
      for (const p of podSpecs(objects)) {
        p.volumes = [
          { name: 'scratch-0', emptyDir: {} },
          { name: 'scratch-1', emptyDir: {} },
        ];
        p.containers[0].volumeMounts = [
          { name: 'scratch-0', mountPath: '/data' },
          { name: 'scratch-1', mountPath: '/data' },
        ];
      }
    },
  );
  const initMount = (label: string, mounts: Props[], why?: string): void =>
    row(
      label,
      {
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch', emptyDir: {} }],
        initContainers: [{ name: 'init', image: IMAGE, volumeMounts: mounts }],
      },
      (objects) => {
        for (const p of podSpecs(objects)) {
          p.volumes = [{ name: 'scratch', emptyDir: {} }];
          p.containers[0].volumeMounts = [{ name: 'scratch', mountPath: '/scratch' }];
          p.initContainers = [
            {
              name: 'init',
              image: IMAGE,
              imagePullPolicy: 'Always',
              resources: p.containers[0].resources,
              securityContext: RESTRICTED_CONTAINER,
              volumeMounts: mounts,
            },
          ];
        }
      },
      why,
    );
  initMount('init container mountPath "/scratch"', [{ name: 'scratch', mountPath: '/scratch' }]);
  initMount(
    'init container relative mountPath',
    [{ name: 'scratch', mountPath: 'scratch' }],
    STRICTER.relativeMountPath,
  );
  initMount('init container duplicate mountPath', [
    { name: 'scratch', mountPath: '/a' },
    { name: 'scratch', mountPath: '/a' },
  ]);
  initMount('init container subPath ".."', [{ name: 'scratch', mountPath: '/a', subPath: '..' }]);
  initMount('init container subPath "/abs"', [{ name: 'scratch', mountPath: '/a', subPath: '/abs' }]);

  for (const t of TOLERATIONS) {
    row(`toleration ${JSON.stringify(t)}`, { tolerations: [t] }, (objects) => {
      for (const p of podSpecs(objects)) p.tolerations = [t];
    });
  }
  for (const sc of CONTAINER_SECURITY) {
    row(`securityContext ${JSON.stringify(sc)}`, { securityContext: sc }, (objects) => {
      for (const c of mains(objects)) c.securityContext = { ...RESTRICTED_CONTAINER, ...sc };
    });
  }
  for (const sc of POD_SECURITY) {
    row(`podSecurityContext ${JSON.stringify(sc)}`, { podSecurityContext: sc }, (objects) => {
      for (const p of podSpecs(objects)) p.securityContext = { ...RESTRICTED_POD, ...sc };
    });
  }
  for (const [field, values] of [
    ['backoffLimit', [0, 6, -1, 2147483647, 2147483648, 1.5]],
    ['activeDeadlineSeconds', [1, 0, -1, 3600]],
    ['ttlSecondsAfterFinished', [0, 100, -1]],
  ] as const) {
    for (const v of values) {
      row(`${field} ${v}`, { [field]: v }, (objects) => {
        for (const s of jobSpecs(objects)) s[field] = v;
      });
    }
  }
  for (const restartPolicy of ['Never', 'OnFailure', 'Always', 'never']) {
    row(`restartPolicy ${restartPolicy}`, { restartPolicy }, (objects) => {
      for (const p of podSpecs(objects)) p.restartPolicy = restartPolicy;
    });
  }

  // Objects the construct creates: names that clash, and names of supporting objects.
  const pull = { registry: 'registry.example.com', username: 'bot', password: 'token' };
  for (const pullName of [`${BASE_NAME}-secrets`, `${BASE_NAME}-pull`, 'other', 'Bad_Name', 'a.b']) {
    row(
      `secrets and imagePullSecret ${JSON.stringify(pullName)}`,
      { secrets: { TOKEN: 't' }, imagePullSecret: { name: pullName, ...pull } },
      (objects) => {
        const labels = supportLabels(objects);
        const auth = { username: 'bot', password: 'token', auth: b64('bot:token') };
        objects.unshift(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: `${BASE_NAME}-secrets`, namespace: NAMESPACE, labels },
            type: 'Opaque',
            data: { TOKEN: b64('t') },
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: pullName, namespace: NAMESPACE, labels },
            type: 'kubernetes.io/dockerconfigjson',
            data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'registry.example.com': auth } })) },
          },
        );
        for (const p of podSpecs(objects)) {
          p.imagePullSecrets = [{ name: pullName }];
          p.containers[0].env = [
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: `${BASE_NAME}-secrets`, key: 'TOKEN' } } },
          ];
        }
      },
    );
  }
  for (const cm of ['settings', 'a.b', 'Bad', 'x'.repeat(254)]) {
    row(
      `configMap name ${JSON.stringify(cm.slice(0, 20))}`,
      { configMaps: { [cm]: { k: 'v' } } },
      (objects) => {
        objects.unshift({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: cm, namespace: NAMESPACE, labels: supportLabels(objects) },
          data: { k: 'v' },
        });
      },
    );
  }
  for (const key of ['settings.ini', 'a b', 'a/b', '..', '.hidden']) {
    row(`configMap key ${JSON.stringify(key)}`, { configMaps: { settings: { [key]: 'v' } } }, (objects) => {
      objects.unshift({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: NAMESPACE, labels: supportLabels(objects) },
        data: { [key]: 'v' },
      });
    });
  }
  for (const sa of ['runner', 'a.b', 'Bad', 'a'.repeat(254)]) {
    row(
      `serviceAccount name ${JSON.stringify(sa.slice(0, 20))}`,
      { serviceAccount: { name: sa } },
      (objects) => {
        objects.unshift({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: sa, namespace: NAMESPACE, labels: supportLabels(objects) },
          automountServiceAccountToken: false,
        });
        for (const p of podSpecs(objects)) {
          p.serviceAccountName = sa;
          p.automountServiceAccountToken = false;
        }
      },
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Families

const SCHEDULES: [string, string?][] = [
  ['*/5 * * * *'],
  ['0 0 * * *'],
  ['  0 0 * * *  '],
  ['\t0 0 * * *'],
  ['0 0 * * *\n'],
  ['@hourly'],
  ['@daily'],
  ['@midnight'],
  ['@weekly'],
  ['@monthly'],
  ['@yearly'],
  ['@annually'],
  ['@HOURLY'],
  ['@Hourly'],
  ['@DAILY'],
  [' @hourly'],
  ['@hourly '],
  ['@every 1h', STRICTER.everyDescriptor],
  ['@every 5m30s', STRICTER.everyDescriptor],
  ['@every 1x'],
  ['@reboot'],
  ['@'],
  ['0 0 * * 7'],
  ['0 0 * * 0-6'],
  ['0 0 * * 6'],
  ['TZ=UTC 0 0 * * *'],
  ['CRON_TZ=Europe/Paris 0 0 * * *'],
  ['0 0 31 2 *'],
  ['0 0 30 2 *'],
  ['*-5 * * * *'],
  ['?-5 * * * *'],
  ['? * * * *'],
  ['0 0 ? * ?'],
  ['5/15 * * * *'],
  ['*/0 * * * *'],
  ['0-59/60 * * * *'],
  ['0-59/100 * * * *'],
  ['0 0 1 jan *'],
  ['0 0 1 JAN *'],
  ['0 0 1 Jan,feb,MAR *'],
  ['0 0 1 january *'],
  ['0 0 * * mon-fri'],
  ['0 0 * * MON-FRI'],
  ['0 0 * * Sun'],
  ['0 0 * * SUNDAY'],
  ['0 0 * * fri-mon'],
  ['0 0 * * 5-1'],
  ['010 * * * *'],
  ['60 * * * *'],
  ['0 24 * * *'],
  ['0 0 0 * *'],
  ['0 0 32 * *'],
  ['0 0 * 0 *'],
  ['0 0 * 13 *'],
  ['0 0 L * *'],
  ['0 0 * * 1#2'],
  ['0 0 * * 5L'],
  ['0 0 1W * *'],
  ['H * * * *'],
  ['1,,2 * * * *'],
  ['1, * * * *'],
  ['* * * * * *'],
  ['0 0 0 * * *'],
  ['* * * *'],
  [''],
  ['   '],
  ['1-2-3 * * * *'],
  ['1/2/3 * * * *'],
  ['-1 * * * *'],
  ['*/-1 * * * *'],
  ['0 0 1-31/2 * *'],
  ['0 0 * * sun,mon'],
  ['0-5,10-15/2,30 * * * *'],
  ['a * * * *'],
  ['0 0 * * 0/2'],
  ['0 0 * * Mon/2'],
  ['* * * * */7'],
  ['+5 * * * *'],
  ['*/+5 * * * *'],
  ['0 0 * * */'],
  ['99999999999999999999 * * * *'],
];

const TIME_ZONES: [string, string?][] = [
  ['UTC'],
  ['Etc/UTC'],
  ['Europe/Paris'],
  ['America/Argentina/Buenos_Aires'],
  ['America/Argentina/ComodRivadavia'],
  ['America/Ciudad_Juarez'],
  ['America/Indiana/Indianapolis'],
  ['US/Pacific'],
  ['US/Eastern'],
  ['US/Pacific-New'],
  ['Asia/Calcutta'],
  ['Asia/Kolkata'],
  ['Europe/Kiev'],
  ['Europe/Kyiv'],
  ['America/Godthab'],
  ['America/Nuuk'],
  ['Asia/Rangoon'],
  ['Pacific/Kanton'],
  ['Pacific/Enderbury'],
  ['Antarctica/Troll'],
  ['Antarctica/South_Pole'],
  ['Canada/East-Saskatchewan'],
  ['Mideast/Riyadh87'],
  ['Asia/Riyadh87'],
  ['EST'],
  ['MST'],
  ['HST'],
  ['EST5EDT'],
  ['CST6CDT'],
  ['PST8PDT'],
  ['WET'],
  ['CET'],
  ['MET'],
  ['GMT'],
  ['GMT0'],
  ['GMT+0'],
  ['GMT-0'],
  ['Greenwich'],
  ['UCT'],
  ['Universal'],
  ['Zulu'],
  ['ROC'],
  ['Etc/GMT+5'],
  ['Etc/GMT-14'],
  ['Etc/GMT+15'],
  ['Etc/GMT-13'],
  ['Factory'],
  ['PST'],
  ['IST'],
  ['AET'],
  ['CTT'],
  ['SystemV/AST4'],
  ['utc'],
  ['europe/paris'],
  ['EUROPE/PARIS'],
  ['Europe/paris'],
  ['us/pacific'],
  ['Local'],
  ['local'],
  ['LOCAL'],
  ['localtime', STRICTER.hostZoneFile],
  ['posixrules', STRICTER.hostZoneFile],
  ['posix/Europe/Paris', STRICTER.hostZoneFile],
  ['right/UTC', STRICTER.hostZoneFile],
  ['zone.tab'],
  ['tzdata.zi'],
  ['iso3166.tab'],
  ['leap-seconds.list'],
  ['../etc/passwd'],
  ['Europe/'],
  ['/Europe/Paris'],
  ['Europe//Paris'],
  ['-Europe/Paris'],
  ['Europe/Paris '],
  ['Europe/Pa ris'],
  ['+01:00'],
  ['Mars/Olympus'],
  [''],
  ['Etc'],
  ['Europe'],
  ['America/Argentina'],
  ['Asia/Ho_Chi_Minh'],
  ['Asia/Saigon'],
  ['America/Port-au-Prince'],
  ['America/Blanc-Sablon'],
];

function cronRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  for (const [schedule, why] of SCHEDULES) {
    rows.push({
      label: `schedule ${JSON.stringify(schedule)}`,
      props: { schedule },
      patch: (objects) => {
        objects.find((o) => o.kind === 'CronJob').spec.schedule = schedule;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  for (const [timeZone, why] of TIME_ZONES) {
    rows.push({
      label: `timeZone ${JSON.stringify(timeZone)}`,
      props: { timeZone },
      patch: (objects) => {
        objects.find((o) => o.kind === 'CronJob').spec.timeZone = timeZone;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  for (const [field, values] of [
    ['concurrencyPolicy', ['Allow', 'Forbid', 'Replace', 'forbid', 'Never']],
    ['startingDeadlineSeconds', [0, 10, -1]],
    ['successfulJobsHistoryLimit', [0, 100, -1]],
    ['failedJobsHistoryLimit', [0, -1]],
  ] as const) {
    for (const v of values) {
      rows.push({
        label: `${field} ${JSON.stringify(v)}`,
        props: { [field]: v },
        patch: (objects) => {
          objects.find((o) => o.kind === 'CronJob').spec[field] = v;
        },
      });
    }
  }
  return rows;
}

function countRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  for (const [parallelism, completions, mode] of [
    [1, 1, 'NonIndexed'],
    [0, 1, 'NonIndexed'],
    [-1, 1, 'NonIndexed'],
    [3, 0, 'NonIndexed'],
    [2, 5, 'Indexed'],
    [1, 100001, 'Indexed'],
    [100001, 100001, 'Indexed'],
  ] as const) {
    rows.push({
      label: `parallelism ${parallelism} completions ${completions} ${mode}`,
      props: { parallelism, completions, completionMode: mode },
      patch: (objects) => {
        for (const s of jobSpecs(objects))
          Object.assign(s, { parallelism, completions, completionMode: mode });
      },
    });
  }
  return rows;
}

const DAEMON_NODES = [
  { name: 'node-a', labels: { 'kubernetes.io/os': 'linux' } },
  { name: 'node-b', labels: { 'kubernetes.io/os': 'linux' } },
];

function daemonRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const nodeNames: [string, string?][] = [
    ['node-c'],
    ['ip-10-0-1-23.eu-west-1.compute.internal'],
    ['n'.repeat(253)],
    ['Node-C'],
    ['node_c'],
  ];
  for (const [name, why] of nodeNames) {
    rows.push({
      label: `node name ${JSON.stringify(name.slice(0, 40))}`,
      props: { nodes: [{ name, labels: { 'kubernetes.io/os': 'linux' } }] },
      patch: (objects) => {
        const jobs = objects.filter((o) => o.kind === 'Job');
        objects.splice(objects.indexOf(jobs[1]), 1);
        walk(jobs[0], (v) =>
          v === 'node-a' ? name : v === `${BASE_NAME}-node-a` ? toDnsLabel([BASE_NAME, name], 63) : v,
        );
        jobs[0].metadata.labels['jobforge.io/node'] = toLabelValue(name);
        jobs[0].spec.template.metadata.labels['jobforge.io/node'] = toLabelValue(name);
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  return rows;
}

function build<P>(Ctor: new (scope: Construct, id: string, props: P) => unknown) {
  return (scope: Construct, props: Props): void => {
    new Ctor(scope, 'Conformance', props as P);
  };
}

/** The families and their rows. */
export function conformanceFamilies(): ConformanceFamily[] {
  const base = { name: BASE_NAME, namespace: NAMESPACE, image: IMAGE };
  return [
    {
      name: 'KubernetesJob',
      base,
      build: build<KubernetesJobProps>(KubernetesJob),
      rows: [...jobRows({}), ...countRows()],
    },
    {
      name: 'KubernetesCronJob',
      base: { ...base, schedule: '*/15 * * * *' },
      build: build<KubernetesCronJobProps>(KubernetesCronJob),
      rows: [...jobRows({}), ...countRows(), ...cronRows()],
    },
    {
      name: 'DaemonJob',
      base: { ...base, nodes: DAEMON_NODES },
      build: build<DaemonJobProps>(DaemonJob),
      rows: [...jobRows({ daemon: true }), ...daemonRows()],
    },
    ...otherFamilies(),
  ];
}

// ---------------------------------------------------------------------------------------------
// The other constructs with user inputs that reach the apiserver: images, names, schedules.

/** The schedule a syncInterval becomes, or the raw value where the construct would refuse it. */
function scheduleOf(syncInterval: string): string {
  try {
    return syncIntervalToSchedule(syncInterval);
  } catch {
    return syncInterval;
  }
}

function otherFamilies(): ConformanceFamily[] {
  const imageRows = (
    place: (objects: Manifest[], image: string) => void,
    prop: (image: string) => Props,
    emptyWhy?: string,
  ) =>
    IMAGES.map(([image, why]): ConformanceRow => {
      const reason = image === '' ? emptyWhy : why;
      return {
        label: `image ${JSON.stringify(image)}`,
        props: prop(image),
        patch: (objects) => place(objects, image),
        ...(reason ? { stricterBecause: reason } : {}),
      };
    });
  const uniqueBase = { jobContainer: { image: IMAGE } };
  const controllerBase = {
    detectionImage: IMAGE,
    creationImage: IMAGE,
    namespace: NAMESPACE,
    createNamespace: false,
  };
  const syncBase = { insights: { secretName: 'insights' }, namespace: NAMESPACE };
  const intervals: [string, string?][] = [
    ['15m'],
    ['1h'],
    ['24h'],
    ['0 */2 * * *'],
    ['@hourly', STRICTER.syncIntervalForm],
    ['@HOURLY'],
    ['0 0 * * 7'],
    ['61 * * * *'],
    ['*/0 * * * *'],
    ['0 0 31 2 *'],
    ['TZ=UTC 0 0 * * *'],
  ];
  return [
    {
      name: 'UniqueJobPerImagePolicy',
      base: uniqueBase,
      // The ClusterPolicy carries the Job as untyped data: the apiserver checks the Job only when
      // Kyverno creates it. So the rows also dry-run the Job the policy generates for a Pod.
      build: (scope, props) => {
        const policy = new UniqueJobPerImagePolicy(scope, 'Conformance', props as never);
        return [policy.renderJob({ image: IMAGE, podName: 'pod', namespace: NAMESPACE })];
      },
      rows: uniqueRows(imageRows),
    },
    {
      name: 'ImageResourceController',
      base: controllerBase,
      build: build(ImageResourceController),
      rows: [
        ...imageRows(
          (objects, image) => {
            const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.includes('detection'));
            d.spec.template.spec.containers[0].image = image;
            d.spec.template.spec.containers[0].imagePullPolicy = pullPolicyOf(image);
          },
          (image) => ({ detectionImage: image }),
        ),
        ...imageRows(
          (objects, image) => {
            const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.includes('creation'));
            d.spec.template.spec.containers[0].image = image;
            d.spec.template.spec.containers[0].imagePullPolicy = pullPolicyOf(image);
          },
          (image) => ({ creationImage: image }),
        ).map((r) => ({ ...r, label: `creation ${r.label}` })),
        ...controllerRows(),
        ...NAMESPACES.map((ns): ConformanceRow => ({
          label: `namespace ${JSON.stringify(ns)}`,
          props: { namespace: ns },
          patch: (objects) => {
            walk(objects, (v) => (v === NAMESPACE ? ns : v));
            for (const o of objects) {
              if (o.kind === 'ClusterRoleBinding') for (const sub of o.subjects) sub.namespace = ns;
            }
          },
        })),
      ],
    },
    {
      name: 'KyvernoPolicySync',
      base: syncBase,
      build: build(KyvernoPolicySync),
      rows: [
        ...imageRows(
          (objects, image) => {
            for (const c of mains(objects)) {
              c.image = image;
              c.imagePullPolicy = pullPolicyOf(image);
            }
          },
          (image) => ({ image }),
        ),
        ...[
          ...intervals,
          ...SCHEDULES.filter(([v]) => /\S\s+\S/.test(v) && !intervals.some(([i]) => i === v)),
        ].map(([syncInterval, why]): ConformanceRow => ({
          label: `syncInterval ${JSON.stringify(syncInterval)}`,
          props: { syncInterval },
          patch: (objects) => {
            const cron = objects.find((o) => o.kind === 'CronJob');
            cron.spec.schedule = scheduleOf(syncInterval);
            for (const c of mains(objects)) {
              c.env = c.env.map((e: Manifest) =>
                e.name === 'SYNC_INTERVAL' ? { ...e, value: syncInterval } : e,
              );
            }
          },
          ...(why ? { stricterBecause: why } : {}),
        })),
        ...resourceRows((objects, resources) => {
          for (const c of mains(objects)) c.resources = resources;
        }),
        ...syncRows(),
      ],
    },
  ];
}

function controllerRows(): ConformanceRow[] {
  const deployments = (objects: Manifest[]): Manifest[] => objects.filter((o) => o.kind === 'Deployment');
  const rows: ConformanceRow[] = [];
  for (const [replicas, why] of [
    [1],
    [3],
    [0, 'replicas 0 deploys no manager: jobforge requires at least 1'],
    [-1],
    [1.5],
  ] as [number, string?][]) {
    rows.push({
      label: `replicas ${replicas}`,
      props: { replicas },
      patch: (objects) => {
        for (const d of deployments(objects)) d.spec.replicas = replicas;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  const port = (field: 'metricsPort' | 'healthPort', value: number, why?: string): void => {
    const name = field === 'metricsPort' ? 'metrics' : 'health';
    const flag = field === 'metricsPort' ? '--metrics-bind-address' : '--health-probe-bind-address';
    rows.push({
      label: `${field} ${value}`,
      props: { [field]: value },
      patch: (objects) => {
        for (const d of deployments(objects)) {
          const c = d.spec.template.spec.containers[0];
          c.args = c.args.map((a: string) => (a.startsWith(`${flag}=`) ? `${flag}=:${value}` : a));
          c.ports = c.ports.map((p: Manifest) => (p.name === name ? { ...p, containerPort: value } : p));
        }
        if (field === 'metricsPort') objects.find((o) => o.kind === 'Service').spec.ports[0].port = value;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  };
  for (const field of ['metricsPort', 'healthPort'] as const) {
    for (const v of [1, 9090, 65535, 0, 65536, -1]) port(field, v);
  }
  port('metricsPort', 8081, 'metricsPort equal to healthPort: the manager cannot bind one port twice');
  for (const [arn, why] of [
    ['arn:aws:iam::123456789012:role/image-detection'],
    ['arn:aws:iam::123456789012:role/path/to/role'],
    ['arn:aws-cn:iam::123456789012:role/x'],
    ['not-an-arn', 'not an IAM role ARN: EKS would not assume it (IRSA)'],
    ['arn:aws:iam::123:user/x', 'not an IAM role ARN: EKS would not assume it (IRSA)'],
  ] as [string, string?][]) {
    rows.push({
      label: `irsaRoleArn ${JSON.stringify(arn)}`,
      props: { irsaRoleArn: arn },
      patch: (objects) => {
        const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name.includes('detection'));
        sa.metadata.annotations = { 'eks.amazonaws.com/role-arn': arn };
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  return [...rows, ...controllerSecurityRows(), ...controllerNetworkRows()];
}

const CONTROLLER_STRICTER = {
  rootId:
    'runAsUser/runAsGroup 0 with runAsNonRoot: the kubelet refuses to start a root user, and the managers never need root',
  emptyPullPolicy: 'an empty imagePullPolicy is not a policy: leave it unset for the digest/tag default',
  digest: 'requireImageDigest: the image is not pinned by digest (…@sha256:<hex>)',
  arn: 'not an IAM role ARN: EKS would not assume it (IRSA)',
  namespaceName:
    'not a namespace name: no namespace has this kubernetes.io/metadata.name, so the rule would admit nothing',
  emptyPorts: 'an empty ports list opens every port of the range: jobforge requires the ports to be named',
} as const;

const controllerDeployments = (objects: Manifest[]): Manifest[] =>
  objects.filter((o) => o.kind === 'Deployment');

/** The managers' user and group, pull policy, digest pinning, more replicas, ports and role ARNs. */
function controllerSecurityRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const row = (label: string, props: Props, patch: (o: Manifest[]) => void, why?: string): void => {
    rows.push({ label, props, patch, ...(why ? { stricterBecause: why } : {}) });
  };
  for (const field of ['runAsUser', 'runAsGroup'] as const) {
    for (const [id, why] of [
      [1],
      [1000],
      [65532],
      [2147483647],
      [0, CONTROLLER_STRICTER.rootId],
      [-1],
      [2147483648],
      [1.5],
    ] as [number, string?][]) {
      row(
        `${field} ${id}`,
        { [field]: id },
        (objects) => {
          for (const d of controllerDeployments(objects)) d.spec.template.spec.securityContext[field] = id;
        },
        why,
      );
    }
  }
  for (const [policy, why] of [
    ['Always'],
    ['IfNotPresent'],
    ['Never'],
    ['always'],
    ['Sometimes'],
    ['', CONTROLLER_STRICTER.emptyPullPolicy],
  ] as [string, string?][]) {
    row(
      `imagePullPolicy ${JSON.stringify(policy)}`,
      { imagePullPolicy: policy },
      (objects) => {
        for (const d of controllerDeployments(objects))
          d.spec.template.spec.containers[0].imagePullPolicy = policy;
      },
      why,
    );
  }
  row('requireImageDigest false', { requireImageDigest: false }, () => undefined);
  for (const [image, why] of IMAGES) {
    const pinned = /@sha256:[0-9a-f]{64}$/.test(image);
    row(
      `requireImageDigest, both images ${JSON.stringify(image)}`,
      { requireImageDigest: true, detectionImage: image, creationImage: image },
      (objects) => {
        for (const d of controllerDeployments(objects)) {
          d.spec.template.spec.containers[0].image = image;
          d.spec.template.spec.containers[0].imagePullPolicy = pullPolicyOf(image);
        }
      },
      why ?? (pinned || image === '' ? undefined : CONTROLLER_STRICTER.digest),
    );
  }
  for (const replicas of [2, 10, 2147483647, 2147483648]) {
    row(`replicas ${replicas}`, { replicas }, (objects) => {
      for (const d of controllerDeployments(objects)) d.spec.replicas = replicas;
    });
  }
  for (const [field, value, why] of [
    ['metricsPort', 80],
    ['metricsPort', 443],
    ['metricsPort', 1.5],
    ['metricsPort', 2147483648],
    ['healthPort', 80],
    ['healthPort', 1.5],
    ['healthPort', 2147483648],
    ['healthPort', 8080, 'healthPort equal to metricsPort: the manager cannot bind one port twice'],
  ] as ['metricsPort' | 'healthPort', number, string?][]) {
    const name = field === 'metricsPort' ? 'metrics' : 'health';
    const flag = field === 'metricsPort' ? '--metrics-bind-address' : '--health-probe-bind-address';
    row(
      `${field} ${value}`,
      { [field]: value },
      (objects) => {
        for (const d of controllerDeployments(objects)) {
          const c = d.spec.template.spec.containers[0];
          c.args = c.args.map((a: string) => (a.startsWith(`${flag}=`) ? `${flag}=:${value}` : a));
          c.ports = c.ports.map((p: Manifest) => (p.name === name ? { ...p, containerPort: value } : p));
        }
        if (field === 'metricsPort') {
          objects.find((o) => o.kind === 'Service').spec.ports[0].port = value;
        }
      },
      why,
    );
  }
  for (const [arn, why] of [
    ['arn:aws-us-gov:iam::123456789012:role/x'],
    ['arn:aws:iam::123456789012:role/with+=,.@-chars'],
    ['', CONTROLLER_STRICTER.arn],
    ['arn:aws:iam::12345678901:role/x', CONTROLLER_STRICTER.arn],
    ['arn:aws:iam::123456789012:role/', CONTROLLER_STRICTER.arn],
    ['arn:aws:iam::123456789012:role/a b', CONTROLLER_STRICTER.arn],
    ['arn:aws:iam::123456789012:role/x\n', CONTROLLER_STRICTER.arn],
    [`arn:aws:iam::123456789012:role/${'r'.repeat(513)}`, CONTROLLER_STRICTER.arn],
  ] as [string, string?][]) {
    row(
      `irsaRoleArn ${JSON.stringify(arn.slice(0, 60))}`,
      { irsaRoleArn: arn },
      (objects) => {
        const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name.includes('detection'));
        sa.metadata.annotations = { 'eks.amazonaws.com/role-arn': arn };
      },
      why,
    );
  }
  row('createNamespace true', { createNamespace: true }, (objects) => {
    objects.unshift({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE, labels: objects.find((o) => o.kind === 'Service').metadata.labels },
    });
  });
  row('installCrds false', { installCrds: false }, (objects) => {
    for (let i = objects.length - 1; i >= 0; i--) {
      if (objects[i].kind === 'CustomResourceDefinition') objects.splice(i, 1);
    }
  });
  return rows;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The managers' NetworkPolicy: metricsFromNamespaces, allowDns and the egress targets. */
function controllerNetworkRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const policy = (objects: Manifest[]): Manifest => objects.find((o) => o.kind === 'NetworkPolicy');
  const ingress = (namespaces: string[]): Manifest[] =>
    namespaces.length === 0
      ? []
      : [
          {
            from: namespaces.map((ns) => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            })),
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ];
  const fromRow = (namespaces: string[]): void => {
    const bad = namespaces.find((ns) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63);
    const why =
      bad !== undefined && LABEL_VALUE.test(bad) && bad.length <= 63
        ? CONTROLLER_STRICTER.namespaceName
        : undefined;
    rows.push({
      label: `metricsFromNamespaces ${JSON.stringify(namespaces)}`,
      props: { metricsFromNamespaces: namespaces },
      patch: (objects) => {
        const spec = policy(objects).spec;
        const rules = ingress(namespaces);
        if (rules.length > 0) spec.ingress = rules;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  };
  for (const ns of [...NAMESPACES, ...NAMES.filter((n) => !NAMESPACES.includes(n))]) fromRow([ns]);
  fromRow([]);
  fromRow(['monitoring', 'prometheus']);
  fromRow(['monitoring', 'monitoring']);
  fromRow(['monitoring', 'UPPER']);

  const dns = (objects: Manifest[]): Manifest => policy(objects).spec.egress[0];
  const rule = (t: Props): Manifest => ({
    to: [{ ipBlock: { cidr: t.cidr, ...(t.except && t.except.length > 0 ? { except: t.except } : {}) } }],
    ports: [...new Set(t.ports as unknown[])].map((port) => ({ protocol: 'TCP', port })),
  });
  const egressRow = (label: string, networkPolicy: Props, why?: string): void => {
    rows.push({
      label: `networkPolicy ${label}`,
      props: { networkPolicy },
      patch: (objects) => {
        const spec = policy(objects).spec;
        const first = networkPolicy.allowDns === false ? [] : [dns(objects)];
        const targets = (networkPolicy.egress as Props[] | undefined)?.map(rule) ?? spec.egress.slice(1);
        const egress = [...first, ...targets];
        if (egress.length > 0) spec.egress = egress;
        else delete spec.egress;
      },
      ...(why ? { stricterBecause: why } : {}),
    });
  };
  egressRow('allowDns true', { allowDns: true });
  egressRow('allowDns false', { allowDns: false });
  egressRow('egress []', { egress: [] });
  egressRow('allowDns false, egress []', { allowDns: false, egress: [] });
  egressRow('egress: two targets', {
    egress: [
      { cidr: '10.0.0.0/8', ports: [443] },
      { cidr: '192.0.2.10/32', ports: [22, 443] },
    ],
  });
  for (const [cidr, why] of [
    ['10.0.0.0/8'],
    ['0.0.0.0/0'],
    ['192.168.1.1/32'],
    ['::/0'],
    ['2001:db8::/32'],
    ['2001:db8::1/128'],
    ['::ffff:10.0.0.0/104'],
    ['10.0.0.1/8'],
    ['10.0.0.0/33'],
    ['2001:db8::/129'],
    ['10.0.0.0'],
    ['10.0.0.0/-1'],
    ['10.0.0.0/08'],
    ['010.0.0.0/8'],
    ['256.0.0.0/8'],
    ['a.b.c.d/8'],
    [''],
    ['10.0.0.0/8 '],
    ['fe80::1%eth0/64'],
  ] as [string, string?][]) {
    egressRow(`egress cidr ${JSON.stringify(cidr)}`, { egress: [{ cidr, ports: [443] }] }, why);
  }
  for (const ports of [
    [1],
    [22],
    [443],
    [65535],
    [0],
    [65536],
    [-1],
    [1.5],
    [],
    [443, 443],
    ['443'],
    [22, 0],
  ]) {
    egressRow(
      `egress ports ${JSON.stringify(ports)}`,
      { egress: [{ cidr: '10.0.0.0/8', ports }] },
      ports.length === 0 ? CONTROLLER_STRICTER.emptyPorts : undefined,
    );
  }
  for (const except of [
    [],
    ['10.1.0.0/16'],
    ['10.1.0.0/16', '10.2.0.0/16'],
    ['10.255.255.255/32'],
    ['10.0.0.0/8'],
    ['10.0.0.0/7'],
    ['192.168.0.0/16'],
    ['10.1.0.0/33'],
    ['::/0'],
    ['10.1.0.0'],
  ]) {
    egressRow(`egress except ${JSON.stringify(except)}`, {
      egress: [{ cidr: '10.0.0.0/8', except, ports: [443] }],
    });
  }
  return rows;
}

/** KyvernoPolicySync settings that reach the CronJob's environment. */
function syncRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const setEnv = (objects: Manifest[], name: string, edit: (e: Manifest) => Manifest): void => {
    for (const c of mains(objects)) c.env = c.env.map((e: Manifest) => (e.name === name ? edit(e) : e));
  };
  const secretEnv = ['FAIRWINDS_TOKEN', 'FAIRWINDS_ORG', 'FAIRWINDS_CLUSTER'];
  for (const name of NAMES) {
    rows.push({
      label: `insights.secretName ${JSON.stringify(name)}`,
      props: { insights: { secretName: name } },
      patch: (objects) => {
        for (const env of secretEnv) {
          setEnv(objects, env, (e) => ({
            name: e.name,
            valueFrom: { secretKeyRef: { ...e.valueFrom.secretKeyRef, name } },
          }));
        }
      },
    });
  }
  const keyFields: [string, string][] = [
    ['tokenKey', 'FAIRWINDS_TOKEN'],
    ['organizationKey', 'FAIRWINDS_ORG'],
    ['clusterKey', 'FAIRWINDS_CLUSTER'],
  ];
  for (const [field, env] of keyFields) {
    for (const key of [
      'token',
      'a.b-c_d',
      '.',
      '..',
      '..a',
      'a b',
      'a/b',
      'k'.repeat(253),
      'k'.repeat(254),
    ]) {
      rows.push({
        label: `insights.${field} ${JSON.stringify(key.slice(0, 20))}`,
        props: { insights: { secretName: 'insights', [field]: key } },
        patch: (objects) =>
          setEnv(objects, env, (e) => ({
            name: e.name,
            valueFrom: { secretKeyRef: { ...e.valueFrom.secretKeyRef, key } },
          })),
      });
    }
  }
  const goDuration = 'LOCK_TIMEOUT is read by the runner as a Go duration of at least 1s';
  for (const [lockTimeout, why] of [
    ['30m'],
    ['1h30m'],
    ['1s'],
    ['500ms', goDuration],
    ['0s', goDuration],
    ['forever', goDuration],
  ] as [string, string?][]) {
    rows.push({
      label: `lockTimeout ${JSON.stringify(lockTimeout)}`,
      props: { lockTimeout },
      patch: (objects) => setEnv(objects, 'LOCK_TIMEOUT', (e) => ({ ...e, value: lockTimeout })),
      ...(why ? { stricterBecause: why } : {}),
    });
  }
  return rows;
}

/** Rows of resource quantities: `place` writes the container's resources as the construct would. */
function resourceRows(
  place: (objects: Manifest[], resources: Props) => void,
  prop = 'resources',
): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  for (const [kind, res, kube] of quantityPlaces) {
    for (const q of QUANTITIES) {
      rows.push({
        label: `${prop}.${kind}.${res} ${JSON.stringify(q)}`,
        props: { [prop]: { [kind]: { [res]: q } } },
        patch: (objects) => place(objects, { [kind]: { [kube]: q } }),
      });
    }
  }
  return rows;
}

const uniqueContainers = (objects: Manifest[]): Manifest[] => [
  objects[0].spec.rules[0].generate.data.spec.template.spec.containers[0],
  objects[objects.length - 1].spec.template.spec.containers[0],
];
const uniqueJobs = (objects: Manifest[]): Manifest[] => [
  objects[0].spec.rules[0].generate.data,
  objects[objects.length - 1],
];

function uniqueRows(
  imageRows: (
    place: (objects: Manifest[], image: string) => void,
    prop: (image: string) => Props,
  ) => ConformanceRow[],
): ConformanceRow[] {
  const container = (extra: Props) => ({ jobContainer: { image: IMAGE, ...extra } });
  const rows: ConformanceRow[] = imageRows(
    (objects, image) => {
      for (const c of uniqueContainers(objects)) c.image = image;
    },
    (image) => ({ jobContainer: { image } }),
  );
  const row = (label: string, props: Props, patch: (o: Manifest[]) => void, why?: string): void => {
    rows.push({ label, props, patch, ...(why ? { stricterBecause: why } : {}) });
  };
  for (const name of ENV_NAMES) {
    row(`jobContainer.env name ${JSON.stringify(name)}`, container({ env: { [name]: 'v' } }), (objects) => {
      for (const c of uniqueContainers(objects)) c.env = [...c.env, { name, value: 'v' }];
    });
    row(`imageEnvVar ${JSON.stringify(name)}`, { imageEnvVar: name }, (objects) => {
      for (const c of uniqueContainers(objects)) c.env[0].name = name;
    });
  }
  rows.push(
    ...resourceRows((objects, resources) => {
      for (const c of uniqueContainers(objects)) c.resources = resources;
    }).map((r) => ({ ...r, props: container(r.props) })),
  );
  for (const name of NAMES) {
    row(`jobContainer.name ${JSON.stringify(name)}`, container({ name }), (objects) => {
      for (const c of uniqueContainers(objects)) c.name = name;
    });
    row(`serviceAccountName ${JSON.stringify(name)}`, { serviceAccountName: name }, (objects) => {
      for (const j of uniqueJobs(objects)) j.spec.template.spec.serviceAccountName = name;
    });
    row(`policyName ${JSON.stringify(name)}`, { policyName: name }, (objects) => {
      walk(objects, (v) =>
        v === 'generate-unique-job-per-image'
          ? name
          : v === 'kyverno:generate-unique-job-per-image:jobs'
            ? `kyverno:${name}:jobs`
            : v,
      );
    });
  }
  for (const policy of ['Always', 'IfNotPresent', 'Never', 'always']) {
    row(`imagePullPolicy ${policy}`, container({ imagePullPolicy: policy }), (objects) => {
      for (const c of uniqueContainers(objects)) c.imagePullPolicy = policy;
    });
  }
  for (const [field, values] of [
    ['backoffLimit', [0, 6, -1, 2147483648]],
    ['activeDeadlineSeconds', [0, 1, -1]],
    ['ttlSecondsAfterFinished', [0, 100, -1]],
  ] as const) {
    for (const v of values) {
      row(`${field} ${v}`, { [field]: v }, (objects) => {
        for (const j of uniqueJobs(objects)) j.spec[field] = v;
      });
    }
  }
  for (const [uid, why] of [
    [1000],
    [
      0,
      'runAsUser 0 with runAsNonRoot: the restricted Pod Security Standard (and the kubelet) refuse a root user',
    ],
    [-1],
    [2147483648],
  ] as [number, string?][]) {
    row(
      `runAsUser ${uid}`,
      { runAsUser: uid },
      (objects) => {
        for (const c of uniqueContainers(objects)) c.securityContext.runAsUser = uid;
      },
      why,
    );
  }
  const label = (k: string, v: string): void =>
    row(`jobLabels ${JSON.stringify({ [k]: v })}`, { jobLabels: { [k]: v } }, (objects) => {
      for (const j of uniqueJobs(objects)) {
        j.metadata.labels = { [k]: v, ...j.metadata.labels };
        j.spec.template.metadata.labels = { [k]: v, ...j.spec.template.metadata.labels };
      }
    });
  for (const k of LABEL_KEYS) label(k, 'v');
  for (const v of LABEL_VALUES) label('team', v);
  return rows;
}

/** Synthesizes `props` with `family`: the objects, or the error the construct threw. */
export function synthesize(
  family: ConformanceFamily,
  props: Props,
): { objects: Manifest[] } | { error: Error } {
  const chart = Testing.chart();
  try {
    const extra = family.build(chart, props) ?? [];
    return { objects: [...Testing.synth(chart), ...extra] };
  } catch (e) {
    return { error: e as Error };
  }
}
