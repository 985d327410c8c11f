import { redactUrl } from '../git-auth';
import { jsonLineLogger, LogLevel, SyncLogger } from '../policy-sync/sync-logger';

/**
 * The managers' logger: JSON lines (`level`, `time`, `msg`, fields) at `--log-level` and above,
 * with every secret the process has read (Git tokens, passwords, keys, AWS keys) and credentials
 * in URLs replaced by `***` in the message and in every string field.
 */
export interface ControllerLogger extends SyncLogger {
  /** Adds values that must never be written. */
  addSecrets(values: Iterable<string | undefined>): void;
  /** `text` with the known secrets and URL credentials replaced. */
  redact(text: string): string;
}

export function controllerLogger(level: LogLevel, write: (line: string) => void): ControllerLogger {
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = redactUrl(text);
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  };
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value instanceof Error) return redact(value.message);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    }
    return value;
  };
  const base = jsonLineLogger(level, write);
  return {
    log(l, msg, fields) {
      base.log(l, redact(msg), fields ? (clean(fields) as Record<string, unknown>) : undefined);
    },
    addSecrets(values) {
      // Short values would redact ordinary words; real secrets are longer.
      for (const v of values) if (v !== undefined && v.length >= 6) secrets.add(v);
    },
    redact,
  };
}
