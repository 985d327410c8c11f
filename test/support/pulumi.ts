// Runs an inline Pulumi program through the Automation API with the real `pulumi` CLI from the
// engines bin dir: local file backend, a passphrase secrets provider, no update checks, no plugin
// downloads. The CLI connects back to this process's language server (the Node.js language host
// is not needed); dynamic providers run through the pulumi-resource-pulumi-nodejs shim, which
// resolves @pulumi/pulumi from the work dir (inside this repo's node_modules/.cache) or
// JOBFORGE_NODE_MODULES_ROOT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ConfigMap,
  DestroyResult,
  LocalWorkspace,
  PreviewResult,
  PulumiCommand,
  PulumiFn,
  Stack,
  UpResult,
} from '@pulumi/pulumi/automation';
import { installCleanupHandlers, makeTempDir, removeAtExit } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The engines bin dir: from global setup when it ran, else tools/engines.js's cache location. */
export function enginesBinDir(): string {
  const fromSetup = process.env.JOBFORGE_BIN_DIR;
  if (fromSetup) return fromSetup;
  const engines = require(path.join(REPO_ROOT, 'tools', 'engines.js')) as { binDir(): string };
  return engines.binDir();
}

export interface PulumiStackOptions {
  readonly projectName: string;
  /** @default 'e2e' */
  readonly stackName?: string;
  /** The inline program; what it returns becomes the stack outputs. */
  readonly program: PulumiFn;
  /** Stack config, as `pulumi config set` (keys `<project>:<key>` or bare keys). @default - none */
  readonly config?: Record<string, string | { value: string; secret?: boolean }>;
  /**
   * Working directory of the CLI and of provider plugins. Must resolve @pulumi/pulumi (dynamic
   * providers `require` from it). @default - a fresh dir under <repo>/node_modules/.cache/jobforge-e2e
   */
  readonly workDir?: string;
  /** Extra environment for the CLI and its plugins. @default - none */
  readonly envVars?: Record<string, string>;
}

export interface PulumiStackHandle {
  readonly stack: Stack;
  readonly workDir: string;
  /** Directory of the file backend (PULUMI_BACKEND_URL=file://<backendDir>). */
  readonly backendDir: string;
  /** The environment the CLI runs with. */
  readonly envVars: Readonly<Record<string, string>>;
  up(): Promise<UpResult>;
  preview(): Promise<PreviewResult>;
  destroy(): Promise<DestroyResult>;
  /** Removes the stack (forcing, if resources remain) and every temporary directory. */
  cleanup(): Promise<void>;
}

const PASSPHRASE = 'jobforge-e2e-passphrase';

/**
 * A fresh directory under <repo>/node_modules/.cache/jobforge-e2e for a Pulumi project: programs
 * and provider plugins run there resolve this repo's @pulumi/pulumi (one runtime for the language
 * host and the program).
 */
export function pulumiProjectDir(prefix: string): string {
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache', 'jobforge-e2e');
  fs.mkdirSync(cache, { recursive: true });
  return fs.mkdtempSync(path.join(cache, prefix));
}

/**
 * The environment the `pulumi` CLI and its plugins run with: the engines bin dir first on PATH,
 * `home` as PULUMI_HOME, a local file backend in `backendDir`, a passphrase secrets provider, no
 * update checks, no plugin downloads.
 */
export function pulumiCliEnv(binDir: string, home: string, backendDir: string): Record<string, string> {
  return {
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    JOBFORGE_NODE_MODULES_ROOT: REPO_ROOT,
  };
}

/** Creates (or selects) a stack for `program` on a fresh local file backend. */
export async function pulumiStack(opts: PulumiStackOptions): Promise<PulumiStackHandle> {
  const stackName = opts.stackName ?? 'e2e';
  // The CLI and its provider plugins are children of this process: kill them if it dies.
  installCleanupHandlers();
  const binDir = enginesBinDir();
  if (!fs.existsSync(path.join(binDir, 'pulumi'))) {
    throw new Error(`no pulumi CLI in ${binDir}: run \`npm run tools\` (node tools/engines.js) first`);
  }
  const state = makeTempDir('pulumi');
  const backendDir = path.join(state, 'backend');
  const pulumiHome = path.join(state, 'home');
  fs.mkdirSync(backendDir);
  fs.mkdirSync(pulumiHome);
  let ownWorkDir: string | undefined;
  let workDir = opts.workDir;
  if (!workDir) {
    workDir = ownWorkDir = pulumiProjectDir(`${opts.projectName}-`);
    removeAtExit(ownWorkDir);
  }
  const envVars: Record<string, string> = {
    ...pulumiCliEnv(binDir, pulumiHome, backendDir),
    PULUMI_SKIP_CONFIRMATIONS: 'true',
    ...opts.envVars,
  };
  const removeDirs = (): void => {
    fs.rmSync(state, { recursive: true, force: true });
    if (ownWorkDir) fs.rmSync(ownWorkDir, { recursive: true, force: true });
  };
  try {
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(binDir) });
    if (pulumiCommand.command !== path.join(binDir, 'pulumi')) {
      throw new Error(
        `expected the pulumi CLI at ${path.join(binDir, 'pulumi')}, got ${pulumiCommand.command}`,
      );
    }
    const stack = await LocalWorkspace.createOrSelectStack(
      { projectName: opts.projectName, stackName, program: opts.program },
      {
        workDir,
        pulumiHome,
        pulumiCommand,
        envVars,
        projectSettings: {
          name: opts.projectName,
          runtime: 'nodejs',
          backend: { url: `file://${backendDir}` },
        },
      },
    );
    if (opts.config) {
      const config: ConfigMap = {};
      for (const [k, v] of Object.entries(opts.config)) {
        config[k] = typeof v === 'string' ? { value: v } : { value: v.value, secret: v.secret };
      }
      await stack.setAllConfig(config);
    }
    return {
      stack,
      workDir,
      backendDir,
      envVars,
      up: () => stack.up(),
      preview: () => stack.preview(),
      destroy: () => stack.destroy(),
      async cleanup() {
        try {
          await stack.workspace.removeStack(stackName, { force: true });
        } finally {
          removeDirs();
        }
      },
    };
  } catch (e) {
    removeDirs();
    throw e;
  }
}
