import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { ClusterPolicy, ClusterPolicySpecRules } from '../imports/kyverno.io';
import { validateDnsLabel, validateDnsSubdomain, validateLabels } from '../core/dns-name';
import {
  DEFAULT_HASH_LENGTH,
  JobNaming,
  MAX_HASH_LENGTH,
  MIN_HASH_LENGTH,
  uniqueJobName,
  uniqueJobNameJmesPath,
} from '../core/unique-job-name';
import { checkInteger, checkStringList, show } from '../core/k8s/field-checks';
import { requireImageDigest, validateContainerImage } from '../core/image-reference';
import {
  ContainerModel,
  ContainerResources,
  ImagePullPolicy,
  PodModel,
  isEnvVarName,
  validateEnvNames,
  validateImagePullPolicy,
  validateRequireImageDigest,
  validateResources,
} from './pod';

/** Label every generated Job (and its pods) carries, as the original policy set it. */
export const GENERATED_BY_LABEL = 'generated-by';
/** Value of {@link GENERATED_BY_LABEL}. */
export const GENERATED_BY_VALUE = 'unique-job-per-image-policy';
/** Annotation with the image reference as the Pod wrote it. */
export const ORIGINAL_IMAGE_ANNOTATION = 'original-image';
/** Annotation with the name of the Pod that triggered the Job. */
export const SOURCE_POD_ANNOTATION = 'source-pod';
/** The Kyverno annotation stating the minimum version a policy needs. */
export const KYVERNO_MIN_VERSION_ANNOTATION = 'policies.kyverno.io/minversion';
/** Label that aggregates a ClusterRole into Kyverno's background controller role. */
export const KYVERNO_BACKGROUND_AGGREGATION_LABEL = 'rbac.kyverno.io/aggregate-to-background-controller';

/** The container every generated Job runs. */
export interface UniqueJobContainer {
  /** Image of the job container (a full reference, e.g. `ghcr.io/acme/scanner:1.4`). */
  readonly image: string;
  /** @default 'job' */
  readonly name?: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's cmd */
  readonly args?: string[];
  /** Extra environment variables. @default - only the target image variable */
  readonly env?: Record<string, string>;
  /** @default - requests 100m CPU / 128Mi, limits 500m CPU / 512Mi (DEFAULT_RESOURCES) */
  readonly resources?: ContainerResources;
  /** @default - Kubernetes default (IfNotPresent, or Always for `:latest`) */
  readonly imagePullPolicy?: ImagePullPolicy;
}

/** Props of {@link UniqueJobPerImagePolicy}. */
export interface UniqueJobPerImagePolicyProps {
  /** The job container: receives the image to act on in the {@link imageEnvVar} variable. */
  readonly jobContainer: UniqueJobContainer;
  /** Refuse a job container image not pinned by digest (`…@sha256:<hex>`). @default false */
  readonly requireImageDigest?: boolean;
  /** Name of the ClusterPolicy. @default 'generate-unique-job-per-image' */
  readonly policyName?: string;
  /** Namespaces whose Pods trigger the policy. The Job is created in the Pod's namespace. @default ['default'] */
  readonly namespaces?: string[];
  /** Environment variable that receives the target image as the Pod wrote it. @default 'TARGET_IMAGE' */
  readonly imageEnvVar?: string;
  /** Seconds a finished Job is kept before Kubernetes deletes it. @default 300 */
  readonly ttlSecondsAfterFinished?: number;
  /** @default - Kubernetes default (6) */
  readonly backoffLimit?: number;
  /** @default - no deadline */
  readonly activeDeadlineSeconds?: number;
  /**
   * How Jobs are named. `hashed` (Kyverno 1.12+) is collision-proof; `legacy` reproduces the
   * original policy (`img-` + image with `/ : . @ _` replaced by `-`, truncated to 50) for clusters
   * that cannot upgrade. Legacy names collide (44-character ECR hosts leave 6 characters of the
   * path: `team-a/api:v1` and `team-b/web:v2` share a Job and Kyverno drops the second; digests are
   * cut off; `a/b:c` and `a-b:c` collide), `nginx` and `docker.io/library/nginx:latest` get two Jobs,
   * and uppercase tags or a trailing `-` after truncation make names Kubernetes rejects.
   * @default 'hashed'
   */
  readonly naming?: JobNaming;
  /** Hex characters of sha256 in `hashed` names, 8 to 32. @default 12 */
  readonly hashLength?: number;
  /**
   * One Job per image of every container and init container of the Pod (Kyverno generate
   * `foreach`, 1.13+), instead of `containers[0]` only.
   * @default false
   */
  readonly allContainers?: boolean;
  /** Extra labels on the generated Jobs and their pods. @default - none */
  readonly jobLabels?: Record<string, string>;
  /** Service account of the Job pods (its token is not mounted). @default - the namespace's default */
  readonly serviceAccountName?: string;
  /** UID the job container runs as (the pod always sets runAsNonRoot). @default - the image's user */
  readonly runAsUser?: number;
  /** @default true */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Also synthesize a ClusterRole aggregated into Kyverno's background controller, which creates the
   * Jobs (Kyverno refuses a generate policy whose kind it may not create).
   * @default true
   */
  readonly grantKyvernoPermissions?: boolean;
}

