import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsSubdomain } from '../core/dns-name';
import { isDataKey } from '../core/k8s/field-checks';
import { PodSecurityContext, PolicyRule } from 'cdk8s-plus-28/lib/imports/k8s';
import { ContainerResources, ImagePullPolicy, SecretKeyReference } from './pod';
import { APISERVER_6443_EGRESS, HTTPS_EGRESS, NetworkPolicyOptions } from './network-policy';
import { KubernetesCronJob } from './kubernetes-cron-job';
import { addBoundRole } from './rbac';

/** The report types the Fairwinds on-demand job runner knows (core/on-demand/report-types.ts). */
export const ON_DEMAND_JOB_TYPES = [
  'trivy',
  'image-trust',
  'cloudcosts',
  'falco',
  'nova',
  'pluto',
  'polaris',
  'prometheus-metrics',
  'goldilocks',
  'rbac-reporter',
  'right-sizer',
  'workloads',
  'kube-hunter',
  'kube-bench',
  'kyverno',
  'kyverno-policy-sync',
  'gonogo',
] as const;

/** One report type of the Fairwinds on-demand job runner. */
export type OnDemandJobType = (typeof ON_DEMAND_JOB_TYPES)[number];

/** The Fairwinds on-demand job runner image, pinned (the `OnDemandJobRunner` with `runner: 'fairwinds'`). */
export const FAIRWINDS_ON_DEMAND_JOB_RUNNER_IMAGE = 'quay.io/fairwinds/on-demand-job-runner:0.2.13';

/** The default Fairwinds Insights URL. */
export const FAIRWINDS_INSIGHTS_HOST = 'https://insights.fairwinds.com';

/** Read-only access to every resource: what most report job types need (pass it as `clusterRules`). */
export const CLUSTER_READ_ONLY_RULES: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
];

/**
 * Where the runner finds its Fairwinds Insights settings. The token always comes from a Secret;
 * organization and cluster come from the Secret too unless given here.
 */
export interface InsightsSettings {
  /** Name of the Secret (in the runner's namespace) holding the API token. */
  readonly secretName: string;
  /**
   * Key of the token in the Secret.
   * @default 'token'
   */
  readonly tokenKey?: string;
  /**
   * Organization name.
   * @default - the Secret's `organizationKey`
   */
  readonly organization?: string;
  /** @default 'organization' */
  readonly organizationKey?: string;
  /**
   * Cluster name in Insights.
   * @default - the Secret's `clusterKey`
   */
  readonly cluster?: string;
  /** @default 'cluster' */
  readonly clusterKey?: string;
  /**
   * Base URL of Fairwinds Insights.
   * @default 'https://insights.fairwinds.com'
   */
  readonly host?: string;
}

/** Props of {@link InsightsReportCronJob}. */
export interface InsightsReportCronJobProps {
  /** The report type (`JOB_TYPE`); the CronJob is named after it. */
  readonly jobType: OnDemandJobType;
  /** The Insights settings: token from a Secret, organization, cluster, host. */
  readonly insights: InsightsSettings;
  /**
   * Cron schedule of the runs. Runs never overlap (`concurrencyPolicy: Forbid`).
   * @default '*\/15 * * * *'
   */
  readonly schedule?: string;
  /** Container image of the report (e.g. the Fairwinds trivy or polaris plugin, mirrored and pinned). */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's cmd */
  readonly args?: string[];
  /**
   * More environment variables. Cannot set `JOB_TYPE` or the `FAIRWINDS_*` settings.
   * @default {}
   */
  readonly env?: Record<string, string>;
  /**
   * Namespace of the CronJob, its ServiceAccount and the Secret.
   * @default - the chart's namespace, else 'insights-agent'
   */
  readonly namespace?: string;
  /**
   * Name of the CronJob and its ServiceAccount (at most 52 characters). The on-demand job runner
   * looks the CronJob up by the report type's name: another name is never run on demand.
   * @default - the report type (`trivy`, `polaris`, …)
   */
  readonly name?: string;
  /**
   * Cluster-wide RBAC rules of the runner's ServiceAccount (a ClusterRole and its binding).
   * @default [] - none; most report types need CLUSTER_READ_ONLY_RULES
   */
  readonly clusterRules?: PolicyRule[];
  /**
   * RBAC rules in the runner's own namespace (a Role and its binding).
   * @default [] - none
   */
  readonly namespaceRules?: PolicyRule[];
  /** @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /**
   * Retries of a failed run.
   * @default 6
   */
  readonly backoffLimit?: number;
  /**
   * Finished Jobs are deleted after this many seconds.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Suspend the schedule.
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * Extra labels on every object.
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Merged over the restricted defaults and a high non-root user and group.
   * @default { runAsUser: 65532, runAsGroup: 65532 } over the restricted defaults
   */
  readonly podSecurityContext?: PodSecurityContext;
  /** @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Refuse an image not pinned by digest. @default false */
  readonly requireImageDigest?: boolean;
  /**
   * The runner's NetworkPolicy: ingress denied; egress to cluster DNS and `egress`.
   * @default - egress to TCP 443 (the apiserver, the Insights host) and 6443 (the apiserver's other usual port) anywhere but 169.254.169.254
   */
  readonly networkPolicy?: NetworkPolicyOptions;
  /**
   * The image reads the token from the file named by `FAIRWINDS_TOKEN_FILE` (the jobforge CLI
   * does): the token is mounted as a file instead of an environment variable.
   * @default false - the Fairwinds runner reads `FAIRWINDS_TOKEN` from the environment
   */
  readonly tokenAsFile?: boolean;
}

