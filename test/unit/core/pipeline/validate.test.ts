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
        scanTimeout: '5m',
      },
      policy: { semver: { range: '>=1.0.0' }, perRepository: false },
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

  test('ttlDays 0 is accepted: records are kept forever, as documented; days up to 365, as the CRD', () => {
    expect(validatePipelineConfig({ ...base, ttlDays: 0 }).ttlDays).toBe(0);
    expect(validatePipelineConfig({ ...base, ttlDays: 0.5 }).ttlDays).toBe(0.5);
    expect(validatePipelineConfig({ ...base, ttlDays: 365 }).ttlDays).toBe(365);
  });

  test("the seed's defaults: perRepository false, order desc, extractPrefix false, scanTimeout 5m", () => {
    const resolved = validatePipelineConfig({
      ...base,
      policy: { pattern: { regex: '^(dev|prod)-(\\d+)$', extract: '$2' } },
    });
    expect(resolved.policy).toEqual({
      perRepository: false,
      pattern: { regex: '^(dev|prod)-(\\d+)$', extract: '$2', extractPrefix: false, order: 'desc' },
    });
    expect(validatePipelineConfig({ ...base, policy: { alphabetical: {} } }).policy.alphabetical).toEqual({
      order: 'desc',
    });
    expect(validatePipelineConfig(base).ecr.scanTimeout).toBe('5m');
  });

  test.each([
    [{ ecr: { region: 'Europe' } }, '\'ecr.region\' must be an AWS region like eu-west-1, got "Europe"'],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', imagePattern: 'a/*:v*' } },
      "'ecr' must set exactly one of repositoryPattern, imageNamePattern, imagePattern, got repositoryPattern and imagePattern",
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
      { ecr: { region: 'eu-west-1' } },
      "'ecr' must set exactly one of repositoryPattern, imageNamePattern, imagePattern, got none",
    ],
    [
      { ecr: { region: 'eu-west-1', maxRepositories: 0 } },
      "'ecr.maxRepositories' must be an integer from 1 to 200, got 0",
    ],
    // the seed's limits (the CRD's): the core allowed 10000 and 100 before
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', maxRepositories: 201 } },
      "'ecr.maxRepositories' must be an integer from 1 to 200, got 201",
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', maxConcurrentScans: 51 } },
      "'ecr.maxConcurrentScans' must be an integer from 1 to 50, got 51",
    ],
    [
      { ecr: { region: 'eu-west-1', maxConcurrentScans: 2.5 } },
      "'ecr.maxConcurrentScans' must be an integer from 1 to 50, got 2.5",
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', scanTimeout: '0s' } },
      '\'ecr.scanTimeout\' must be a Go duration from 1s to 24h (e.g. 90s, 5m), got "0s"',
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', scanTimeout: '25h' } },
      '\'ecr.scanTimeout\' must be a Go duration from 1s to 24h (e.g. 90s, 5m), got "25h"',
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', scanTimeout: 300 } },
      "'ecr.scanTimeout' must be a Go duration from 1s to 24h (e.g. 90s, 5m), got 300",
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', scanTimeoutSeconds: 300 } },
      "'ecr.scanTimeoutSeconds' is not a known setting (known: region, registryId, repositoryPattern,",
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
      { ecr: { region: 'eu-west-1', repositoryPattern: 'a/*', endpoint: 'localhost:5000' } },
      '\'ecr.endpoint\' must be an http(s) URL without credentials, got "localhost:5000"',
    ],
    [
      { ecr: { region: 'eu-west-1', repositoryPatern: 'x' } },
      "'ecr.repositoryPatern' is not a known setting (known: region, registryId, repositoryPattern,",
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
    // extractPrefix is the seed's boolean (the first capture group), no longer a replacement string
    [
      { policy: { pattern: { regex: '^(?<env>dev|prod)-', extractPrefix: '$<env>' } } },
      '\'policy.pattern.extractPrefix\' must be a boolean, got "$<env>"',
    ],
    [
      { policy: { pattern: { regex: '^dev-', extractPrefix: true } } },
      "'policy.pattern.extractPrefix' takes the regex's first capture group, but 'policy.pattern.regex' has none, got \"^dev-\"",
    ],
    [
      { policy: { alphabetical: { order: 'up' } } },
      "'policy.alphabetical.order' must be 'asc' or 'desc', got \"up\"",
    ],
    [
      { policy: { semver: { range: '*' }, perRepository: 'yes' } },
      '\'policy.perRepository\' must be a boolean, got "yes"',
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
    [
      { dedup: { cacheTtlSeconds: -5 } },
      "'dedup.cacheTtlSeconds' must be an integer from 0 to 86400, got -5",
    ],
    [{ ttlDays: -1 }, "'ttlDays' must be a number of days from 0 to 365 (0 keeps records forever), got -1"],
    [{ ttlDays: 366 }, "'ttlDays' must be a number of days from 0 to 365 (0 keeps records forever), got 366"],
    [
      { ttlDays: '7' },
      '\'ttlDays\' must be a number of days from 0 to 365 (0 keeps records forever), got "7"',
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
