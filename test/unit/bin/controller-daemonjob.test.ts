import { daemonJobControllerSettings } from '../../../bin/commands/controller-daemonjob';

describe('jobforge controller daemonjob settings', () => {
  test('defaults, and flags over environment', () => {
    expect(daemonJobControllerSettings({}, { POD_NAMESPACE: 'jobforge' })).toEqual({
      kubeconfig: undefined,
      namespace: undefined,
      leaseNamespace: 'jobforge',
      leaseName: 'jobforge-daemonjob-controller',
      leaseDurationMs: 15000,
      listen: ':8080',
    });
    expect(
      daemonJobControllerSettings(
        { namespace: 'ops', leaseDuration: '30s', leaseName: 'x' },
        { WATCH_NAMESPACE: 'other', LEASE_NAMESPACE: 'ns', LISTEN_ADDRESS: ':9090' },
      ),
    ).toMatchObject({
      namespace: 'ops',
      leaseNamespace: 'ns',
      leaseName: 'x',
      leaseDurationMs: 30000,
      listen: ':9090',
    });
  });

  test.each<[string, Record<string, string>, Record<string, string>, string]>([
    [
      'no lease namespace',
      {},
      {},
      `'LEASE_NAMESPACE' (or --lease-namespace, POD_NAMESPACE) is required, got ""`,
    ],
    [
      'a bad watch namespace',
      { namespace: 'Ops' },
      { POD_NAMESPACE: 'x' },
      `'WATCH_NAMESPACE' must be a DNS-1123 label`,
    ],
    [
      'a bad lease name',
      { leaseName: 'A_b' },
      { POD_NAMESPACE: 'x' },
      `'LEASE_NAME' must be a DNS-1123 subdomain`,
    ],
    [
      'a lease duration below 1s',
      { leaseDuration: '500ms' },
      { POD_NAMESPACE: 'x' },
      `'LEASE_DURATION' must be at least 1s, got "500ms"`,
    ],
    [
      'a lease duration that is no duration',
      {},
      { POD_NAMESPACE: 'x', LEASE_DURATION: 'soon' },
      `'LEASE_DURATION'`,
    ],
  ])('refuses %s', (_n, flags, env, message) => {
    expect(() => daemonJobControllerSettings(flags, env)).toThrow(message);
  });
});
