// One measured run of the batch-workloads benchmark, in a fresh process (so peak memory is this
// variant's alone): `node --expose-gc -r ts-node/register/transpile-only bench/batch-workloads.worker.ts <variant>`.
// Prints one JSON line. Variants build the same manifests: `jobforge` with the constructs, `l1`
// with plain cdk8s-plus-28 L1 classes written out by hand (the output digests must be equal).
import { createHash } from 'node:crypto';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { DaemonJob } from '../constructs/daemon-job';
import { PodFailurePolicy } from '../constructs/pod';
import { KubernetesCronJob } from '../constructs/kubernetes-cron-job';
import { KubernetesJob } from '../constructs/kubernetes-job';
import { NodeInfo } from '../core/node-inventory';

export interface Sizes {
  jobs: number;
  cronJobs: number;
  nodes: number;
}

const image = (i: number): string =>
  `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app-${i % 50}:1.${i % 7}.0`;
const ns = (i: number): string => `team-${i % 20}`;
const roleArn = (name: string): string => `arn:aws:iam::123456789012:role/${name}`;

function inventory(n: number): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({
      name: i % 3 === 0 ? `ip-10-0-${i % 250}-${i}.eu-west-1.compute.internal` : `worker-${i}`,
      labels: { 'kubernetes.io/os': i % 25 === 0 ? 'windows' : 'linux', pool: i % 2 === 0 ? 'a' : 'b' },
      taints: i % 50 === 1 ? [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] : [],
    });
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// jobforge

function buildJobforge(chart: Chart, sizes: Sizes): void {
  for (let i = 0; i < sizes.jobs; i++) {
    const name = `job-${i}`;
    new KubernetesJob(chart, name, {
      namespace: ns(i),
      name,
      image: image(i),
      command: ['/app/run', '--task', String(i)],
      env: { TASK: String(i), LOG_LEVEL: 'info' },
      secrets: i % 4 === 0 ? { API_TOKEN: `token-${i}` } : undefined,
      configMaps: i % 5 === 0 ? { [`${name}-config`]: { 'app.yaml': `id: ${i}\n` } } : undefined,
      volumeMounts: i % 5 === 0 ? [{ mountPath: '/etc/app', configMap: `${name}-config` }] : undefined,
      serviceAccount:
        i % 10 === 0 ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn(name) } } : undefined,
      backoffLimit: 3,
      ttlSecondsAfterFinished: 600,
      podFailurePolicy:
        i % 2 === 0
          ? PodFailurePolicy.of(
              PodFailurePolicy.ignoreDisruptions(),
              PodFailurePolicy.failFastOnExitCodes([42]),
            )
          : undefined,
    });
  }
  for (let i = 0; i < sizes.cronJobs; i++) {
    const name = `cron-${i}`;
    new KubernetesCronJob(chart, name, {
      namespace: ns(i),
      name,
      image: image(i),
      command: ['/app/report'],
      env: { REPORT: String(i) },
      schedule: `${i % 60} ${i % 24} * * 1-5`,
      timeZone: 'Europe/Paris',
      secretEnv: { DB_PASSWORD: { secretName: 'db', key: 'password' } },
    });
  }
  new DaemonJob(chart, 'warm', {
    namespace: 'ops',
    name: 'cache-warm',
    image: image(7),
    command: ['/app/warm'],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    nodes: inventory(sizes.nodes),
  });
}

// ---------------------------------------------------------------------------------------------
// plain L1: the same manifests, written by hand

const labelsOf = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/managed-by': 'jobforge',
});
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const resources = (): k8s.ResourceRequirements => ({
  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
  limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('512Mi') },
});
const containerSecurity = (): k8s.SecurityContext => ({
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
});
const podSecurity = (): k8s.PodSecurityContext => ({
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
});