/** The values Kyverno substitutes into a generated Job. */
export interface GeneratedJobInput {
  /** The image reference as the Pod wrote it. */
  readonly image: string;
  /** Name of the Pod that triggered the policy. */
  readonly podName: string;
  /** The Pod's namespace. */
  readonly namespace: string;
}

const DEFAULT_POLICY_NAME = 'generate-unique-job-per-image';
const RULE_NAME = 'generate-job-per-image';
const DEFAULT_IMAGE_ENV_VAR = 'TARGET_IMAGE';
const DEFAULT_TTL_SECONDS = 300;
const FIRST_CONTAINER_IMAGE = 'request.object.spec.containers[0].image';
const FOREACH_LIST = 'request.object.spec.[initContainers, containers][]';
const FOREACH_IMAGE = 'element.image';

/**
 * A Kyverno ClusterPolicy that generates exactly one Job per unique container image: when a Pod is
 * created or updated in one of `namespaces`, Kyverno creates a Job named {@link uniqueJobName} of
 * the image in the Pod's namespace, unless one of that name exists. Pods of the generated Jobs
 * (labelled {@link GENERATED_BY_LABEL}) are excluded, or each would make a Job for the job
 * container's own image. `synchronize: false`: Kyverno never updates or recreates a Job it
 * generated (a finished Job stays finished; once its TTL has deleted it, only a later Pod event
 * with that image creates a new one), and deleting the policy leaves the Jobs alone.
 *
 * Minimum Kyverno version ({@link UniqueJobPerImagePolicy.minimumKyvernoVersion}): 1.12.0 for
 * `hashed` names (`sha256`, `image_normalize`), 1.13.0 with `allContainers` (generate `foreach`),
 * 1.6.0 for `legacy` names on `containers[0]` (`truncate`). The policy carries it in the
 * `policies.kyverno.io/minversion` annotation.
 */
export class UniqueJobPerImagePolicy extends Construct {
  /** The minimum Kyverno version a policy with these options needs. */
  public static minimumKyvernoVersion(options: { naming?: JobNaming; allContainers?: boolean } = {}): string {
    if (options.allContainers) return '1.13.0';
    return (options.naming ?? 'hashed') === 'hashed' ? '1.12.0' : '1.6.0';
  }

  /** The ClusterPolicy. */
  public readonly policy: ClusterPolicy;
  /** The ClusterRole granting Kyverno's background controller the Job permissions, when synthesized. */
  public readonly kyvernoRole?: k8s.KubeClusterRole;
  /** Name of the ClusterPolicy. */
  public readonly policyName: string;
  /** Name of the generate rule (what `kyverno test` results refer to). */
  public readonly ruleName = RULE_NAME;
  /** Minimum Kyverno version this policy needs. */
  public readonly minimumKyvernoVersion: string;
  /** How Jobs are named. */
  public readonly naming: JobNaming;

  private readonly props: UniqueJobPerImagePolicyProps;
  private readonly hashLength: number;

