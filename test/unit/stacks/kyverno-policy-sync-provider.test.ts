import * as pulumi from '@pulumi/pulumi';
import {
  kyvernoPolicySyncProvider as provider,
  KyvernoPolicySyncInputs,
} from '../../../stacks/kyverno-policy-sync';
import * as impl from '../../../stacks/kyverno-policy-sync-provider';
import * as syncModule from '../../../core/policy-sync/sync-kyverno-policies';

const INSIGHTS = { host: 'https://insights.example.com', organization: 'acme', cluster: 'prod' };

describe('check', () => {
  const failures = async (news: KyvernoPolicySyncInputs) =>
    (await provider.check!(news, news)).failures ?? [];

  test('accepts an Insights source or a directory', async () => {
    expect(await failures({ insights: INSIGHTS })).toEqual([]);
    expect(await failures({ policyDirectory: '/policies', maxRemovals: 0, lockTimeoutSeconds: 60 })).toEqual(
      [],
    );
  });

  test.each([
    [{}, 'insights', `exactly one of 'insights' and 'policyDirectory' is required, got neither`],
    [
      { insights: INSIGHTS, policyDirectory: '/p' },
      'policyDirectory',
      `exactly one of 'insights' and 'policyDirectory' is required, got both`,
    ],
    [
      { insights: { ...INSIGHTS, organization: '' } },
      'insights',
      `'insights.organization' is required, got ""`,
    ],
    [
      { insights: { ...INSIGHTS, token: 'secret' } },
      'insights',
      `'insights.token' is not accepted: a token in inputs is stored in the state; set tokenEnv or tokenConfig`,
    ],
    [
      { policyDirectory: '/p', maxRemovals: -1 },
      'maxRemovals',
      `'maxRemovals' must be a non-negative integer, got -1`,
    ],
    [
      { insights: { ...INSIGHTS, host: 'https://robot:s3cret@insights.example.com' } },
      'insights',
      `'insights.host' must not contain credentials (user:password@; they would be stored in the state), got "https://***@insights.example.com"`,
    ],
    [
      { policyDirectory: '/p', maxRemovalRatio: 1.5 },
      'maxRemovalRatio',
      `'maxRemovalRatio' must be a number from 0 to 1, got 1.5`,
    ],
    [
      { insights: { ...INSIGHTS, maxResponseBytes: 0 } },
      'insights',
      `'insights.maxResponseBytes' must be a positive integer, got 0`,
    ],
    [
      { policyDirectory: '/p', lockTimeoutSeconds: 0.5 },
      'lockTimeoutSeconds',
      `'lockTimeoutSeconds' must be a positive integer, got 0.5`,
    ],
  ])('%j', async (news, property, reason) => {
    expect(await failures(news as KyvernoPolicySyncInputs)).toEqual([{ property, reason }]);
  });
});

describe('diff', () => {
  test('changed inputs are a change, without contacting anything', async () => {
    const olds = {
      insights: INSIGHTS,
      applied: [],
      updated: [],
      removed: [],
      unchanged: 0,
      conflicts: [],
      summary: '',
      syncedAt: '',
    };
    const d = await impl.diff('id', olds, { insights: { ...INSIGHTS, cluster: 'staging' } });
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  test('with the same inputs, a failing dry run (no token) is a change so that the update reports it', async () => {
    const env = process.env.FAIRWINDS_TOKEN;
    delete process.env.FAIRWINDS_TOKEN;
    try {
      const olds = {
        insights: INSIGHTS,
        applied: [],
        updated: [],
        removed: [],
        unchanged: 0,
        conflicts: [],
        summary: '',
        syncedAt: '',
      };
      expect((await impl.diff('id', olds, { insights: INSIGHTS })).changes).toBe(true);
      await expect(impl.create({ insights: INSIGHTS })).rejects.toThrow(
        'the Insights token is not set: environment variable FAIRWINDS_TOKEN of the pulumi process is empty',
      );
    } finally {
      if (env !== undefined) process.env.FAIRWINDS_TOKEN = env;
    }
  });
});

describe('delete (removeOnDelete)', () => {
  const props = (removeOnDelete?: boolean) => ({
    policyDirectory: '/nonexistent',
    maxRemovals: 2,
    maxRemovalRatio: 0.1,
    ...(removeOnDelete === undefined ? {} : { removeOnDelete }),
    applied: [],
    updated: [],
    removed: [],
    unchanged: 0,
    conflicts: [],
    summary: '',
    syncedAt: '',
  });
  const ok = {
    success: true,
    dryRun: false,
    durationMs: 1,
    applied: [],
    updated: [],
    removed: ['a', 'b', 'c'],
    failed: [],
    unchanged: [],
    conflicts: [],
    errors: [],
    changes: {},
  };
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(syncModule, 'syncKyvernoPolicies').mockResolvedValue(ok);
  });
  afterEach(() => spy.mockRestore());

  test.each([undefined, false])(
    'removeOnDelete %s: delete leaves the policies, no sync runs',
    async (flag) => {
      await expect(impl.remove('id', props(flag))).resolves.toBeUndefined();
      expect(spy).not.toHaveBeenCalled();
    },
  );

  test('removeOnDelete true: delete runs a real sync against an empty source, allowed and forced past the guards', async () => {
    await expect(impl.remove('id', props(true))).resolves.toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(1);
    const opts = spy.mock.calls[0][0];
    expect(opts).toMatchObject({
      dryRun: false,
      force: true,
      allowEmptySource: true,
      maxRemovals: 2,
      maxRemovalRatio: 0.1,
    });
    expect(await opts.source.fetchYaml()).toEqual([]);
  });

  test('removeOnDelete true: a failed removal fails the delete, naming why', async () => {
    spy.mockResolvedValue({
      ...ok,
      success: false,
      removed: [],
      failed: ['a'],
      errors: ['a: remove failed: x'],
    });
    await expect(impl.remove('id', props(true))).rejects.toThrow(
      'removing the synced Kyverno policies failed: Applied 0, Updated 0, Removed 0, Failed 1: a: remove failed: x',
    );
  });
});

test('the provider serializes to a small closure of plain data (no client, no token)', async () => {
  const s = await pulumi.runtime.serializeFunction(() => provider, { isFactoryFunction: true });
  expect(s.text).toContain('kyverno-policy-sync-provider');
  expect(s.text).not.toMatch(/client-node|KubeRest|FAIRWINDS_TOKEN/);
  expect(s.text.length).toBeLessThan(20_000);
});
