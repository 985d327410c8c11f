/** Where the expected policies come from: the Insights API, a directory, or anything else. */
export interface PolicySource {
  /** A description for logs and errors, never containing credentials. */
  readonly description: string;
  /** The expected policies as multi-document YAML texts. Throws a {@link PolicySourceError}. */
  fetchYaml(): Promise<PolicySourceText[]>;
  /**
   * Removes the source's secrets (its token) from a text; the sync passes every error and log
   * line through it, so that a secret the remote side echoes back is never printed.
   * @default - the text unchanged
   */
  redact?(text: string): string;
}

/** One YAML text of a source and where it came from (a URL without credentials, a file path). */
export interface PolicySourceText {
  readonly origin: string;
  readonly yaml: string;
}

/** A source failed: the sync stops before any write. */
export class PolicySourceError extends Error {
  constructor(
    message: string,
    /** HTTP status when the source is an HTTP API. */
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'PolicySourceError';
  }
}