  constructor(scope: Construct, id: string, props: UniqueJobPerImagePolicyProps) {
    validate(props); // before super: invalid props leave nothing in the tree
    super(scope, id);
    this.props = props;
    this.policyName = props.policyName ?? DEFAULT_POLICY_NAME;
    this.naming = props.naming ?? 'hashed';
    this.hashLength = props.hashLength ?? DEFAULT_HASH_LENGTH;
    this.minimumKyvernoVersion = UniqueJobPerImagePolicy.minimumKyvernoVersion(props);

    const nameOptions = { naming: this.naming, hashLength: this.hashLength };
    const imageExpr = props.allContainers ? FOREACH_IMAGE : FIRST_CONTAINER_IMAGE;
    const target = {
      name: `{{ ${uniqueJobNameJmesPath(imageExpr, nameOptions)} }}`,
      namespace: '{{ request.object.metadata.namespace }}',
      data: this.jobData(
        { image: `{{ ${imageExpr} }}`, podName: '{{ request.object.metadata.name }}', namespace: '' },
        escapeKyvernoReferences,
      ),
    };
    const generate = props.allContainers
      ? {
          synchronize: false,
          foreach: [{ list: FOREACH_LIST, apiVersion: 'batch/v1', kind: 'Job', ...target }],
        }
      : { synchronize: false, apiVersion: 'batch/v1', kind: 'Job', ...target };

    const rule: ClusterPolicySpecRules = {
      name: RULE_NAME,
      match: {
        any: [{ resources: { kinds: ['Pod'], namespaces: [...(props.namespaces ?? ['default'])] } }],
      },
      // The generated Jobs' own pods (same namespace, labelled by the policy) would otherwise match
      // and make one more Job, for the job container's image.
      exclude: {
        any: [
          {
            resources: {
              kinds: ['Pod'],
              selector: { matchLabels: { [GENERATED_BY_LABEL]: GENERATED_BY_VALUE } },
            },
          },
        ],
      },
      generate,
    };

    this.policy = new ClusterPolicy(this, 'Resource', {
      metadata: {
        name: this.policyName,
        annotations: {
          'policies.kyverno.io/title': 'One Job per unique container image',
          'policies.kyverno.io/category': 'Batch',
          'policies.kyverno.io/subject': 'Pod, Job',
          [KYVERNO_MIN_VERSION_ANNOTATION]: this.minimumKyvernoVersion,
          'policies.kyverno.io/description':
            'Generates exactly one Job per unique container image used by Pods in the selected namespaces. ' +
            `Jobs are named ${this.naming === 'hashed' ? 'img-<slug>-<sha256 prefix of the normalized image>' : 'img-<image with /:.@_ replaced by ->, truncated to 50 (legacy)'} ` +
            'and are not recreated (synchronize: false).',
        },
      },
      spec: { background: false, rules: [rule] },
    });

    if (props.grantKyvernoPermissions ?? true) {
      this.kyvernoRole = new k8s.KubeClusterRole(this, 'KyvernoJobs', {
        metadata: {
          name: `kyverno:${this.policyName}:jobs`,
          labels: {
            [KYVERNO_BACKGROUND_AGGREGATION_LABEL]: 'true',
          },
        },
        rules: [
          {
            apiGroups: ['batch'],
            resources: ['jobs'],
            verbs: ['create', 'update', 'patch', 'delete', 'get', 'list', 'watch'],
          },
        ],
      });
    }
  }

  /** The name of the Job the policy generates for `image`. */
  public jobName(image: string): string {
    return uniqueJobName(image, { naming: this.naming, hashLength: this.hashLength });
  }

  /**
   * The Job Kyverno generates for a Pod with `input.image` (as Kyverno writes it, before Kyverno's own
   * `generate.kyverno.io/*` labels and `app.kubernetes.io/managed-by`).
   */
  public renderJob(input: GeneratedJobInput): Record<string, unknown> {
    const data = this.jobData(input, (s) => s);
    const metadata = data.metadata as Record<string, unknown>;
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      ...data,
      metadata: { ...metadata, name: this.jobName(input.image), namespace: input.namespace },
    };
  }

  /**
   * The generate rule's `data`: the Job without name and namespace. `user` maps every string the
   * user gave (command, args, env values) as it must be written.
   */
  private jobData(input: GeneratedJobInput, user: (s: string) => string): Record<string, unknown> {
    const p = this.props;
    const c = p.jobContainer;
    const labels = { ...(p.jobLabels ?? {}), [GENERATED_BY_LABEL]: GENERATED_BY_VALUE };
    const env: k8s.EnvVar[] = [
      { name: p.imageEnvVar ?? DEFAULT_IMAGE_ENV_VAR, value: input.image },
      ...Object.entries(c.env ?? {}).map(([name, value]) => ({ name, value: user(value) })),
    ];
    const pod = new PodModel({
      restartPolicy: 'Never',
      serviceAccountName: p.serviceAccountName,
      automountServiceAccountToken: false,
    });
    pod.addContainer(
      new ContainerModel({
        name: c.name ?? 'job',
        image: c.image,
        imagePullPolicy: c.imagePullPolicy,
        command: c.command?.map(user),
        args: c.args?.map(user),
        env,
        resources: c.resources,
        securityContext: { readOnlyRootFilesystem: p.readOnlyRootFilesystem ?? true, runAsUser: p.runAsUser },
      }),
    );
    const spec: k8s.JobSpec = {
      ttlSecondsAfterFinished: p.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS,
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      template: { metadata: { labels }, spec: pod.toKube() },
    };
    return {
      metadata: {
        labels,
        annotations: { [ORIGINAL_IMAGE_ANNOTATION]: input.image, [SOURCE_POD_ANNOTATION]: input.podName },
      },
      spec: k8s.toJson_JobSpec(spec),
    };
  }
}