/**
 * Checks Insights settings (Secret name and keys, organization, cluster, host) and returns the
 * host. Throws naming the field and the value.
 */
export function validateInsightsSettings(insights: InsightsSettings | undefined): string {
  if (
    insights === undefined ||
    typeof insights.secretName !== 'string' ||
    !isDnsSubdomain(insights.secretName)
  ) {
    throw new Error(
      `'insights.secretName' must name a Secret (DNS-1123 subdomain), got ${JSON.stringify(insights?.secretName)}`,
    );
  }
  for (const field of ['tokenKey', 'organizationKey', 'clusterKey'] as const) {
    const v = insights[field];
    if (v !== undefined && !isDataKey(v)) {
      throw new Error(
        `'insights.${field}' must be a Secret key ([-._a-zA-Z0-9]+, not '.' or '..'), got ${JSON.stringify(v)}`,
      );
    }
  }
  for (const field of ['organization', 'cluster'] as const) {
    const v = insights[field];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) {
      throw new Error(`'insights.${field}' must be a non-empty string when given, got ${JSON.stringify(v)}`);
    }
  }
  const host = insights.host ?? FAIRWINDS_INSIGHTS_HOST;
  if (!/^https?:\/\/[^\s/]+/.test(host)) {
    throw new Error(`'insights.host' must be an http(s) URL, got ${JSON.stringify(host)}`);
  }
  return host;
}

/** The runner's pods run as this user and group unless `podSecurityContext` says otherwise. */
export const RUNNER_USER_ID = 65532;

const RESERVED_ENV = [
  'JOB_TYPE',
  'FAIRWINDS_INSIGHTS_HOST',
  'FAIRWINDS_TOKEN',
  'FAIRWINDS_TOKEN_FILE',
  'FAIRWINDS_ORG',
  'FAIRWINDS_CLUSTER',
];

/**
 * One Insights report as a CronJob named after its report type (`trivy`, `polaris`, …): the
 * schedule runs it, and the on-demand job runner ({@link OnDemandJobRunner}) makes a Job from it
 * when Insights asks for a run. Never two scheduled runs at once (`concurrencyPolicy: Forbid`);
 * `JOB_TYPE` and the Insights settings as environment
 * (`FAIRWINDS_INSIGHTS_HOST`, `FAIRWINDS_ORG`, `FAIRWINDS_CLUSTER`, and `FAIRWINDS_TOKEN` from a
 * Secret), its own ServiceAccount, and the RBAC given (none by default). A writable `/tmp`
 * (emptyDir) under a read-only root filesystem.
 *
 * Construct IDs: `CronJob` (a KubernetesCronJob: `Resource`, `ServiceAccount`), `ClusterRole`,
 * `ClusterRoleBinding`, `Role`, `RoleBinding`.
 */
export class InsightsReportCronJob extends Construct {
  /** The report type. */
  public readonly jobType: OnDemandJobType;
  /** Namespace of the CronJob and its ServiceAccount. */
  public readonly namespace: string;
  /** Name of the CronJob. */
  public readonly cronJobName: string;
  /** Name of the ServiceAccount the runs use. */
  public readonly serviceAccountName: string;
  /** The CronJob. */
  public readonly cronJob: KubernetesCronJob;

