import * as pulumi from '@pulumi/pulumi';

interface Created {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
  parent?: string;
}

const created: Created[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({ type: args.type, name: args.name, inputs: args.inputs });
      const kind = args.type.split(':').pop()!.toLowerCase();
      return {
        id: `${args.name}-id`,
        state: {
          ...args.inputs,
          name: args.inputs.name ?? args.name,
          arn: `arn:aws:iam::123456789012:${kind}/${args.name}`,
        },
      };
    },
    call(args) {
      return args.inputs;
    },
  },
  'jobforge',
  'test',
  false,
);

// Imported after setMocks so the component registers against the mocks.
const { EcrReadRole } =
  require('../../../stacks/ecr-read-role') as typeof import('../../../stacks/ecr-read-role');

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

/** Waits until `n` resources were registered (registration is asynchronous). */
async function settled(n: number): Promise<void> {
  for (let i = 0; i < 100 && created.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(created).toHaveLength(n);
}

const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123';

describe('EcrReadRole', () => {
  beforeEach(() => {
    created.length = 0;
  });

  test('creates exactly a role with an IRSA trust policy, a read-only ECR policy and their attachment', async () => {
    const role = new EcrReadRole('scanner', {
      oidcProviderArn: PROVIDER,
      serviceAccountNamespace: 'jobforge',
      serviceAccountName: 'image-pipeline',
      tags: { team: 'platform' },
    });
    const arn = await valueOf(role.roleArn);
    await valueOf(role.policyArn);
    await settled(4);

    // Registration order is asynchronous: compare the sorted list.
    expect(created.map((c) => `${c.type}::${c.name}`).sort()).toEqual([
      'aws:iam/policy:Policy::scanner-ecr-read',
      'aws:iam/role:Role::scanner-role',
      'aws:iam/rolePolicyAttachment:RolePolicyAttachment::scanner-ecr-read',
      'jobforge:aws:EcrReadRole::scanner',
    ]);
    const byType = (t: string): Created => created.find((c) => c.type === t)!;

    const roleInputs = byType('aws:iam/role:Role').inputs;
    expect(roleInputs.maxSessionDuration).toBe(3600);
    expect(roleInputs.tags).toEqual({ team: 'platform' });
    expect(JSON.parse(roleInputs.assumeRolePolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: PROVIDER },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub':
                'system:serviceaccount:jobforge:image-pipeline',
              'oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud': 'sts.amazonaws.com',
            },
          },
        },
      ],
    });

    expect(JSON.parse(byType('aws:iam/policy:Policy').inputs.policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EcrRead',
          Effect: 'Allow',
          Action: ['ecr:DescribeRepositories', 'ecr:DescribeImages'],
          Resource: ['*'],
        },
      ],
    });

    expect(byType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs).toEqual({
      role: 'scanner-role',
      policyArn: 'arn:aws:iam::123456789012:policy/scanner-ecr-read',
    });
    expect(arn).toBe('arn:aws:iam::123456789012:role/scanner-role');
    expect(await valueOf(role.serviceAccountAnnotations)).toEqual({ 'eks.amazonaws.com/role-arn': arn });
  });

  test('restricts the policy to the given repositories and honours the session length', async () => {
    const role = new EcrReadRole('narrow', {
      oidcProviderArn: PROVIDER,
      serviceAccountNamespace: 'ns',
      serviceAccountName: 'sa',
      repositoryArns: ['arn:aws:ecr:us-east-1:123456789012:repository/team-a/*'],
      maxSessionDurationSeconds: 7200,
    });
    await valueOf(role.policyArn);
    await settled(4);
    const policy = created.find((c) => c.type === 'aws:iam/policy:Policy')!;
    expect(JSON.parse(policy.inputs.policy).Statement[0].Resource).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/team-a/*',
    ]);
    expect(created.find((c) => c.type === 'aws:iam/role:Role')!.inputs.maxSessionDuration).toBe(7200);
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'a non-OIDC ARN',
      { oidcProviderArn: 'arn:aws:iam::123456789012:role/x' },
      `'oidcProviderArn' must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>), got "arn:aws:iam::123456789012:role/x"`,
    ],
    [
      'a bad namespace',
      { serviceAccountNamespace: 'Kube_System' },
      `'serviceAccountNamespace' must be a DNS-1123 label, got "Kube_System"`,
    ],
    [
      'a bad ServiceAccount name',
      { serviceAccountName: 'a b' },
      `'serviceAccountName' must be a DNS-1123 subdomain, got "a b"`,
    ],
    // One DNS rule (core/dns-name): empty subdomain parts and over-long names are refused too.
    [
      'a ServiceAccount name with an empty part',
      { serviceAccountName: 'a..b' },
      `'serviceAccountName' must be a DNS-1123 subdomain, got "a..b"`,
    ],
    [
      'a namespace over 63 characters',
      { serviceAccountNamespace: 'n'.repeat(64) },
      `'serviceAccountNamespace' must be a DNS-1123 label, got "${'n'.repeat(64)}"`,
    ],
    [
      'no repositories',
      { repositoryArns: [] },
      `'repositoryArns' must name at least one repository when set, got []`,
    ],
    [
      'a too long session',
      { maxSessionDurationSeconds: 50000 },
      `'maxSessionDurationSeconds' must be an integer from 3600 to 43200, got 50000`,
    ],
  ])('rejects %s before creating anything', (_name, override, message) => {
    const args = {
      oidcProviderArn: PROVIDER,
      serviceAccountNamespace: 'ns',
      serviceAccountName: 'sa',
      ...override,
    };
    expect(() => new EcrReadRole('bad', args as never)).toThrow(message);
    expect(created).toEqual([]);
  });
});