function buildL1(chart: Chart, sizes: Sizes): void {
  for (let i = 0; i < sizes.jobs; i++) {
    const name = `job-${i}`;
    const namespace = ns(i);
    const labels = labelsOf(name);
    const scope = new Construct(chart, name); // a scope per workload, as the construct has
    const env: k8s.EnvVar[] = [
      { name: 'TASK', value: String(i) },
      { name: 'LOG_LEVEL', value: 'info' },
    ];
    let volumes: k8s.Volume[] | undefined;
    let volumeMounts: k8s.VolumeMount[] | undefined;
    if (i % 5 === 0) {
      new k8s.KubeConfigMap(scope, `ConfigMap-${name}-config`, {
        metadata: { name: `${name}-config`, namespace, labels },
        data: { 'app.yaml': `id: ${i}\n` },
      });
      volumes = [{ name: 'config-0', configMap: { name: `${name}-config` } }];
      volumeMounts = [{ name: 'config-0', mountPath: '/etc/app', readOnly: true }];
    }
    if (i % 4 === 0) {
      new k8s.KubeSecret(scope, 'Secret', {
        metadata: { name: `${name}-secrets`, namespace, labels },
        type: 'Opaque',
        data: { API_TOKEN: b64(`token-${i}`) },
      });
      env.push({
        name: 'API_TOKEN',
        valueFrom: { secretKeyRef: { name: `${name}-secrets`, key: 'API_TOKEN' } },
      });
    }
    const sa = i % 10 === 0;
    if (sa) {
      new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
        metadata: { name, namespace, labels, annotations: { 'eks.amazonaws.com/role-arn': roleArn(name) } },
        automountServiceAccountToken: true,
      });
    }
    new k8s.KubeJob(scope, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        parallelism: 1,
        completions: 1,
        completionMode: 'NonIndexed',
        backoffLimit: 3,
        ttlSecondsAfterFinished: 600,
        podFailurePolicy:
          i % 2 === 0
            ? {
                rules: [
                  { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
                  {
                    action: 'FailJob',
                    onExitCodes: { operator: 'In', values: [42] },
                  } as k8s.PodFailurePolicyRule,
                ],
              }
            : undefined,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: sa ? name : undefined,
            automountServiceAccountToken: sa,
            securityContext: podSecurity(),
            containers: [
              {
                name: 'main',
                image: image(i),
                command: ['/app/run', '--task', String(i)],
                env,
                resources: resources(),
                securityContext: containerSecurity(),
                volumeMounts,
              },
            ],
            volumes,
          },
        },
      },
    });
  }
  for (let i = 0; i < sizes.cronJobs; i++) {
    const name = `cron-${i}`;
    const labels = labelsOf(name);
    const scope = new Construct(chart, name);
    new k8s.KubeCronJob(scope, 'Resource', {
      metadata: { name, namespace: ns(i), labels },
      spec: {
        schedule: `${i % 60} ${i % 24} * * 1-5`,
        timeZone: 'Europe/Paris',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: {
          metadata: { labels },
          spec: {
            parallelism: 1,
            completions: 1,
            completionMode: 'NonIndexed',
            backoffLimit: 6,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                securityContext: podSecurity(),
                containers: [
                  {
                    name: 'main',
                    image: image(i),
                    command: ['/app/report'],
                    env: [
                      { name: 'REPORT', value: String(i) },
                      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
                    ],
                    resources: resources(),
                    securityContext: containerSecurity(),
                  },
                ],
              },
            },
          },
        },
      },
    });
  }
  // The DaemonJob by hand: filter the inventory, one pinned Job per node, hashed names.
  const scope = new Construct(chart, 'warm');
  const base = { ...labelsOf('cache-warm'), 'jobforge.io/daemon-job': 'cache-warm' };
  for (const node of inventory(sizes.nodes)) {
    if (node.labels?.['kubernetes.io/os'] !== 'linux') continue;
    if ((node.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) continue;
    const joined = `cache-warm-${node.name}`;
    const clean = joined.replace(/[^a-z0-9-]+/g, '-');
    const jobName =
      clean === joined && clean.length <= 63
        ? clean
        : `${clean.slice(0, 54).replace(/-+$/, '')}-${createHash('sha256').update(joined).digest('hex').slice(0, 8)}`;
    const labels = { ...base, 'jobforge.io/node': node.name };
    new k8s.KubeJob(scope, `Job-${node.name}`, {
      metadata: {
        name: jobName,
        namespace: 'ops',
        labels,
        annotations: { 'jobforge.io/node-name': node.name },
      },
      spec: {
        parallelism: 1,
        completions: 1,
        completionMode: 'NonIndexed',
        backoffLimit: 6,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: podSecurity(),
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.name] }] },
                  ],
                },
              },
            },
            containers: [
              {
                name: 'main',
                image: image(7),
                command: ['/app/warm'],
                resources: resources(),
                securityContext: containerSecurity(),
              },
            ],
          },
        },
      },
    });
  }
}

