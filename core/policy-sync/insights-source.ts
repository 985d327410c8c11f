import { InsightsApiError, InsightsClientOptions, insightsClient } from '../io/insights';
import { PolicySource, PolicySourceError, PolicySourceText } from './policy-source';

export { maskUrlCredentials } from '../io/insights';

/** Options of {@link insightsPolicySource}: those of the shared Insights client (core/io/insights.ts). */
export type InsightsPolicySourceOptions = InsightsClientOptions;

/** Path of the endpoint serving the cluster's Kyverno policies with app groups applied. */
export function insightsPoliciesPath(organization: string, cluster: string): string {
  return (
    `/v0/organizations/${encodeURIComponent(organization)}/clusters/${encodeURIComponent(cluster)}` +
    '/kyverno-policies/with-app-groups-applied/yaml'
  );
}

/**
 * The Fairwinds Insights API as a policy source:
 * `GET /v0/organizations/{organization}/clusters/{cluster}/kyverno-policies/with-app-groups-applied/yaml`
 * with `Authorization: Bearer <token>`, through the shared Insights client: 5xx, 429, timeouts
 * and network errors are retried with exponential backoff; 401/403 (token), 404 (organization
 * or cluster) and the final failure throw a {@link PolicySourceError} that says what to check.
 */
export function insightsPolicySource(options: InsightsPolicySourceOptions): PolicySource {
  const client = insightsClient(options);
  const url = client.url(insightsPoliciesPath(options.organization, options.cluster));
  return {
    description: `Fairwinds Insights ${url.toString()}`,
    redact: client.redact,
    async fetchYaml(): Promise<PolicySourceText[]> {
      try {
        const { body } = await client.request({
          method: 'GET',
          path: insightsPoliciesPath(options.organization, options.cluster),
          accept: 'application/yaml, text/yaml, */*',
        });
        options.logger?.log('debug', 'Fetched expected policies from Insights', {
          url: url.toString(),
          bytes: body.length,
        });
        return [{ origin: url.toString(), yaml: body }];
      } catch (err) {
        if (err instanceof InsightsApiError) throw new PolicySourceError(err.message, err.status);
        throw new PolicySourceError(client.redact((err as Error).message));
      }
    },
  };
}
