import * as pulumi from '@pulumi/pulumi';
import * as aws from '@pulumi/aws';
import { isDnsLabel, isDnsSubdomain } from '../core/dns-name';

/** The ECR actions the image scan needs: list repositories and describe their images. Nothing else. */
export const ECR_READ_ACTIONS: readonly string[] = ['ecr:DescribeRepositories', 'ecr:DescribeImages'];

/** Arguments of {@link EcrReadRole}. */
export interface EcrReadRoleArgs {
  /**
   * ARN of the cluster's IAM OIDC provider, e.g.
   * `arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`.
   * The issuer host and path used in the trust conditions are taken from it.
   */
  readonly oidcProviderArn: pulumi.Input<string>;

  /** Namespace of the ServiceAccount allowed to assume the role. */
  readonly serviceAccountNamespace: pulumi.Input<string>;

  /** Name of the ServiceAccount allowed to assume the role. */
  readonly serviceAccountName: pulumi.Input<string>;

  /**
   * Repositories the role may describe.
   * @default - every repository of the account (`*`)
   */
  readonly repositoryArns?: pulumi.Input<pulumi.Input<string>[]>;

  /**
   * Longest session of the assumed role, in seconds (3600 to 43200).
   * @default 3600
   */
  readonly maxSessionDurationSeconds?: number;

  /**
   * Tags on the role and the policy.
   * @default - no tags
   */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/(.+)$/;

/**
 * An IAM role for IRSA (IAM roles for service accounts) that one Kubernetes ServiceAccount can
 * assume through the cluster's OIDC provider, with a read-only ECR policy attached: what the
 * image pipeline or the operator's detection manager needs to scan ECR.
 *
 * Children: `<name>-role` (aws.iam.Role), `<name>-ecr-read` (aws.iam.Policy) and
 * `<name>-ecr-read` (aws.iam.RolePolicyAttachment).
 */
export class EcrReadRole extends pulumi.ComponentResource {
  /** ARN of the role: the value of the ServiceAccount's `eks.amazonaws.com/role-arn` annotation. */
  public readonly roleArn: pulumi.Output<string>;
  /** Name of the role. */
  public readonly roleName: pulumi.Output<string>;
  /** ARN of the read-only ECR policy. */
  public readonly policyArn: pulumi.Output<string>;
  /** Annotations to put on the ServiceAccount. */
  public readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: EcrReadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    if (typeof args.oidcProviderArn === 'string') issuerOf(args.oidcProviderArn);
    if (typeof args.serviceAccountNamespace === 'string' && !isDnsLabel(args.serviceAccountNamespace)) {
      throw new Error(
        `'serviceAccountNamespace' must be a DNS-1123 label, got ${JSON.stringify(args.serviceAccountNamespace)}`,
      );
    }
    if (typeof args.serviceAccountName === 'string' && !isDnsSubdomain(args.serviceAccountName)) {
      throw new Error(
        `'serviceAccountName' must be a DNS-1123 subdomain, got ${JSON.stringify(args.serviceAccountName)}`,
      );
    }
    if (Array.isArray(args.repositoryArns) && args.repositoryArns.length === 0) {
      throw new Error(`'repositoryArns' must name at least one repository when set, got []`);
    }
    const maxSession = args.maxSessionDurationSeconds ?? 3600;
    if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200) {
      throw new Error(`'maxSessionDurationSeconds' must be an integer from 3600 to 43200, got ${maxSession}`);
    }

    super('jobforge:aws:EcrReadRole', name, {}, opts);

    const assumeRolePolicy = pulumi
      .all([args.oidcProviderArn, args.serviceAccountNamespace, args.serviceAccountName])
      .apply(([providerArn, ns, sa]) => {
        const issuer = issuerOf(providerArn);
        return JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: providerArn },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`${issuer}:sub`]: `system:serviceaccount:${ns}:${sa}`,
                  [`${issuer}:aud`]: 'sts.amazonaws.com',
                },
              },
            },
          ],
        });
      });

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: pulumi.interpolate`ECR read access for ServiceAccount ${args.serviceAccountNamespace}/${args.serviceAccountName} (IRSA)`,
        assumeRolePolicy,
        maxSessionDuration: maxSession,
        tags: args.tags,
      },
      { parent: this },
    );

    const resources = pulumi.output(args.repositoryArns ?? ['*']).apply((arns) => {
      if (arns.length === 0) {
        throw new Error(`'repositoryArns' must name at least one repository when set, got []`);
      }
      return arns;
    });
    const policy = new aws.iam.Policy(
      `${name}-ecr-read`,
      {
        description: 'Read-only ECR: describe repositories and images.',
        policy: resources.apply((arns) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Sid: 'EcrRead', Effect: 'Allow', Action: [...ECR_READ_ACTIONS], Resource: arns }],
          }),
        ),
        tags: args.tags,
      },
      { parent: this },
    );

    new aws.iam.RolePolicyAttachment(
      `${name}-ecr-read`,
      { role: role.name, policyArn: policy.arn },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.policyArn = policy.arn;
    this.serviceAccountAnnotations = role.arn.apply((arn): Record<string, string> => ({
      'eks.amazonaws.com/role-arn': arn,
    }));
    this.registerOutputs({
      roleArn: this.roleArn,
      roleName: this.roleName,
      policyArn: this.policyArn,
      serviceAccountAnnotations: this.serviceAccountAnnotations,
    });
  }
}

/** The issuer (host/path, no scheme) named by an OIDC provider ARN. */
function issuerOf(providerArn: string): string {
  const m = OIDC_PROVIDER_ARN.exec(providerArn);
  if (!m) {
    throw new Error(
      `'oidcProviderArn' must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>), got ${JSON.stringify(providerArn)}`,
    );
  }
  return m[1];
}
