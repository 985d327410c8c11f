// An independent IaC scanner over what jobforge synthesizes: Checkov (pinned in tools/engines.js,
// Kubernetes framework) over `npm run synth` (main.ts) and the examples app (examples/, one chart
// per construct, picked up by file). Zero unsuppressed failures; a suppression is Checkov's own
// annotation on the object, with its reason. The examples are also dry-run on the apiserver.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { E2E_ENV_VARS, e2eEnv } from '../support/e2e-env';
import { readManifestDir } from '../support/e2e-engines';
import { KubeObject, dryRunObject, ensureNamespace } from '../support/kube-api';
import { exampleFiles } from '../../examples/app';

const { enginePaths, CHECKOV_VERSION } = require('../../tools/engines.js') as {
  enginePaths(): Record<string, string>;
  CHECKOV_VERSION: string;
};

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The findings jobforge suppresses on purpose, each where the finding is wrong for the object. */
const ALLOWED_SUPPRESSIONS = new Set(['CKV_K8S_38', 'CKV_K8S_35']);

interface CheckovFinding {
  check_id: string;
  resource: string;
  file_path: string;
  check_result: { result: string; suppress_comment?: string };
}
interface CheckovReport {
  check_type: string;
  summary: {
    passed: number;
    failed: number;
    skipped: number;
    parsing_errors: number;
    checkov_version: string;
  };
  results: { failed_checks?: CheckovFinding[]; skipped_checks?: CheckovFinding[] };
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Synthesizes a cdk8s app file (`examples/app.ts`, or a test app) into `outDir`. */
async function synth(appFile: string, outDir: string): Promise<void> {
  const r = await run(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'),
    ['--transpile-only', '--project', path.join(REPO_ROOT, 'tsconfig.json'), appFile],
    {
      CDK8S_OUTDIR: outDir,
    },
  );
  if (r.code !== 0) throw new Error(`synth of ${appFile} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * Checkov's Kubernetes report over `dir` (exit status 1 means findings: the JSON says which). One
 * directory per run: with several `--directory` flags Checkov 3.3 prints one report per directory
 * whose summaries add up the earlier ones; `--quiet` would drop the suppressed checks.
 */
async function checkov(dir: string): Promise<CheckovReport> {
  const args = ['--framework', 'kubernetes', '--output', 'json', '--compact', '--skip-download'];
  args.push('--directory', dir);
  const r = await run(enginePaths().checkov, args, { BC_SKIP_MAPPING: 'TRUE', LOG_LEVEL: 'WARNING' });
  if (r.code !== 0 && r.code !== 1) throw new Error(`checkov failed (${r.code}):\n${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const k8s = reports.find((x) => x.check_type === 'kubernetes');
  if (!k8s) throw new Error(`checkov printed no kubernetes report: ${r.stdout.slice(0, 500)}`);
  return k8s;
}

const describeFinding = (f: CheckovFinding): string =>
  `${f.check_id} ${f.resource} (${path.basename(f.file_path)})`;

describe('Checkov over every synthesized example', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-checkov-'));
  const examplesDir = path.join(work, 'examples');
  const synthDir = (): string => {
    const dir = process.env[E2E_ENV_VARS.synthDir];
    if (!dir)
      throw new Error(process.env[E2E_ENV_VARS.synthError] || 'global setup did not synthesize the app');
    return dir;
  };

  beforeAll(async () => {
    await synth(path.join(REPO_ROOT, 'examples', 'app.ts'), examplesDir);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('synthesizes one chart per example file (a new example is scanned without being listed)', () => {
    const charts = readManifestDir(examplesDir).map((f) => f.file);
    expect(exampleFiles().length).toBeGreaterThanOrEqual(7);
    expect(charts).toHaveLength(exampleFiles().length);
  });

  it('reports zero unsuppressed failures; each suppression is an allowed check with its reason', async () => {
    const scan = path.join(work, 'scan');
    fs.cpSync(synthDir(), path.join(scan, 'main'), { recursive: true });
    fs.cpSync(examplesDir, path.join(scan, 'examples'), { recursive: true });
    const report = await checkov(scan);
    const failed = report.results.failed_checks ?? [];
    const skipped = report.results.skipped_checks ?? [];
    const s = report.summary;
    console.log(
      `checkov ${s.checkov_version}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} suppressed, ` +
        `${s.parsing_errors} parsing errors\n` +
        skipped
          .map((f) => `  suppressed ${describeFinding(f)}: ${f.check_result.suppress_comment}`)
          .join('\n'),
    );
    expect(s.checkov_version).toBe(CHECKOV_VERSION);
    expect(s.parsing_errors).toBe(0);
    expect(s.passed).toBeGreaterThan(1000);
    expect(failed.map(describeFinding)).toEqual([]);
    for (const f of skipped) {
      expect({ check: f.check_id, allowed: ALLOWED_SUPPRESSIONS.has(f.check_id) }).toEqual({
        check: f.check_id,
        allowed: true,
      });
      expect(f.check_result.suppress_comment ?? '').toMatch(/^[a-zA-Z].{30,}/);
    }
    // The controllers and the policy sync need their API token; the Fairwinds runner reads env only.
    expect(skipped.map((f) => `${f.check_id} ${f.resource}`).sort()).toEqual(
      expect.arrayContaining([
        'CKV_K8S_38 Deployment.image-resource-controller-system.image-resource-detection-manager',
        'CKV_K8S_38 Deployment.image-resource-controller-system.image-resource-creation-manager',
        'CKV_K8S_38 CronJob.insights-agent.kyverno-policy-sync',
        'CKV_K8S_35 CronJob.insights-agent.kyverno-policy-sync',
      ]),
    );
  });

  it('finds what it should: a tag-only image without a NetworkPolicy fails', async () => {
    const dir = path.join(work, 'bad');
    const app = path.join(work, 'bad-app.ts');
    fs.writeFileSync(
      app,
      `import { App, Chart } from ${JSON.stringify(path.join(REPO_ROOT, 'node_modules', 'cdk8s'))};
import { KubernetesJob } from ${JSON.stringify(path.join(REPO_ROOT, 'constructs', 'kubernetes-job'))};
const app = new App();
new KubernetesJob(new Chart(app, 'bad'), 'Job', {
  namespace: 'bad', name: 'bad', image: 'docker.io/library/busybox:1.36.1',
  secretEnv: { TOKEN: { secretName: 's', key: 'k' } },
});
app.synth();
`,
    );
    await synth(app, dir);
    const report = await checkov(dir);
    expect((report.results.failed_checks ?? []).map((f) => f.check_id).sort()).toEqual([
      'CKV2_K8S_6',
      'CKV_K8S_35',
      'CKV_K8S_40',
      'CKV_K8S_43',
    ]);
  });

  it('the examples, NetworkPolicies included, are accepted by the apiserver (dryRun=All, strict)', async () => {
    const { kubeconfig } = e2eEnv();
    const objects: KubeObject[] = readManifestDir(examplesDir).flatMap((f) => f.objects);
    const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
    for (const ns of namespaces) await ensureNamespace(kubeconfig, ns);
    const rejected: string[] = [];
    for (const obj of objects) {
      try {
        await dryRunObject(kubeconfig, obj);
      } catch (e) {
        rejected.push((e as Error).message);
      }
    }
    expect(rejected).toEqual([]);
    const policies = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(policies.sort()).toEqual([
      'example-cron-job/backup',
      'example-daemon-job/node-check',
      'example-irc/image-resource-controller',
      'example-job/export',
      'example-policy-sync/kyverno-policy-sync',
      'example-runner/on-demand-job-runner',
      'example-runner/polaris',
    ]);
  });
});
