// The directory policy source on the real file system.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoryPolicySource } from '../../../core/policy-sync/directory-source';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-dir-source-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('reads *.yaml and *.yml recursively, in path order', async () => {
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(path.join(dir, 'b', 'two.yml'), 'two: ✓\n');
  fs.writeFileSync(path.join(dir, 'a.yaml'), 'one: 1\n');
  fs.writeFileSync(path.join(dir, 'notes.md'), 'no');
  expect(await directoryPolicySource(dir).fetchYaml()).toEqual([
    { origin: path.join(dir, 'a.yaml'), yaml: 'one: 1\n' },
    { origin: path.join(dir, 'b', 'two.yml'), yaml: 'two: ✓\n' },
  ]);
});

test('a file that is not valid UTF-8 is refused, saying where', async () => {
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('kind: ClusterPolicy\nname: x'), Buffer.from([0xff])]));
  await expect(directoryPolicySource(dir).fetchYaml()).rejects.toThrow(
    `${file} is not valid UTF-8: byte 0xff at offset 27 (line 2, column 8)`,
  );
});

test('a missing directory is an error naming it', async () => {
  await expect(directoryPolicySource(path.join(dir, 'nope')).fetchYaml()).rejects.toThrow(
    `policy directory ${path.join(dir, 'nope')} does not exist`,
  );
});
