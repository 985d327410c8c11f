// Environment variables of the main container: plain values (`env`), values of the workload's
// internal Secret (`secrets`), and keys of existing Secrets (`secretEnv`), optionally as files.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { validateDnsSubdomain } from '../../core/dns-name';
import { isDataKey, show } from '../../core/k8s/field-checks';

/** A key of an existing Secret, exposed to the container as an environment variable. */
export interface SecretKeyReference {
  /** The Secret's name (in the Job's namespace). */
  readonly secretName: string;
  /** The key inside the Secret. */
  readonly key: string;
  /** Start the container even when the Secret or key is missing. @default false */
  readonly optional?: boolean;
  /**
   * Mount the key as a read-only file (`/var/run/secrets/jobforge/<secretName>/<key>`) instead of
   * putting its value in the environment; the variable then holds the file's path (name it e.g.
   * `API_KEY_FILE`). For programs that can read a secret from a file.
   * @default false
   */
  readonly asFile?: boolean;
}

/** Where `secretEnv` entries with `asFile` are mounted: one directory per Secret. */
export const SECRET_FILES_DIR = '/var/run/secrets/jobforge';

/** The environment props of a main container. */
export interface EnvProps {
  readonly env?: Record<string, string>;
  readonly secrets?: Record<string, string>;
  readonly secretEnv?: Record<string, SecretKeyReference>;
}

/** An environment variable name as kube-apiserver takes it: printable ASCII, no '='. */
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

/** True when kube-apiserver takes `name` as an environment variable name: printable ASCII but '='. */
export const isEnvVarName = (name: string): boolean => typeof name === 'string' && ENV_NAME.test(name);

/** Throws unless every name is an environment variable name kube-apiserver takes (printable ASCII but '='). */
export function validateEnvNames(field: string, names: string[]): void {
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new Error(
        `'${field}' keys must be environment variable names (printable ASCII characters except '='), got ${show(name)}`,
      );
    }
  }
}

/**
 * Throws unless `env`, `secrets` and `secretEnv` are well formed and give every variable one
 * source. Never echoes a value of `secrets`.
 */
export function validateEnvProps(props: EnvProps): void {
  const envNames = Object.keys(props.env ?? {});
  const secretNames = Object.keys(props.secrets ?? {});
  const secretEnvNames = Object.keys(props.secretEnv ?? {});
  validateEnvNames('env', envNames);
  validateEnvNames('secrets', secretNames);
  validateEnvNames('secretEnv', secretEnvNames);
  for (const [k, v] of Object.entries(props.env ?? {})) {
    if (typeof v !== 'string') throw new Error(`'env.${k}' must be a string, got ${show(v)}`);
  }
  for (const [k, v] of Object.entries(props.secrets ?? {})) {
    if (!isDataKey(k)) {
      throw new Error(
        `'secrets' keys must also be Secret keys ([-._a-zA-Z0-9]+, not '.' or '..'), got ${show(k)}`,
      );
    }
    if (typeof v !== 'string')
      throw new Error(`'secrets.${k}' must be a string, got a value of type ${typeof v}`);
  }
  const secretEnvSet = new Set(secretEnvNames);
  for (const key of secretNames) {
    if (secretEnvSet.has(key)) {
      throw new Error(
        `'secrets' and 'secretEnv' both define ${show(key)}; an environment variable has one source`,
      );
    }
  }
  const envSet = new Set(envNames);
  for (const [field, keys] of [
    ['secrets', secretNames],
    ['secretEnv', secretEnvNames],
  ] as const) {
    for (const key of keys) {
      if (envSet.has(key)) {
        throw new Error(
          `'env' and '${field}' both define ${show(key)}; an environment variable has one source`,
        );
      }
    }
  }
  for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
    if (ref === null || typeof ref !== 'object')
      throw new Error(`'secretEnv.${k}' must be { secretName, key }, got ${show(ref)}`);
    validateDnsSubdomain(`secretEnv.${k}.secretName`, ref.secretName);
    if (!isDataKey(ref.key)) {
      throw new Error(
        `'secretEnv.${k}.key' must be a Secret key ([-._a-zA-Z0-9]+, not '.' or '..'), got ${show(ref.key)}`,
      );
    }
    if (ref.asFile !== undefined && typeof ref.asFile !== 'boolean') {
      throw new Error(`'secretEnv.${k}.asFile' must be a boolean, got ${show(ref.asFile)}`);
    }
  }
}

/** Plain variables, in key order. */
export function plainEnvVars(env: Record<string, string> | undefined): k8s.EnvVar[] {
  const out: k8s.EnvVar[] = [];
  if (env) for (const k of Object.keys(env)) out.push({ name: k, value: env[k] });
  return out;
}

/**
 * The main container's variables: `env`, then `secrets` read from the internal Secret
 * `secretName`, then `secretEnv` (a file path for entries with `asFile`).
 */
export function mainEnvVars(props: EnvProps, secretName: string | undefined): k8s.EnvVar[] {
  const env = plainEnvVars(props.env);
  if (secretName !== undefined) {
    for (const key of Object.keys(props.secrets ?? {})) {
      env.push({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } });
    }
  }
  for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
    if (ref.asFile) {
      env.push({ name: k, value: `${SECRET_FILES_DIR}/${ref.secretName}/${ref.key}` });
      continue;
    }
    env.push({
      name: k,
      valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key, optional: ref.optional } },
    });
  }
  return env;
}

/** A Secret volume holding the `secretEnv` files of one Secret. */
export interface SecretFileVolume {
  readonly secretName: string;
  readonly volumeName: string;
  readonly mountPath: string;
  readonly keys: string[];
  readonly optional: boolean;
}

/** The Secret volumes of `secretEnv` entries with `asFile`: one per Secret, in first-use order. */
export function secretFileVolumes(props: EnvProps): SecretFileVolume[] {
  const bySecret = new Map<string, { keys: string[]; optional: boolean }>();
  for (const ref of Object.values(props.secretEnv ?? {})) {
    if (!ref?.asFile) continue;
    const entry = bySecret.get(ref.secretName) ?? { keys: [], optional: true };
    if (!entry.keys.includes(ref.key)) entry.keys.push(ref.key);
    entry.optional = entry.optional && ref.optional === true;
    bySecret.set(ref.secretName, entry);
  }
  return [...bySecret].map(([secretName, e], i) => ({
    secretName,
    volumeName: `jobforge-secret-files-${i}`,
    mountPath: `${SECRET_FILES_DIR}/${secretName}`,
    keys: e.keys,
    optional: e.optional,
  }));
}