export const VARIANTS: Record<string, (chart: Chart, sizes: Sizes) => void> = {
  jobforge: buildJobforge,
  l1: buildL1,
};

/** Builds and synthesizes one variant; returns the YAML. */
export function synthVariant(variant: string, sizes: Sizes): { yaml: string; objects: number } {
  const app = new App({ outdir: '/nonexistent-never-written' });
  const chart = new Chart(app, 'bench');
  VARIANTS[variant](chart, sizes);
  const yaml = app.synthYaml();
  return {
    yaml,
    objects: chart.node.findAll().filter((c) => c instanceof k8s.KubeJob || c instanceof k8s.KubeCronJob)
      .length,
  };
}

function gc(): void {
  (global as unknown as { gc?: () => void }).gc?.();
}

if (require.main === module) {
  const variant = process.argv[2];
  if (!(variant in VARIANTS))
    throw new Error(`variant must be one of ${Object.keys(VARIANTS).join(', ')}, got ${variant}`);
  const sizes: Sizes = { jobs: 1000, cronJobs: 200, nodes: 500 };
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  // CPU time (user + system) is what the comparison uses: on a shared machine, wall time mostly
  // measures the neighbours. Wall time is reported too.
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  // Cold run: time, peak RSS growth, and the heap the construct tree holds.
  let t = process.hrtime.bigint();
  let cpu = process.cpuUsage();
  const app = new App({ outdir: '/nonexistent-never-written' });
  const chart = new Chart(app, 'bench');
  VARIANTS[variant](chart, sizes);
  const buildMs = Number(process.hrtime.bigint() - t) / 1e6;
  const buildCpuMs = cpuMs(cpu);
  gc();
  const treeHeap = process.memoryUsage().heapUsed - heap0;
  t = process.hrtime.bigint();
  cpu = process.cpuUsage();
  const yaml = app.synthYaml();
  const synthMs = Number(process.hrtime.bigint() - t) / 1e6;
  const synthCpuMs = cpuMs(cpu);
  const peakRssGrowth = process.resourceUsage().maxRSS * 1024 - rss0;
  const digest = createHash('sha256').update(yaml).digest('hex').slice(0, 16);
  // Warm run: the same again with the JIT warmed up.
  gc();
  t = process.hrtime.bigint();
  cpu = process.cpuUsage();
  synthVariant(variant, sizes);
  const warmMs = Number(process.hrtime.bigint() - t) / 1e6;
  const warmCpuMs = cpuMs(cpu);
  process.stdout.write(
    JSON.stringify({
      variant,
      buildMs,
      synthMs,
      coldMs: buildMs + synthMs,
      warmMs,
      buildCpuMs,
      synthCpuMs,
      coldCpuMs: buildCpuMs + synthCpuMs,
      warmCpuMs,
      treeHeap,
      peakRssGrowth,
      digest,
      bytes: yaml.length,
    }) + '\n',
  );
}
