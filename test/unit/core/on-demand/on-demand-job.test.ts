import { claimPath, parseClaimedJobs, statusPath } from '../../../../core/on-demand/on-demand-job';

test('the two endpoints, names URL-encoded', () => {
  expect(claimPath('acme', 'prod', 3)).toBe(
    '/v0/organizations/acme/clusters/prod/reports/on-demand-jobs/claim?limit=3',
  );
  expect(statusPath('acme', 'prod', 42)).toBe(
    '/v0/organizations/acme/clusters/prod/reports/on-demand-jobs/42/status',
  );
  expect(claimPath('a b', 'c/d', 1)).toBe(
    '/v0/organizations/a%20b/clusters/c%2Fd/reports/on-demand-jobs/claim?limit=1',
  );
});

test('parseClaimedJobs: the jobs; null and [] are none; missing or null options are none', () => {
  expect(parseClaimedJobs(null)).toEqual([]);
  expect(parseClaimedJobs([])).toEqual([]);
  expect(
    parseClaimedJobs([
      { id: 1, reportType: 'trivy', status: 'pending', options: { imagesToScan: 'a,b' } },
      { id: 2, reportType: 'polaris', options: null },
      { id: 3, reportType: 'nova' },
    ]),
  ).toEqual([
    { id: 1, reportType: 'trivy', status: 'pending', options: { imagesToScan: 'a,b' } },
    { id: 2, reportType: 'polaris', status: '', options: {} },
    { id: 3, reportType: 'nova', status: '', options: {} },
  ]);
});

test.each([
  [{}, 'claim answer must be a JSON array of on-demand jobs, got object'],
  ['x', 'claim answer must be a JSON array of on-demand jobs, got string'],
  [[1], 'claim answer [0] must be an object, got 1'],
  [[{ reportType: 'trivy' }], 'claim answer [0].id must be a non-negative integer, got undefined'],
  [[{ id: '1', reportType: 'trivy' }], 'claim answer [0].id must be a non-negative integer, got "1"'],
  [[{ id: -1, reportType: 'trivy' }], 'claim answer [0].id must be a non-negative integer, got -1'],
  [[{ id: 1.5, reportType: 'trivy' }], 'claim answer [0].id must be a non-negative integer, got 1.5'],
  [[{ id: 1, reportType: '' }], 'claim answer [0].reportType must be a non-empty string, got ""'],
  [
    [{ id: 1, reportType: 'trivy', options: [] }],
    'claim answer [0].options must be an object of strings, got []',
  ],
  [[{ id: 1, reportType: 'trivy', options: { a: 1 } }], 'claim answer [0].options.a must be a string, got 1'],
])('parseClaimedJobs(%j) is refused', (body, message) => {
  expect(() => parseClaimedJobs(body)).toThrow(message);
});
