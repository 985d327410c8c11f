// Jest global setup of the e2e project: builds missing engines (node tools/engines.js), starts
// kube-apiserver + etcd (Kyverno and project CRDs installed) and moto, puts the engines bin dir
// first on PATH and exports the environment described in test/support/e2e-env.ts.
import { startE2eEngines } from '../support/e2e-engines';

declare global {
  var __JOBFORGE_E2E_STOP__: (() => Promise<void>) | undefined;
}

export default async function globalSetup(): Promise<void> {
  const engines = await startE2eEngines();
  Object.assign(process.env, engines.env);
  globalThis.__JOBFORGE_E2E_STOP__ = engines.stop;
}
