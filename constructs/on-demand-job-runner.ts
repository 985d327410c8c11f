import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  EnvVar,
  IntOrString,
  KubeDeployment,
  KubeServiceAccount,
  PodSecurityContext,
  PolicyRule,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { isDnsLabel } from '../core/dns-name';
import { requireImageDigest, validateContainerImage } from '../core/image-reference';
import { JOBFORGE_IMAGE } from '../core/jobforge-image';
import { checkInteger, checkPort, show } from '../core/k8s/field-checks';
import { POLICY_SYNC_REPORT_TYPE, REPORT_TYPE_RUNS } from '../core/on-demand/report-types';
import { parseGoDuration } from '../core/policy-sync/go-duration';
import { LogLevel, parseLogLevel } from '../core/policy-sync/sync-logger';
import {
  FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE,
  InsightsReportCronJob,
  InsightsReportCronJobProps,
  InsightsSettings,
  OnDemandJobType,
  RUNNER_USER_ID,
  validateInsightsSettings,
} from './insights-report-cron-job';
import {
  KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_CLUSTER_RULES,
  KYVERNO_POLICY_SYNC_LEASE_RULES,
} from './kyverno-policy-sync';
import {
  APISERVER_6443_EGRESS,
  HTTPS_EGRESS,
  NetworkPolicyOptions,
  addNetworkPolicy,
  validateNamespaceList,
  validateNetworkPolicyOptions,
} from './network-policy';
import { addBoundRole } from './rbac';
import {
  ContainerResources,
  DEFAULT_RESOURCES,
  ImagePullPolicy,
  ContainerModel,
  PodModel,
  SECRET_FILES_DIR,
  defaultImagePullPolicy,
  validateImagePullPolicy,
  validatePodSecurityContext,
  validateResources,
} from './pod';

/** Which program the runner Deployment runs. */
export type OnDemandJobRunnerImplementation = 'jobforge' | 'fairwinds';

/** How the jobforge runner runs `kyverno-policy-sync` jobs. */
export type OnDemandPolicySyncMode = 'in-process' | 'cronjob';

/** One report of the runner: its CronJob's props (named and placed by the runner). */
export type InsightsReportProps = Omit<
  InsightsReportCronJobProps,
  'jobType' | 'insights' | 'namespace' | 'name'
>;

/** Props of {@link OnDemandJobRunner}. */
export interface OnDemandJobRunnerProps {
  /** The Insights settings: token from a Secret, organization, cluster, host. */
  readonly insights: InsightsSettings;
  /**
   * `jobforge`: `jobforge controller on-demand-jobs` in jobforge's image; `fairwinds`: the
   * Fairwinds on-demand job runner image (same protocol, same CronJob names).
   * @default 'jobforge'
   */
  readonly runner?: OnDemandJobRunnerImplementation;
  /**
   * The runner's image.
   * @default - JOBFORGE_IMAGE for the jobforge runner, FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE for fairwinds
   */
  readonly image?: string;
  /**
   * The reports, by report type: each becomes a CronJob named exactly after its type (`trivy`,
   * `polaris`, …) in the runner's namespace, which its schedule runs and the runner makes Jobs
   * from. For `kyverno-policy-sync` use {@link KyvernoPolicySync} in the same namespace.
   * @default {} - none (the CronJobs are deployed by other means)
   */
  readonly reports?: Readonly<Partial<Record<OnDemandJobType, InsightsReportProps>>>;
  /**
   * Never more on-demand runs at once (`MAX_CONCURRENT_JOBS`; `MAXCONCURRENTJOBS` for fairwinds).
   * @default 10
   */
  readonly maxConcurrentJobs?: number;
  /**
   * How often to claim jobs, a Go duration (`POLL_INTERVAL`; `POLLINTERVAL` for fairwinds).
   * @default '15s'
   */
  readonly pollInterval?: string;
  /**
   * Timeouts replacing the defaults (20m trivy and image-trust, 10m kyverno-policy-sync, 5m
   * others), by report type or `*`, as Go durations (`JOB_TIMEOUTS`). jobforge runner only.
   * @default {}
   */
  readonly jobTimeouts?: Readonly<Record<string, string>>;
  /**
   * `in-process`: the jobforge runner runs `kyverno-policy-sync` jobs itself (the same core as
   * `jobforge policy-sync`) and gets the policy sync's RBAC (a ClusterRole on Kyverno policies,
   * the Lease lock); `cronjob`: it makes a Job from the `kyverno-policy-sync` CronJob like any
   * report. jobforge runner only.
   * @default 'cronjob'
   */
  readonly policySync?: OnDemandPolicySyncMode;
  /** `LOG_LEVEL` of the jobforge runner. @default 'info' */
  readonly logLevel?: LogLevel;
  /**
   * Port of `/healthz` and `/metrics` (jobforge runner).
   * @default 8080
   */
  readonly metricsPort?: number;
  /** Namespaces allowed to scrape the metrics port. @default [] - no ingress */
  readonly metricsFromNamespaces?: string[];
  /** @default - the chart's namespace, else 'insights-agent' */
  readonly namespace?: string;
  /**
   * Name of the Deployment, its ServiceAccount, Role and NetworkPolicy.
   * @default 'on-demand-job-runner'
   */
  readonly name?: string;
  /** @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /** Extra labels on the runner's objects. @default {} */
  readonly labels?: Record<string, string>;
  /** @default { runAsUser: 65532, runAsGroup: 65532 } over the restricted defaults */
  readonly podSecurityContext?: PodSecurityContext;
  /** @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Refuse a runner image not pinned by digest. @default false */
  readonly requireImageDigest?: boolean;
  /**
   * The runner's NetworkPolicy: ingress denied (but `metricsFromNamespaces`), egress to cluster
   * DNS and `egress`.
   * @default - TCP 443 and 6443 anywhere but 169.254.169.254 (the apiserver, the Insights host)
   */
  readonly networkPolicy?: NetworkPolicyOptions;
}

