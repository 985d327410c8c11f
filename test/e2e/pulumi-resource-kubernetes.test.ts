// pulumi-resource-kubernetes (the provider plugin of @pulumi/kubernetes 4.25.0, built by
// tools/engines.js from tools/pulumi-kubernetes) answers the real Pulumi CLI: `pulumi package
// get-schema` starts the plugin binary and asks it for its schema over gRPC.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { e2eEnv } from '../support/e2e-env';
import { makeTempDir } from '../support/processes';

interface PackageSchema {
  readonly name: string;
  readonly version: string;
  readonly resources: Record<string, unknown>;
}

describe('pulumi-resource-kubernetes', () => {
  it('serves its schema (kubernetes 4.25.0, with batch/v1 Job and CronJob) to the Pulumi CLI', async () => {
    const { binDir } = e2eEnv();
    const plugin = path.join(binDir, 'pulumi-resource-kubernetes');
    const home = makeTempDir('pulumi-home');
    try {
      const { stdout } = await promisify(execFile)(
        path.join(binDir, 'pulumi'),
        ['package', 'get-schema', plugin],
        {
          env: {
            ...process.env,
            PULUMI_HOME: home,
            PULUMI_SKIP_UPDATE_CHECK: 'true',
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
          },
          maxBuffer: 256 * 2 ** 20,
        },
      );
      const schema = JSON.parse(stdout) as PackageSchema;
      expect(schema.name).toBe('kubernetes');
      expect(schema.version).toBe('4.25.0');
      expect(Object.keys(schema.resources)).toEqual(
        expect.arrayContaining(['kubernetes:batch/v1:Job', 'kubernetes:batch/v1:CronJob']),
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
