// What a workload's Job(s) need next to them: the Namespace, ConfigMaps, the internal Secret, the
// image pull Secret, the ServiceAccount and the opt-in NetworkPolicy; their props and checks.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { validateAnnotations, validateDnsSubdomain } from '../../core/dns-name';
import { isDataKey, show } from '../../core/k8s/field-checks';
import { addNetworkPolicy } from '../network-policy';
import { workloadLabels, workloadSelectorLabels } from './naming';
import type { JobWorkloadProps } from './workload-props';

/**
 * The pod's image pull Secret: an existing Secret's `name`, or registry credentials (`registry`,
 * `username`, `password`) that become a kubernetes.io/dockerconfigjson Secret.
 */
export interface ImagePullSecret {
  /** The existing Secret, or the name of the created one. @default - `<name>-pull` when created */
  readonly name?: string;
  /** Registry host, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`. @default - use an existing Secret */
  readonly registry?: string;
  /** @default - none */
  readonly username?: string;
  /** @default - none */
  readonly password?: string;
  /** @default - none */
  readonly email?: string;
}

/** The pod's ServiceAccount: create one (optionally annotated, e.g. for IRSA), or use an existing one. */
export interface JobServiceAccount {
  /** @default - the workload's name when created; required when not */
  readonly name?: string;
  /** @default true */
  readonly create?: boolean;
  /** Annotations of the created ServiceAccount, e.g. `eks.amazonaws.com/role-arn`. @default {} */
  readonly annotations?: Record<string, string>;
}

/** What the workload creates next to its Job(s), by name. */
export interface JobSupport {
  readonly namespace?: string;
  readonly serviceAccountName?: string;
  readonly pullSecretName?: string;
  readonly secretName?: string;
  readonly configMapNames: string[];
}

/** Throws unless every ConfigMap of `configMaps` has a valid name, keys and string values. */
export function validateConfigMaps(configMaps: Record<string, Record<string, string>> | undefined): void {
  for (const [cmName, data] of Object.entries(configMaps ?? {})) {
    validateDnsSubdomain('configMaps', cmName);
    for (const [key, value] of Object.entries(data ?? {})) {
      if (!isDataKey(key)) {
        throw new Error(
          `'configMaps.${cmName}' keys must match [-._a-zA-Z0-9]+ (not '.' or '..'), got ${show(key)}`,
        );
      }
      if (typeof value !== 'string')
        throw new Error(`'configMaps.${cmName}.${key}' must be a string, got ${show(value)}`);
    }
  }
}

/** Throws unless `pull` names an existing Secret or gives complete registry credentials (never echoed). */
export function validateImagePullSecret(pull: ImagePullSecret | undefined): void {
  if (pull === undefined) return;
  if (pull.registry === undefined) {
    if (pull.username !== undefined || pull.password !== undefined) {
      throw new Error(`'imagePullSecret.registry' is required with username and password, got undefined`);
    }
    if (pull.name === undefined) {
      // Never echo credentials: name the keys that were given.
      throw new Error(
        `'imagePullSecret' needs a name (existing Secret) or registry credentials, got keys ${show(Object.keys(pull))}`,
      );
    }
  } else {
    if (typeof pull.registry !== 'string' || pull.registry === '' || /[\s/]/.test(pull.registry)) {
      throw new Error(`'imagePullSecret.registry' must be a registry host, got ${show(pull.registry)}`);
    }
    if (!pull.username)
      throw new Error(`'imagePullSecret.username' is required with registry, got ${show(pull.username)}`);
    if (!pull.password)
      throw new Error(`'imagePullSecret.password' is required with registry, got ${show(pull.password)}`);
  }
  if (pull.name !== undefined) validateDnsSubdomain('imagePullSecret.name', pull.name);
}

/** Throws unless `sa` creates a ServiceAccount or names an existing one (which is not annotated). */
export function validateServiceAccount(sa: JobServiceAccount | undefined): void {
  if (sa === undefined) return;
  if (sa.create === false) {
    if (sa.name === undefined)
      throw new Error(`'serviceAccount.name' is required when create is false, got undefined`);
    if (sa.annotations !== undefined) {
      throw new Error(
        `'serviceAccount.annotations' need create: true (an existing ServiceAccount is not changed), got ${show(sa.annotations)}`,
      );
    }
  }
  if (sa.name !== undefined) validateDnsSubdomain('serviceAccount.name', sa.name);
  validateAnnotations('serviceAccount.annotations', sa.annotations);
}