/** What the runner does in its namespace: read CronJobs, create Jobs and follow them. */
export const ON_DEMAND_RUNNER_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch'] },
];

const TOKEN_FILE = `${SECRET_FILES_DIR}/insights-token`;

/**
 * The Fairwinds Insights on-demand job runner: a Deployment that claims on-demand jobs from
 * Insights, makes a Job from the CronJob named after each job's report type, waits for it and
 * reports `completed` or `failed` (`jobforge controller on-demand-jobs`, or the Fairwinds image);
 * plus the report CronJobs under those names. Least RBAC: a Role in its namespace to get
 * CronJobs and create, get, list and watch Jobs (and, with `policySync: 'in-process'`, the
 * policy sync's rules). The token comes from the Insights Secret (a file for jobforge, the env
 * for Fairwinds); organization and cluster from the props or the Secret.
 *
 * Construct IDs: `ServiceAccount`, `Role`, `RoleBinding`, `Deployment`, `NetworkPolicy`,
 * `PolicySyncClusterRole`, `PolicySyncClusterRoleBinding`, and one InsightsReportCronJob per
 * report, with the report type as its ID.
 */
export class OnDemandJobRunner extends Construct {
  /** Namespace of the runner and its CronJobs. */
  public readonly namespace: string;
  /** Name of the Deployment and its ServiceAccount. */
  public readonly deploymentName: string;
  /** The program the Deployment runs. */
  public readonly runner: OnDemandJobRunnerImplementation;
  /** The report CronJobs, by report type. */
  public readonly reports: Readonly<Record<string, InsightsReportCronJob>>;