  public constructor(scope: Construct, id: string, props: InsightsReportCronJobProps) {
    super(scope, id);
    if (!(ON_DEMAND_JOB_TYPES as readonly string[]).includes(props.jobType)) {
      throw new Error(
        `'jobType' must be one of ${ON_DEMAND_JOB_TYPES.join(', ')}, got ${JSON.stringify(props.jobType)}`,
      );
    }
    if (typeof props.image !== 'string' || props.image.trim() === '') {
      throw new Error(
        `'image' is required (the ${props.jobType} report's image), got ${JSON.stringify(props.image)}`,
      );
    }
    const insights = props.insights;
    const host = validateInsightsSettings(insights);
    for (const key of Object.keys(props.env ?? {})) {
      if (RESERVED_ENV.includes(key)) {
        throw new Error(
          `'env' cannot set ${key}, which the runner sets from jobType and insights, got ${JSON.stringify(key)}`,
        );
      }
    }

    this.jobType = props.jobType;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? 'insights-agent';
    const name = props.name ?? props.jobType;
    if (props.tokenAsFile !== undefined && typeof props.tokenAsFile !== 'boolean') {
      throw new Error(`'tokenAsFile' must be a boolean, got ${JSON.stringify(props.tokenAsFile)}`);
    }
    const token = { secretName: insights.secretName, key: insights.tokenKey ?? 'token' };
    const secretEnv: Record<string, SecretKeyReference> = props.tokenAsFile
      ? { FAIRWINDS_TOKEN_FILE: { ...token, asFile: true } }
      : { FAIRWINDS_TOKEN: token };
    const env: Record<string, string> = { JOB_TYPE: props.jobType, FAIRWINDS_INSIGHTS_HOST: host };
    if (insights.organization !== undefined) env.FAIRWINDS_ORG = insights.organization;
    else
      secretEnv.FAIRWINDS_ORG = {
        secretName: insights.secretName,
        key: insights.organizationKey ?? 'organization',
      };
    if (insights.cluster !== undefined) env.FAIRWINDS_CLUSTER = insights.cluster;
    else
      secretEnv.FAIRWINDS_CLUSTER = {
        secretName: insights.secretName,
        key: insights.clusterKey ?? 'cluster',
      };
    const labels = { 'app.kubernetes.io/component': props.jobType, ...props.labels };
    // Checkov findings that are wrong for this object, each with its reason (Checkov's own
    // annotation; the reason may not contain '=').
    const envSecrets = Object.entries(secretEnv)
      .filter(([, ref]) => !ref.asFile)
      .map(([k]) => k);
    const skips = [
      'CKV_K8S_38=the runner calls the Kubernetes API with its ServiceAccount token (RBAC in its own ClusterRole and Role)',
      ...(envSecrets.length === 0
        ? []
        : [
            props.tokenAsFile
              ? `CKV_K8S_35=${envSecrets.join(' and ')} are names read from the Insights Secret and not credentials; the token is a file`
              : `CKV_K8S_35=the Fairwinds on-demand job runner reads ${envSecrets.join(' and ')} only from environment variables`,
          ]),
    ];
    const annotations = Object.fromEntries(skips.map((s, i) => [`checkov.io/skip${i + 1}`, s]));

    this.cronJob = new KubernetesCronJob(this, 'CronJob', {
      name,
      namespace: this.namespace,
      schedule: props.schedule ?? '*/15 * * * *',
      concurrencyPolicy: 'Forbid',
      image: props.image,
      command: props.command,
      args: props.args,
      env: { ...env, ...props.env },
      secretEnv,
      resources: props.resources,
      backoffLimit: props.backoffLimit,
      ttlSecondsAfterFinished: props.ttlSecondsAfterFinished ?? 3600,
      suspend: props.suspend,
      labels,
      annotations,
      serviceAccount: { create: true },
      automountServiceAccountToken: true,
      podSecurityContext: {
        runAsUser: RUNNER_USER_ID,
        runAsGroup: RUNNER_USER_ID,
        ...props.podSecurityContext,
      },
      imagePullPolicy: props.imagePullPolicy,
      requireImageDigest: props.requireImageDigest,
      networkPolicy: {
        egress: props.networkPolicy?.egress ?? [HTTPS_EGRESS, APISERVER_6443_EGRESS],
        allowDns: props.networkPolicy?.allowDns,
      },
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp', emptyDir: {} }],
    });
    this.cronJobName = this.cronJob.cronJobName;
    this.serviceAccountName = this.cronJob.serviceAccountName!;

    const serviceAccount = { name: this.serviceAccountName, namespace: this.namespace };
    const rbacLabels = {
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/managed-by': 'jobforge',
      ...labels,
    };
    const clusterRules = props.clusterRules ?? [];
    if (clusterRules.length > 0) {
      const roleName = `${this.namespace}-${name}`;
      addBoundRole(this, 'ClusterRole', {
        name: roleName,
        labels: rbacLabels,
        rules: clusterRules,
        serviceAccount,
      });
    }
    const namespaceRules = props.namespaceRules ?? [];
    if (namespaceRules.length > 0) {
      addBoundRole(this, 'Role', {
        name,
        namespace: this.namespace,
        labels: rbacLabels,
        rules: namespaceRules,
        serviceAccount,
      });
    }
  }
}
