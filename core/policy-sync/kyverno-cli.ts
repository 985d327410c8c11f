import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KyvernoPolicyKind, KyvernoPolicyObject, policyDisplayName, refOf } from './kyverno-policy';

/**
 * Kinds `kyverno apply` cannot validate: the pinned Kyverno 1.19.1 CLI panics (nil pointer in
 * GeneratingPolicy.GetSpec) on any NamespacedGeneratingPolicy. For these the strict server-side
 * dry-run against the CRD is the validation.
 */
export const KINDS_THE_KYVERNO_CLI_CANNOT_VALIDATE: ReadonlySet<KyvernoPolicyKind> =
  new Set<KyvernoPolicyKind>(['NamespacedGeneratingPolicy']);

/** True when `kyverno apply` validates policies of this kind (it compiles the CEL kinds' expressions). */
export function kyvernoCliValidates(kind: string): boolean {
  return !KINDS_THE_KYVERNO_CLI_CANNOT_VALIDATE.has(kind as KyvernoPolicyKind);
}

/** A policy the Kyverno CLI rejected, and why. */
export interface PolicyValidationIssue {
  /** Summary name of the policy (`name`, or `namespace/name` for a Policy). */
  readonly policy: string;
  readonly reason: string;
}

/** Finds an executable named `kyverno` on PATH; undefined when there is none. */
export function findKyvernoCli(envPath: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'kyverno');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

// A pod every policy can be applied to: `kyverno apply` validates each policy before applying it.
const PROBE_RESOURCE = `apiVersion: v1
kind: Pod
metadata:
  name: jobforge-policy-sync-probe
  namespace: default
spec:
  containers:
    - name: probe
      image: registry.k8s.io/pause:3.10
`;

function run(cli: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(cli, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      if (e && (typeof e.code !== 'number' || e.killed)) {
        reject(new Error(`kyverno CLI ${cli} could not run: ${e.message}`));
        return;
      }
      resolve({ code: e ? (e.code as number) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** Parses the "Policies Skipped:" / "Invalid Policies:" sections `kyverno apply` prints. */
export function parseKyvernoApplyDiagnostics(output: string): { name: string; reason: string }[] {
  const out: { name: string; reason: string }[] = [];
  let inSection = false;
  for (const line of output.split('\n')) {
    if (/^(Policies Skipped|Invalid Policies):\s*$/.test(line.trim())) {
      inSection = true;
      continue;
    }
    if (/^-{10,}$/.test(line.trim())) {
      inSection = false;
      continue;
    }
    if (!inSection) continue;
    const m = /^\d+\.\s+([^:\s]+)(?::\s*(.*))?$/.exec(line.trim());
    if (m) out.push({ name: m[1], reason: m[2] ?? 'rejected by the Kyverno CLI' });
  }
  return out;
}

/**
 * Validates policies with the Kyverno CLI: writes each to its own file and runs
 * `kyverno apply <files...> --resource <probe pod>`, which validates every policy (the same
 * `policyvalidation.Validate` the admission webhook runs) before applying it, and lists the
 * rejected ones. The probe pod's pass/fail results are ignored. Returns the rejected policies;
 * empty when all pass.
 */
export async function validateWithKyvernoCli(
  policies: readonly KyvernoPolicyObject[],
  cli: string,
  timeoutMs = 120_000,
): Promise<PolicyValidationIssue[]> {
  if (policies.length === 0) return [];
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'jobforge-kyverno-'));
  try {
    const files: string[] = [];
    for (const [i, p] of policies.entries()) {
      const file = path.join(dir, `${String(i).padStart(4, '0')}.yaml`);
      // JSON is YAML; the CLI only loads files named *.yaml / *.yml.
      await fs.promises.writeFile(file, JSON.stringify(p));
      files.push(file);
    }
    const resource = path.join(dir, 'probe-resource.yaml');
    await fs.promises.writeFile(resource, PROBE_RESOURCE);
    const apply = (fs2: string[]) =>
      run(cli, ['apply', ...fs2, '--resource', resource, '--remove-color'], timeoutMs);
    const res = await apply(files);
    // The CLI names policies without kind or namespace: a name shared by several maps to all of them.
    const byName = new Map<string, string[]>();
    for (const p of policies)
      byName.set(p.metadata.name, [...(byName.get(p.metadata.name) ?? []), policyDisplayName(refOf(p))]);
    const diags = parseKyvernoApplyDiagnostics(res.out);
    if (diags.length > 0 || /^pass: \d+, fail: \d+/m.test(res.out)) {
      return diags.flatMap((d) =>
        (byName.get(d.name) ?? [d.name]).map((policy) => ({ policy, reason: d.reason })),
      );
    }
    // The CLI failed before applying (it could not load a file): find which policy, one by one.
    const issues: PolicyValidationIssue[] = [];
    for (const [i, p] of policies.entries()) {
      const one = await apply([files[i]]);
      if (!/^pass: \d+, fail: \d+/m.test(one.out) || parseKyvernoApplyDiagnostics(one.out).length > 0) {
        const reason = one.out
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('Warning:'))
          .join(' ')
          .slice(0, 500);
        issues.push({
          policy: policyDisplayName(refOf(p)),
          reason: reason || `kyverno apply exited ${one.code}`,
        });
      }
    }
    if (issues.length === 0) {
      issues.push({ policy: '(all)', reason: `kyverno apply failed: ${res.out.trim().slice(0, 500)}` });
    }
    return issues;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