  public constructor(scope: Construct, id: string, props: OnDemandJobRunnerProps) {
    super(scope, id);
    const runner = props.runner ?? 'jobforge';
    if (runner !== 'jobforge' && runner !== 'fairwinds') {
      throw new Error(`'runner' must be jobforge or fairwinds, got ${show(runner)}`);
    }
    const image =
      props.image ?? (runner === 'jobforge' ? JOBFORGE_IMAGE : FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE);
    validateContainerImage('image', image);
    if (props.requireImageDigest) requireImageDigest('image', image);
    const host = validateInsightsSettings(props.insights);
    const max = props.maxConcurrentJobs ?? 10;
    checkInteger('maxConcurrentJobs', max, 1, 1000);
    const pollInterval = props.pollInterval ?? '15s';
    if (typeof pollInterval !== 'string' || parseGoDuration(pollInterval, 'pollInterval') < 1000) {
      throw new Error(`'pollInterval' must be a duration of at least 1s, got ${show(pollInterval)}`);
    }
    for (const key of ['jobTimeouts', 'policySync', 'logLevel'] as const) {
      if (runner === 'fairwinds' && props[key] !== undefined) {
        throw new Error(
          `'${key}' needs runner jobforge (the Fairwinds runner has no such setting), got runner ${show(runner)}`,
        );
      }
    }
    const timeouts = Object.entries(props.jobTimeouts ?? {}).map(([type, value]) => {
      if (type !== '*' && !Object.prototype.hasOwnProperty.call(REPORT_TYPE_RUNS, type)) {
        throw new Error(
          `'jobTimeouts' keys must be report types (${Object.keys(REPORT_TYPE_RUNS).join(', ')}) or *, got ${show(type)}`,
        );
      }
      if (typeof value !== 'string' || parseGoDuration(value, `jobTimeouts.${type}`) < 1000) {
        throw new Error(`'jobTimeouts.${type}' must be a duration of at least 1s, got ${show(value)}`);
      }
      return `${type}=${value}`;
    });
    const policySync = props.policySync ?? 'cronjob';
    if (policySync !== 'in-process' && policySync !== 'cronjob') {
      throw new Error(`'policySync' must be in-process or cronjob, got ${show(policySync)}`);
    }
    const logLevel = parseLogLevel(props.logLevel, 'info');
    const metricsPort = props.metricsPort ?? 8080;
    checkPort('metricsPort', metricsPort);
    validateNamespaceList('metricsFromNamespaces', props.metricsFromNamespaces);
    validateNetworkPolicyOptions('networkPolicy', props.networkPolicy);
    validateImagePullPolicy('imagePullPolicy', props.imagePullPolicy);
    validateResources('resources', props.resources);
    validatePodSecurityContext('podSecurityContext', props.podSecurityContext);
    const reports = props.reports ?? {};
    for (const [type, report] of Object.entries(reports)) {
      if (type === POLICY_SYNC_REPORT_TYPE) {
        throw new Error(
          `'reports' cannot hold ${type}: deploy KyvernoPolicySync in the same namespace (its CronJob is named ${type}), got ${show(type)}`,
        );
      }
      if (report !== undefined && (report as { name?: unknown }).name !== undefined) {
        throw new Error(
          `'reports.${type}.name' cannot be set: the runner finds the CronJob by the report type's name, got ${show((report as { name?: unknown }).name)}`,
        );
      }
    }

    this.runner = runner;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? 'insights-agent';
    const namespace = this.namespace;
    const name = props.name ?? 'on-demand-job-runner';
    if (typeof name !== 'string' || !isDnsLabel(name)) {
      throw new Error(`'name' must be a DNS-1123 label of at most 63 characters, got ${show(name)}`);
    }
    this.deploymentName = name;
    const selector = {
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/component': 'on-demand-job-runner',
    };
    const labels = { ...selector, 'app.kubernetes.io/managed-by': 'jobforge', ...props.labels };

    const insights = props.insights;
    const fromSecret = (key: string): EnvVar['valueFrom'] => ({
      secretKeyRef: { name: insights.secretName, key },
    });
    const orgEnv = (envName: string): EnvVar =>
      insights.organization !== undefined
        ? { name: envName, value: insights.organization }
        : { name: envName, valueFrom: fromSecret(insights.organizationKey ?? 'organization') };
    const clusterEnv = (envName: string): EnvVar =>
      insights.cluster !== undefined
        ? { name: envName, value: insights.cluster }
        : { name: envName, valueFrom: fromSecret(insights.clusterKey ?? 'cluster') };
    const tokenKey = insights.tokenKey ?? 'token';
    const env: EnvVar[] =
      runner === 'jobforge'
        ? [
            { name: 'FAIRWINDS_INSIGHTS_HOST', value: host },
            orgEnv('FAIRWINDS_ORG'),
            clusterEnv('FAIRWINDS_CLUSTER'),
            { name: 'FAIRWINDS_TOKEN_FILE', value: TOKEN_FILE },
            { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'MAX_CONCURRENT_JOBS', value: String(max) },
            { name: 'POLL_INTERVAL', value: pollInterval },
            ...(timeouts.length > 0 ? [{ name: 'JOB_TIMEOUTS', value: timeouts.join(',') }] : []),
            { name: 'POLICY_SYNC', value: policySync },
            { name: 'LISTEN_ADDRESS', value: `:${metricsPort}` },
            { name: 'LOG_LEVEL', value: logLevel },
          ]
        : [
            // The Fairwinds runner reads its settings with viper's AutomaticEnv: the key upper-cased.
            { name: 'HOST', value: host },
            orgEnv('ORGANIZATION'),
            clusterEnv('CLUSTER'),
            { name: 'TOKEN', valueFrom: fromSecret(tokenKey) },
            { name: 'MAXCONCURRENTJOBS', value: String(max) },
            { name: 'POLLINTERVAL', value: pollInterval },
          ];

    new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name, namespace, labels },
      automountServiceAccountToken: true,
    });
    const serviceAccount = { name, namespace };
    const inProcessSync = runner === 'jobforge' && policySync === 'in-process';
    addBoundRole(this, 'Role', {
      name,
      namespace,
      labels,
      rules: [...ON_DEMAND_RUNNER_NAMESPACE_RULES, ...(inProcessSync ? KYVERNO_POLICY_SYNC_LEASE_RULES : [])],
      serviceAccount,
    });
    if (inProcessSync) {
      addBoundRole(this, 'PolicySyncClusterRole', {
        name: `${namespace}-${name}-policy-sync`,
        labels,
        rules: [...KYVERNO_POLICY_SYNC_CLUSTER_RULES, ...KYVERNO_CEL_POLICY_SYNC_CLUSTER_RULES],
        serviceAccount,
      });
    }

    const skips = [
      'CKV_K8S_38=the runner calls the Kubernetes API with its ServiceAccount token (its own Role)',
      ...(runner === 'fairwinds'
        ? [
            'CKV_K8S_35=the Fairwinds on-demand job runner reads its token only from the TOKEN environment variable',
          ]
        : []),
    ];
    const volumes = [
      { name: 'tmp', emptyDir: {} },
      ...(runner === 'jobforge'
        ? [
            {
              name: 'insights-token',
              secret: { secretName: insights.secretName, items: [{ key: tokenKey, path: 'insights-token' }] },
            },
          ]
        : []),
    ];
    const mounts = [
      { name: 'tmp', mountPath: '/tmp' },
      ...(runner === 'jobforge'
        ? [{ name: 'insights-token', mountPath: SECRET_FILES_DIR, readOnly: true }]
        : []),
    ];
    const pod = new PodModel({
      serviceAccountName: name,
      automountServiceAccountToken: true,
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsUser: RUNNER_USER_ID, runAsGroup: RUNNER_USER_ID, ...props.podSecurityContext },
      volumes,
    });
    const probe = { httpGet: { path: '/healthz', port: IntOrString.fromString('metrics') } };
    pod.addContainer(
      new ContainerModel({
        name: 'runner',
        image,
        imagePullPolicy: props.imagePullPolicy ?? defaultImagePullPolicy(image),
        args: runner === 'jobforge' ? ['controller', 'on-demand-jobs'] : undefined,
        env,
        ports:
          runner === 'jobforge'
            ? [{ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' }]
            : undefined,
        livenessProbe:
          runner === 'jobforge' ? { ...probe, initialDelaySeconds: 10, periodSeconds: 20 } : undefined,
        readinessProbe: runner === 'jobforge' ? { ...probe, periodSeconds: 10 } : undefined,
        resources: props.resources ?? DEFAULT_RESOURCES,
        volumeMounts: mounts,
      }),
    );
    new KubeDeployment(this, 'Deployment', {
      metadata: {
        name,
        namespace,
        labels,
        annotations: Object.fromEntries(skips.map((s, i) => [`checkov.io/skip${i + 1}`, s])),
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: { metadata: { labels }, spec: pod.toKube() },
      },
    });

    addNetworkPolicy(this, 'NetworkPolicy', {
      name,
      namespace,
      labels,
      podLabels: selector,
      options: props.networkPolicy ?? {},
      defaultEgress: [HTTPS_EGRESS, APISERVER_6443_EGRESS],
      ingressFromNamespaces: props.metricsFromNamespaces,
      ingressPort: metricsPort,
    });

    const made: Record<string, InsightsReportCronJob> = {};
    for (const [type, report] of Object.entries(reports)) {
      if (report === undefined) continue;
      made[type] = new InsightsReportCronJob(this, type, {
        ...report,
        jobType: type as OnDemandJobType,
        insights,
        namespace,
      });
    }
    this.reports = made;
  }
}