/**
 * Kyverno resolves `$(path)` references in every string of a rule (it fails the rule when one does
 * not resolve), so Kubernetes' own `$(VAR)` expansion in command, args and env must be written
 * `\$(VAR)`; Kyverno removes the backslash when it generates the Job. Only what Kyverno would read
 * as a reference is escaped (`$(` followed by no space up to the first `)`); a backslash already
 * there is kept, as Kyverno removes exactly one.
 */
export function escapeKyvernoReferences(value: string): string {
  return value.replace(/\$\((?=.[^ )]*\))/g, '\\$(');
}

/** Kyverno substitutes `{{ }}` in every string of a generate rule: user strings must not contain it. */
function checkNoVariables(field: string, value: string | undefined): void {
  if (value !== undefined && value.includes('{{')) {
    throw new Error(`'${field}' must not contain '{{' (Kyverno would substitute it), got ${show(value)}`);
  }
}

function validate(props: UniqueJobPerImagePolicyProps): void {
  if (props === undefined || props === null || typeof props !== 'object') {
    throw new Error(`'props' is required, got ${show(props)}`);
  }
  const c = props.jobContainer;
  if (c === undefined || c === null || typeof c !== 'object') {
    throw new Error(`'jobContainer' is required, got ${show(c)}`);
  }
  validateContainerImage('jobContainer.image', c.image);
  validateRequireImageDigest(props.requireImageDigest);
  if (props.requireImageDigest) requireImageDigest('jobContainer.image', c.image);
  if (c.name !== undefined) validateDnsLabel('jobContainer.name', c.name);
  validateImagePullPolicy('jobContainer.imagePullPolicy', c.imagePullPolicy);
  for (const [field, list] of [
    ['jobContainer.command', c.command],
    ['jobContainer.args', c.args],
  ] as const) {
    checkStringList(field, list);
    list?.forEach((s, i) => checkNoVariables(`${field}[${i}]`, s));
  }
  validateResources('jobContainer.resources', c.resources);

  const envVar = props.imageEnvVar ?? DEFAULT_IMAGE_ENV_VAR;
  if (!isEnvVarName(envVar)) {
    throw new Error(
      `'imageEnvVar' must be an environment variable name (printable ASCII characters except '='), got ${show(props.imageEnvVar)}`,
    );
  }
  validateEnvNames('jobContainer.env', Object.keys(c.env ?? {}));
  for (const [name, value] of Object.entries(c.env ?? {})) {
    if (name === envVar) {
      throw new Error(
        `'jobContainer.env' must not set ${show(name)}: the policy sets it to the target image`,
      );
    }
    if (typeof value !== 'string') {
      throw new Error(`'jobContainer.env.${name}' must be a string, got ${show(value)}`);
    }
    checkNoVariables(`jobContainer.env.${name}`, value);
  }

  if (props.policyName !== undefined) validateDnsSubdomain('policyName', props.policyName);
  if (props.namespaces !== undefined) {
    if (!Array.isArray(props.namespaces) || props.namespaces.length === 0) {
      throw new Error(
        `'namespaces' must be a non-empty list of namespace names, got ${show(props.namespaces)}`,
      );
    }
    props.namespaces.forEach((ns, i) => {
      // Kyverno accepts wildcards in namespace names (`team-*`).
      if (typeof ns !== 'string' || !/^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/.test(ns) || ns.length > 63) {
        throw new Error(
          `'namespaces[${i}]' must be a namespace name (wildcards * and ? allowed), got ${show(ns)}`,
        );
      }
    });
  }
  checkInteger('ttlSecondsAfterFinished', props.ttlSecondsAfterFinished, 0);
  checkInteger('backoffLimit', props.backoffLimit, 0);
  checkInteger('activeDeadlineSeconds', props.activeDeadlineSeconds, 0);
  checkInteger('runAsUser', props.runAsUser, 1);
  checkInteger('hashLength', props.hashLength, MIN_HASH_LENGTH, MAX_HASH_LENGTH);
  if (props.naming !== undefined && props.naming !== 'hashed' && props.naming !== 'legacy') {
    throw new Error(`'naming' must be 'hashed' or 'legacy', got ${show(props.naming)}`);
  }
  if (props.naming === 'legacy' && props.hashLength !== undefined) {
    throw new Error(
      `'hashLength' only applies to naming 'hashed', got ${show(props.hashLength)} with 'legacy'`,
    );
  }
  // '' is the namespace's default ServiceAccount, as the apiserver reads it.
  if (props.serviceAccountName !== undefined && props.serviceAccountName !== '')
    validateDnsSubdomain('serviceAccountName', props.serviceAccountName);
  validateLabels('jobLabels', props.jobLabels);
  if (props.jobLabels?.[GENERATED_BY_LABEL] !== undefined) {
    throw new Error(`'jobLabels' must not set ${show(GENERATED_BY_LABEL)}: the policy sets it`);
  }
}
