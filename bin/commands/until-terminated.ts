/**
 * Resolves on the first SIGTERM or SIGINT (and stops listening for both): how a long-running
 * command learns it should shut down gracefully.
 */
export function untilTerminated(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
