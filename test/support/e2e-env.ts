// What e2e tests read from the environment that test/e2e/global-setup.ts prepares.
import { resetMotoAt } from './moto';

export interface E2eEnv {
  /** Path of the admin kubeconfig of the test kube-apiserver (Kyverno and project CRDs installed). */
  readonly kubeconfig: string;
  /** http://127.0.0.1:PORT of moto's server (ECR API, account 123456789012, any credentials). */
  readonly motoEndpoint: string;
  /** The engines bin dir (pulumi, kube-apiserver, etcd, kyverno, moto_server), first on PATH. */
  readonly binDir: string;
}

/** Environment variables set by global setup (the contract between setup and tests). */
export const E2E_ENV_VARS = {
  kubeconfig: 'JOBFORGE_KUBECONFIG',
  motoEndpoint: 'JOBFORGE_MOTO_ENDPOINT',
  binDir: 'JOBFORGE_BIN_DIR',
  /** Directory of a fresh `cdk8s synth` of main.ts made by global setup. */
  synthDir: 'JOBFORGE_SYNTH_DIR',
  /** Set instead of synthDir when that synth failed: its error output. */
  synthError: 'JOBFORGE_SYNTH_ERROR',
  /** Root whose node_modules the Pulumi dynamic provider shim resolves @pulumi/pulumi from. */
  nodeModulesRoot: 'JOBFORGE_NODE_MODULES_ROOT',
} as const;

/** The running engines. Throws if the e2e global setup did not run. */
export function e2eEnv(): E2eEnv {
  const get = (name: string): string => {
    const v = process.env[name];
    if (!v) {
      throw new Error(
        `${name} is not set, got ${JSON.stringify(v)}: e2e tests need the engines started by ` +
          'test/e2e/global-setup.ts; run them with `npm run test:e2e`',
      );
    }
    return v;
  };
  return {
    kubeconfig: get(E2E_ENV_VARS.kubeconfig),
    motoEndpoint: get(E2E_ENV_VARS.motoEndpoint),
    binDir: get(E2E_ENV_VARS.binDir),
  };
}

/** Forgets everything stored in moto (repositories, images); call in beforeEach. */
export async function resetMoto(): Promise<void> {
  await resetMotoAt(e2eEnv().motoEndpoint);
}
