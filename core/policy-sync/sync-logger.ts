/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Where the policy sync reports progress. */
export interface SyncLogger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** Parses a `LOG_LEVEL` value (case-insensitive; `warning` is `warn`). */
export function parseLogLevel(value: string | undefined, defaultLevel: LogLevel = 'info'): LogLevel {
  if (value === undefined || value.trim() === '') return defaultLevel;
  const v = value.trim().toLowerCase();
  const level = v === 'warning' ? 'warn' : v;
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`'LOG_LEVEL' must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return level as LogLevel;
}

/** A logger writing one JSON object per line (`level`, `time`, `msg`, fields) at `level` and above. */
export function jsonLineLogger(level: LogLevel, write: (line: string) => void): SyncLogger {
  const min = LEVELS.indexOf(level);
  return {
    log(l, msg, fields) {
      if (LEVELS.indexOf(l) < min) return;
      write(`${JSON.stringify({ level: l, time: new Date().toISOString(), msg, ...fields })}\n`);
    },
  };
}

/** A logger that drops everything. */
export const SILENT_LOGGER: SyncLogger = { log() {} };
