// (4) @aws-sdk/client-ecr talks to moto's ECR API: a repository created there is listed back, and
// resetMoto() forgets it.
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { e2eEnv, resetMoto } from '../support/e2e-env';

function ecr(): ECRClient {
  return new ECRClient({
    endpoint: e2eEnv().motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

describe('ECR on moto', () => {
  beforeEach(() => resetMoto());

  it('lists a repository created with CreateRepository', async () => {
    const client = ecr();
    const created = await client.send(new CreateRepositoryCommand({ repositoryName: 'team-a/web' }));
    expect(created.repository?.repositoryArn).toBe(
      'arn:aws:ecr:us-east-1:123456789012:repository/team-a/web',
    );

    const listed = await client.send(new DescribeRepositoriesCommand({}));
    expect(listed.repositories?.map((r) => r.repositoryName)).toEqual(['team-a/web']);
    expect(listed.repositories?.[0].repositoryUri).toBe(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web',
    );
  });

  it('starts empty after resetMoto()', async () => {
    const client = ecr();
    expect((await client.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    await expect(
      client.send(new DescribeRepositoriesCommand({ repositoryNames: ['team-a/web'] })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
  });
});
