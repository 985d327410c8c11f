// (1) Every object `npm run synth` writes is accepted by a real kube-apiserver: server-side dry-run
// with strict field validation. CRDs are applied for real first, then the namespaces the objects
// live in are created for real (a dry-run create in a missing namespace is rejected).
import { E2E_ENV_VARS, e2eEnv } from '../support/e2e-env';
import { readManifestDir } from '../support/e2e-engines';
import {
  KubeObject,
  applyObject,
  dryRunObject,
  ensureNamespace,
  installCrds,
  kubeRequest,
} from '../support/kube-api';

function synthDir(): string {
  const dir = process.env[E2E_ENV_VARS.synthDir];
  if (!dir)
    throw new Error(process.env[E2E_ENV_VARS.synthError] || 'global setup did not synthesize the app');
  return dir;
}

describe('npm run synth output on a real kube-apiserver', () => {
  const { kubeconfig } = e2eEnv();

  it('is accepted object by object with dryRun=All and fieldValidation=Strict', async () => {
    const files = readManifestDir(synthDir());
    const objects = files.flatMap((f) => f.objects);
    expect(objects.length).toBeGreaterThan(0);

    await installCrds(
      kubeconfig,
      objects.filter((o) => o.kind === 'CustomResourceDefinition'),
    );
    const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
    for (const ns of namespaces) await ensureNamespace(kubeconfig, ns);

    const rejected: string[] = [];
    const accepted: string[] = [];
    for (const obj of objects.filter((o) => o.kind !== 'CustomResourceDefinition')) {
      try {
        const out: KubeObject = await dryRunObject(kubeconfig, obj);
        accepted.push(`${out.kind}/${out.metadata.name}`);
      } catch (e) {
        rejected.push((e as Error).message);
      }
    }
    expect(rejected).toEqual([]);
    expect(accepted.length).toBe(objects.filter((o) => o.kind !== 'CustomResourceDefinition').length);
  });

  it('rejects an object with an unknown field (strict validation is on)', async () => {
    await ensureNamespace(kubeconfig, 'strict-check');
    const bad: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'strict-check', namespace: 'strict-check' },
      data: { a: 'b' },
      spec: { notAField: true },
    };
    await expect(dryRunObject(kubeconfig, bad)).rejects.toThrow(
      'v1 ConfigMap strict-check/strict-check rejected (400): ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
    );
    // Server-side apply rejects it too (the path taken for objects that already exist).
    await expect(applyObject(kubeconfig, bad, { dryRun: true })).rejects.toThrow(
      '.spec: field not declared in schema',
    );
  });

  it('does not store what it dry-runs', async () => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dry-only', namespace: 'default' },
      data: { a: 'b' },
    };
    await dryRunObject(kubeconfig, obj);
    await applyObject(kubeconfig, obj, { dryRun: true });
    const res = await kubeRequest(kubeconfig, 'GET', '/api/v1/namespaces/default/configmaps/dry-only');
    expect(res.status).toBe(404);
  });
});
