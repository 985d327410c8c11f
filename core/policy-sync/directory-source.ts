import * as fs from 'node:fs';
import * as path from 'node:path';
import { PolicySource, PolicySourceError, PolicySourceText } from './policy-source';
import { decodeUtf8Strict } from './strict-utf8';

/**
 * A directory of YAML files (`*.yaml`, `*.yml`, searched recursively, read in path order) as a
 * policy source. Throws a {@link PolicySourceError} when the directory does not exist or a file
 * is not valid UTF-8 (naming the file, the byte offset, line and column).
 */
export function directoryPolicySource(dir: string): PolicySource {
  if (typeof dir !== 'string' || dir.trim() === '')
    throw new Error(`'directory' is required, got ${JSON.stringify(dir)}`);
  const root = path.resolve(dir);
  return {
    description: `directory ${root}`,
    async fetchYaml(): Promise<PolicySourceText[]> {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(root);
      } catch {
        throw new PolicySourceError(`policy directory ${root} does not exist`);
      }
      if (!stat.isDirectory()) throw new PolicySourceError(`policy directory ${root} is not a directory`);
      const files: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const entry of await fs.promises.readdir(d, { withFileTypes: true })) {
          const p = path.join(d, entry.name);
          if (entry.isDirectory()) await walk(p);
          else if (/\.ya?ml$/i.test(entry.name)) files.push(p);
        }
      };
      await walk(root);
      files.sort();
      return Promise.all(
        files.map(async (f) => ({ origin: f, yaml: decodeUtf8Strict(await fs.promises.readFile(f), f) })),
      );
    },
  };
}
