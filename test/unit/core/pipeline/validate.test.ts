import { validatePipelineConfig } from '../../../../core/pipeline/validate';
import type { ImagePipelineConfig } from '../../../../core/pipeline/types';

const TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .ServiceName }}\n';
const base: ImagePipelineConfig = {
  ecr: { region: 'eu-west-1', repositoryPattern: 'team-a/*' },
  policy: { semver: { range: '>=1.0.0' } },
  template: { yaml: TEMPLATE },
  git: { url: 'https://git.example.com/org/gitops.git', path: 'apps/images' },
};
const withPart = (part: Record<string, unknown>): ImagePipelineConfig =>
  ({ ...base, ...part }) as unknown as ImagePipelineConfig;

describe('validatePipelineConfig', () => {
  test('applies every default', () => {
    expect(validatePipelineConfig(base)).toEqual({
      ecr: {
        region: 'eu-west-1',
        repositoryPattern: 'team-a/*',
        maxRepositories: 50,
        maxConcurrentScans: 10,
        scanTimeoutSeconds: 300,
      },
      policy: { semver: { range: '>=1.0.0' }, perRepository: true },
      template: {
        yaml: TEMPLATE,
        variables: {},
        fileName: '{{ .ImageRepository }}/{{ .ImageTag }}.yaml',
        git: { url: 'https://git.example.com/org/gitops.git', branch: 'main', path: 'apps/images' },
      },
      git: {
        url: 'https://git.example.com/org/gitops.git',
        path: 'apps/images',
        branch: 'main',
        author: { name: 'jobforge', email: 'jobforge@users.noreply.local' },
        maxPushAttempts: 5,
      },
      ttlDays: 7,
    });
    expect(validatePipelineConfig({ ...base, dedup: {} }).dedup).toEqual({
      mode: 'image',
      cacheTtlSeconds: 300,
    });
  });

  test('ttlDays 0 is accepted: records are kept forever, as documented', () => {
    expect(validatePipelineConfig({ ...base, ttlDays: 0 }).ttlDays).toBe(0);
    expect(validatePipelineConfig({ ...base, ttlDays: 0.5 }).ttlDays).toBe(0.5);
  });

  test.each([
    [{ ecr: { region: 'Europe' } }, '\'ecr.region\' must be an AWS region like eu-west-1, got "Europe"'],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', imagePattern: 'a/*:v*' } },
      "'ecr' may set only one of repositoryPattern, imageNamePattern and imagePattern, got repositoryPattern and imagePattern",
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'Team/*' } },
      '\'ecr.repositoryPattern\' contains "T", which cannot appear in what it matches; got "Team/*"',
    ],
    [
      { ecr: { region: 'eu-west-1', imagePattern: 'team/*:v 1' } },
      '\'ecr.imagePattern\' contains " ", which cannot appear in what it matches; got "v 1"',
    ],
    [
      { ecr: { region: 'eu-west-1', maxRepositories: 0 } },
      "'ecr.maxRepositories' must be an integer from 1 to 10000, got 0",
    ],
    [
      { ecr: { region: 'eu-west-1', maxConcurrentScans: 2.5 } },
      "'ecr.maxConcurrentScans' must be an integer from 1 to 100, got 2.5",
    ],
    [
      { ecr: { region: 'eu-west-1', scanTimeoutSeconds: -1 } },
      "'ecr.scanTimeoutSeconds' must be an integer from 1 to 86400, got -1",
    ],
    [
      { ecr: { region: 'eu-west-1', registryId: '123' } },
      '\'ecr.registryId\' must be a 12-digit AWS account id, got "123"',
    ],
    [
      { ecr: { region: 'eu-west-1', roleArn: 'role/x' } },
      '\'ecr.roleArn\' must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "role/x"',
    ],
    [
      { ecr: { region: 'eu-west-1', endpoint: 'localhost:5000' } },
      '\'ecr.endpoint\' must be an http(s) URL without credentials, got "localhost:5000"',
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPatern: 'x' } },
      "'ecr.repositoryPatern' is not a known setting (known: region, repositoryPattern,",
    ],
    [
      { policy: { semver: { range: 'one point oh' } } },
      '\'policy.semver.range\' is not a valid semver range, got "one point oh"',
    ],
    [
      { policy: { pattern: { regex: '^(?!latest)' } } },
      '\'policy.pattern.regex\' is not a valid regular expression, got "^(?!latest)" (RE2 syntax, as Flux: error parsing regexp: invalid or unsupported Perl syntax: `(?!`)',
    ],
    [
      { policy: { pattern: { regex: '[' } } },
      '\'policy.pattern.regex\' is not a valid regular expression, got "["',
    ],
    [
      { policy: { semver: { range: '*' }, numerical: {} } },
      "'policy' must set exactly one of semver, alphabetical, numerical, pattern, got semver and numerical",
    ],
    [{ template: { yaml: 'a: {{ .Oops }}' } }, '\'template.yaml\': unknown placeholder ".Oops"'],
    [
      { git: { url: 'https://u:p@h/x.git' } },
      "'git.url' must not contain credentials (use 'git.auth'), got \"https://***@h/x.git\"",
    ],
    // credentials in a query string or fragment are refused like userinfo, and never echoed
    [
      { git: { url: 'https://h/x.git?access_token=s3cr3t' } },
      "'git.url' must not contain a query string or fragment (credentials such as ?access_token= belong in 'git.auth'), got \"https://h/x.git?***\"",
    ],
    [
      { git: { url: 'https://h/x.git#token=s3cr3t' } },
      "'git.url' must not contain a query string or fragment (credentials such as ?access_token= belong in 'git.auth'), got \"https://h/x.git#***\"",
    ],
    [
      { git: { url: 'ssh://git@h/x.git?private_token=s3cr3t' } },
      "'git.url' must not contain a query string or fragment (credentials such as ?access_token= belong in 'git.auth'), got \"ssh://***@h/x.git?***\"",
    ],
    [
      { git: { url: 'git@h:org/x.git?access_token=s3cr3t' } },
      "'git.url' must not contain a query string or fragment (credentials such as ?access_token= belong in 'git.auth'), got \"git@h:org/x.git?***\"",
    ],
    [
      { git: { url: 'https://h/x.git', path: 'apps/../../etc' } },
      "'git.path' must not contain '..', got \"apps/../../etc\"",
    ],
    [{ dedup: { mode: 'exact' } }, "'dedup.mode' must be 'image' or 'prefix', got \"exact\""],
    [{ dedup: { cacheTtlSeconds: -5 } }, "'dedup.cacheTtlSeconds' must be a non-negative integer, got -5"],
    [{ ttlDays: -1 }, "'ttlDays' must be a non-negative number of days (0 keeps records forever), got -1"],
    [
      { ttlDays: '7' },
      '\'ttlDays\' must be a non-negative number of days (0 keeps records forever), got "7"',
    ],
    [{ git: undefined }, "'git' is required, got undefined"],
  ])('%j is rejected', (part, message) => {
    expect(() => validatePipelineConfig(withPart(part))).toThrow(message);
  });

  test('the secret of a token is never echoed', () => {
    let message = '';
    try {
      validatePipelineConfig(
        withPart({ git: { url: 'ssh://git@h/x.git', auth: { type: 'token', token: 's3cr3t-token' } } }),
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("'git.auth' is token auth but 'git.url' is not an http(s) URL");
    expect(message).not.toContain('s3cr3t-token');
  });
});
