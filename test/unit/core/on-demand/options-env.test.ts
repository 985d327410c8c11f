import { mergeEnvVars, optionsToEnvVars, toEnvVarName } from '../../../../core/on-demand/options-env';

describe('toEnvVarName: as the Fairwinds runner converts option keys', () => {
  test.each([
    ['jobId', 'JOB_ID'],
    ['jobID', 'JOB_ID'],
    ['imagesToScan', 'IMAGES_TO_SCAN'],
    ['HTTPRequest', 'HTTP_REQUEST'],
    ['userAPIKey', 'USER_API_KEY'],
    ['JOB_ID', 'JOB_ID'],
    ['IMAGES_TO_SCAN', 'IMAGES_TO_SCAN'],
    ['HTTP_REQUEST', 'HTTP_REQUEST'],
    ['USER_API_KEY', 'USER_API_KEY'],
    ['v2Scan', 'V2_SCAN'],
    ['dryRun', 'DRY_RUN'],
    ['lowercase', 'LOWERCASE'],
    ['with-dash', 'WITH-DASH'],
  ])('%s → %s', (key, name) => {
    expect(toEnvVarName(key)).toBe(name);
  });
});

describe('optionsToEnvVars', () => {
  test('every option, in order, with its value unchanged', () => {
    expect(
      optionsToEnvVars({
        imagesToScan: 'nginx:1.27,quay.io/a/b@sha256:00',
        jobId: '123',
        httpRequest: 'GET /api/test',
        userAPIKey: 'abc123',
      }),
    ).toEqual([
      { name: 'IMAGES_TO_SCAN', value: 'nginx:1.27,quay.io/a/b@sha256:00' },
      { name: 'JOB_ID', value: '123' },
      { name: 'HTTP_REQUEST', value: 'GET /api/test' },
      { name: 'USER_API_KEY', value: 'abc123' },
    ]);
  });

  test('no options: no variables', () => {
    expect(optionsToEnvVars({})).toEqual([]);
  });

  test('a key making a name Kubernetes refuses is an error naming it', () => {
    expect(() => optionsToEnvVars({ 'a=b': 'x' })).toThrow(
      `option "a=b" makes the environment variable name "A=B", which Kubernetes refuses (printable ASCII without '=')`,
    );
    expect(() => optionsToEnvVars({ 'caf\u00e9': 'x' })).toThrow('option "café"');
  });

  test('two keys making one name are an error naming both', () => {
    expect(() => optionsToEnvVars({ jobId: '1', jobID: '2' })).toThrow(
      'options "jobId" and "jobID" both make the environment variable JOB_ID',
    );
  });
});

describe('mergeEnvVars', () => {
  test('replaces a variable of the same name in place (valueFrom dropped), appends the others', () => {
    const existing = [
      { name: 'A', value: '1' },
      { name: 'IMAGES_TO_SCAN', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
      { name: 'B', value: '2' },
    ];
    expect(
      mergeEnvVars(existing, [
        { name: 'IMAGES_TO_SCAN', value: 'nginx' },
        { name: 'C', value: '3' },
      ]),
    ).toEqual([
      { name: 'A', value: '1' },
      { name: 'IMAGES_TO_SCAN', value: 'nginx' },
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ]);
  });
});
