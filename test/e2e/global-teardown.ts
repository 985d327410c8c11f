// Jest global teardown of the e2e project: stops everything global setup started. (If jest dies
// before this runs, the exit/signal handlers and watchdogs in test/support/processes.ts do it.)
import { killAllSync } from '../support/processes';

export default async function globalTeardown(): Promise<void> {
  const stop = globalThis.__JOBFORGE_E2E_STOP__;
  globalThis.__JOBFORGE_E2E_STOP__ = undefined;
  try {
    await stop?.();
  } finally {
    killAllSync();
  }
}
