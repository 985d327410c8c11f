// Settings the CLI commands read the same way: from a flag, else its environment variable.
import * as fs from 'node:fs';
import { Option } from 'commander';
import { parseGoDuration } from '../../core/policy-sync/go-duration';

/** The namespace file Kubernetes mounts into every pod with a ServiceAccount token. */
const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** `value` trimmed; throws naming the setting (`envName`, or `flag`) when it is missing or blank. */
export function required(value: string | undefined, flag: string, envName: string): string {
  if (value === undefined || value.trim() === '') {
    throw new Error(`'${envName}' (or ${flag}) is required, got ${JSON.stringify(value ?? '')}`);
  }
  return value.trim();
}

/** The namespace of the pod this process runs in (its ServiceAccount's), or undefined out of cluster. */
export function serviceAccountNamespace(): string | undefined {
  return fs.existsSync(SA_NAMESPACE_FILE) ? fs.readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() : undefined;
}

/** A leader Lease's duration in ms: a Go duration of at least 1s; throws naming `name`. */
export function leaseDurationMs(value: string, name: string): number {
  const ms = parseGoDuration(value, name);
  if (ms < 1000) throw new Error(`'${name}' must be at least 1s, got ${JSON.stringify(value)}`);
  return ms;
}

/** `--log-level`, one of debug, info, warn or error (env LOG_LEVEL, read by the command). */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level (env LOG_LEVEL, default info)').choices([
    'debug',
    'info',
    'warn',
    'error',
  ]);
}
