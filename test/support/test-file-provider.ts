// A tiny Pulumi dynamic provider for the e2e suite: a text file on local disk. Real side effects
// (the file appears, changes, disappears) make `pulumi up` / `destroy` observable from the test.
// Rules from STYLE.md: plain data only in the closure, modules required inside each method, diff
// and update implemented, full JSON-safe outs from create and update.
import * as pulumi from '@pulumi/pulumi';

export interface TestFileInputs {
  /** Absolute path of the file. Changing it replaces the resource. */
  readonly path: pulumi.Input<string>;
  readonly content: pulumi.Input<string>;
}

interface TestFileState {
  path: string;
  content: string;
  sha256: string;
}

const testFileProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: TestFileState, news: TestFileState) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.path !== 'string' || !news.path.startsWith('/')) {
      failures.push({
        property: 'path',
        reason: `'path' must be absolute, got ${JSON.stringify(news.path)}`,
      });
    }
    if (typeof news.content !== 'string') {
      failures.push({
        property: 'content',
        reason: `'content' must be a string, got ${typeof news.content}`,
      });
    }
    return { inputs: news, failures };
  },
  async create(inputs: TestFileState) {
    const fs = require('node:fs');
    const crypto = require('node:crypto');
    fs.writeFileSync(inputs.path, inputs.content);
    const sha256 = crypto.createHash('sha256').update(inputs.content).digest('hex');
    return { id: inputs.path, outs: { path: inputs.path, content: inputs.content, sha256 } };
  },
  async diff(_id: string, olds: TestFileState, news: TestFileState) {
    const replaces = olds.path !== news.path ? ['path'] : [];
    const changes = replaces.length > 0 || olds.content !== news.content;
    return { changes, replaces, deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: TestFileState, news: TestFileState) {
    const fs = require('node:fs');
    const crypto = require('node:crypto');
    fs.writeFileSync(news.path, news.content);
    const sha256 = crypto.createHash('sha256').update(news.content).digest('hex');
    return { outs: { path: news.path, content: news.content, sha256 } };
  },
  async delete(id: string) {
    const fs = require('node:fs');
    fs.rmSync(id, { force: true });
  },
};

/** A file with the given content; outputs its SHA-256. */
export class TestFile extends pulumi.dynamic.Resource {
  declare public readonly path: pulumi.Output<string>;
  declare public readonly content: pulumi.Output<string>;
  declare public readonly sha256: pulumi.Output<string>;

  constructor(name: string, args: TestFileInputs, opts?: pulumi.CustomResourceOptions) {
    super(testFileProvider, name, { ...args, sha256: undefined }, opts, 'jobforge-test', 'TestFile');
  }
}
