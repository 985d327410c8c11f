// The props every jobforge batch workload (KubernetesJob, KubernetesCronJob, DaemonJob) shares.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { NodeToleration } from '../../core/node-inventory';
import { NetworkPolicyOptions } from '../network-policy';
import { ImagePullPolicy, InitContainer } from './container';
import { SecretKeyReference } from './env';
import { JobBehaviourProps } from './job-spec';
import { ContainerResources } from './resources';
import { VolumeMount } from './volumes';
import { ImagePullSecret, JobServiceAccount } from './workload-support';

/** The container and pod props every jobforge batch workload shares. */
export interface ContainerProps {
  /**
   * A full image reference that parses (`registry/repository:tag`, `...@sha256:<hex>`); a tag or a
   * digest is required (no implicit `:latest`).
   */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's cmd */
  readonly args?: string[];
  /** Plain environment variables. @default {} */
  readonly env?: Record<string, string>;
  /** Environment variables read from existing Secrets (or, with `asFile`, their file paths). @default {} */
  readonly secretEnv?: Record<string, SecretKeyReference>;
  /**
   * Pull policy of every container.
   * @default - `IfNotPresent` for an image pinned by digest, `Always` for a tag (see defaultImagePullPolicy)
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Refuse images (main and init containers) not pinned by digest (`…@sha256:<hex>`). @default false */
  readonly requireImageDigest?: boolean;
  /**
   * Opt in to a NetworkPolicy `<name>` for the workload's pods: all ingress denied, egress only to
   * cluster DNS and `egress` (none by default: list what the Job needs).
   * @default - no NetworkPolicy
   */
  readonly networkPolicy?: NetworkPolicyOptions;
  /**
   * Secret values (for development) put in an internal Secret `<name>-secrets` and exposed as
   * environment variables of the same names. @default {}
   */
  readonly secrets?: Record<string, string>;
  /** Replaces the defaults entirely when given. @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /**
   * Merged over the restricted defaults (allowPrivilegeEscalation false, privileged false, all
   * capabilities dropped, readOnlyRootFilesystem true, runAsNonRoot true).
   * @default - restricted defaults
   */
  readonly securityContext?: k8s.SecurityContext;
  /**
   * Merged over the restricted defaults (runAsNonRoot true, seccompProfile RuntimeDefault).
   * @default - restricted defaults
   */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** Volumes and their mounts in the main container. @default [] */
  readonly volumeMounts?: VolumeMount[];
  /** @default [] */
  readonly initContainers?: InitContainer[];
  /** ConfigMaps created with the workload: name → data. @default {} */
  readonly configMaps?: Record<string, Record<string, string>>;
  /** @default - the namespace's default pull credentials */
  readonly imagePullSecret?: ImagePullSecret;
  /** @default - the namespace's default ServiceAccount */
  readonly serviceAccount?: JobServiceAccount;
  /**
   * Mount the ServiceAccount's API token: only for pods that call the Kubernetes API. IRSA does
   * not need it (EKS's webhook projects its own token).
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** @default {} */
  readonly nodeSelector?: Record<string, string>;
  /** @default [] */
  readonly tolerations?: NodeToleration[];
  /** @default - none */
  readonly affinity?: k8s.Affinity;
}

/** Naming and placement props every jobforge batch workload shares. */
export interface WorkloadMetadataProps {
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** Create the Namespace. @default false */
  readonly createNamespace?: boolean;
  /** @default - generated from the construct path */
  readonly name?: string;
  /** Extra labels for every object (and the pods). @default {} */
  readonly labels?: Record<string, string>;
  /** Extra annotations for the Job(s). @default {} */
  readonly annotations?: Record<string, string>;
}

/** Everything a jobforge batch workload shares: metadata, container, pod and Job behaviour. */
export interface JobWorkloadProps extends WorkloadMetadataProps, ContainerProps, JobBehaviourProps {}