/**
 * Throws when two objects the workload creates would get one kind and name (the second would
 * replace the first on apply), naming both fields.
 */
export function validateCreatedNames(props: JobWorkloadProps, name: string): void {
  const secrets = new Map<string, string>();
  const add = (field: string, secretName: string): void => {
    const other = secrets.get(secretName);
    if (other !== undefined) {
      throw new Error(
        `'${other}' and '${field}' both create Secret ${show(secretName)}; give one of them another name`,
      );
    }
    secrets.set(secretName, field);
  };
  if (Object.keys(props.secrets ?? {}).length > 0) add('secrets', `${name}-secrets`);
  const pull = props.imagePullSecret;
  if (pull?.registry !== undefined) add('imagePullSecret.name', pull.name ?? `${name}-pull`);
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Creates what the Job(s) of a workload need next to them, in apply order: the Namespace, the
 * ConfigMaps, the internal Secret, the pull Secret, the ServiceAccount. Call after
 * validateJobWorkload.
 */
export function addJobSupport(scope: Construct, props: JobWorkloadProps, name: string): JobSupport {
  const namespace = props.namespace;
  const labels = workloadLabels(name, props.labels);
  if (props.createNamespace) {
    new k8s.KubeNamespace(scope, 'Namespace', { metadata: { name: namespace, labels } });
  }
  const configMapNames: string[] = [];
  for (const [cmName, data] of Object.entries(props.configMaps ?? {})) {
    new k8s.KubeConfigMap(scope, `ConfigMap-${cmName}`, {
      metadata: { name: cmName, namespace, labels },
      data: { ...data },
    });
    configMapNames.push(cmName);
  }
  let secretName: string | undefined;
  const secrets = props.secrets ?? {};
  const secretKeys = Object.keys(secrets);
  if (secretKeys.length > 0) {
    secretName = `${name}-secrets`;
    const data: Record<string, string> = {};
    for (const key of secretKeys) data[key] = b64(secrets[key]);
    new k8s.KubeSecret(scope, 'Secret', {
      metadata: { name: secretName, namespace, labels },
      type: 'Opaque',
      data,
    });
  }
  let pullSecretName: string | undefined;
  const pull = props.imagePullSecret;
  if (pull !== undefined) {
    pullSecretName = pull.name ?? `${name}-pull`;
    if (pull.registry !== undefined) {
      const auth = {
        username: pull.username!,
        password: pull.password!,
        ...(pull.email ? { email: pull.email } : {}),
        auth: b64(`${pull.username}:${pull.password}`),
      };
      new k8s.KubeSecret(scope, 'PullSecret', {
        metadata: { name: pullSecretName, namespace, labels },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [pull.registry]: auth } })) },
      });
    }
  }
  let serviceAccountName: string | undefined;
  const sa = props.serviceAccount;
  if (sa !== undefined) {
    serviceAccountName = sa.name ?? name;
    if (sa.create !== false) {
      new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
        metadata: { name: serviceAccountName, namespace, labels, annotations: sa.annotations },
        automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      });
    }
  }
  addWorkloadNetworkPolicy(scope, props, name);
  return { namespace, serviceAccountName, pullSecretName, secretName, configMapNames };
}

/**
 * The workload's opt-in NetworkPolicy (`networkPolicy`), named like the workload and selecting its
 * pods by their name label. Call after validateJobWorkload.
 */
export function addWorkloadNetworkPolicy(scope: Construct, props: JobWorkloadProps, name: string): void {
  if (props.networkPolicy === undefined) return;
  addNetworkPolicy(scope, 'NetworkPolicy', {
    name,
    namespace: props.namespace,
    labels: workloadLabels(name, props.labels),
    podLabels: workloadSelectorLabels(name),
    options: props.networkPolicy,
    defaultEgress: [],
  });
}
