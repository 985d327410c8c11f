import { parseGoDuration } from '../../../../core/policy-sync/go-duration';
import {
  REPORT_TYPE_RUNS,
  parseReportTimeouts,
  reportTypeRun,
} from '../../../../core/on-demand/report-types';

test('every report type runs from the CronJob named exactly after it', () => {
  for (const [type, run] of Object.entries(REPORT_TYPE_RUNS)) expect(run.cronJobName).toBe(type);
});

test('timeouts as upstream: 20 minutes for trivy and image-trust, 10 for the policy sync, 5 for the others', () => {
  const minutes = Object.fromEntries(
    Object.entries(REPORT_TYPE_RUNS).map(([t, r]) => [t, r.timeoutMs / 60_000]),
  );
  expect(minutes).toEqual({
    trivy: 20,
    'image-trust': 20,
    cloudcosts: 5,
    falco: 5,
    nova: 5,
    pluto: 5,
    polaris: 5,
    'prometheus-metrics': 5,
    goldilocks: 5,
    'rbac-reporter': 5,
    'right-sizer': 5,
    workloads: 5,
    'kube-hunter': 5,
    'kube-bench': 5,
    kyverno: 5,
    'kyverno-policy-sync': 10,
    gonogo: 5,
  });
  expect(REPORT_TYPE_RUNS['kyverno-policy-sync'].backoffLimit).toBe(0);
  expect(REPORT_TYPE_RUNS.trivy.backoffLimit).toBeUndefined();
});

test('reportTypeRun: unknown types (and Object prototype names) are undefined; overrides replace the timeout', () => {
  expect(reportTypeRun('nope')).toBeUndefined();
  expect(reportTypeRun('constructor')).toBeUndefined();
  expect(reportTypeRun('toString')).toBeUndefined();
  expect(reportTypeRun('polaris')).toEqual({ cronJobName: 'polaris', timeoutMs: 300_000 });
  expect(reportTypeRun('polaris', { polaris: 2000 })).toEqual({ cronJobName: 'polaris', timeoutMs: 2000 });
  expect(reportTypeRun('trivy', { '*': 3000 })!.timeoutMs).toBe(3000);
  expect(reportTypeRun('trivy', { '*': 3000, trivy: 4000 })!.timeoutMs).toBe(4000);
});

describe('parseReportTimeouts', () => {
  const parse = (text: string) => parseReportTimeouts(text, parseGoDuration);
  test('type=duration entries, * for every type, blanks ignored', () => {
    expect(parse('trivy=30m, polaris=90s,,*=1h')).toEqual({
      trivy: 1_800_000,
      polaris: 90_000,
      '*': 3_600_000,
    });
    expect(parse('')).toEqual({});
  });
  test.each([
    ['trivy', `'JOB_TIMEOUTS' entries must be <report type>=<duration>, got "trivy"`],
    ['=5m', `'JOB_TIMEOUTS' entries must be <report type>=<duration>, got "=5m"`],
    ['nope=5m', `'JOB_TIMEOUTS' names an unknown report type`],
    ['trivy=soon', `'JOB_TIMEOUTS' must be a duration like 30m, 90s or 1h30m, got "soon"`],
    ['trivy=500ms', `'JOB_TIMEOUTS' timeout of trivy must be at least 1s, got "trivy=500ms"`],
  ])('%s is refused', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });
});
