import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOBFORGE_IMAGE, JOBFORGE_IMAGE_REPOSITORY, JOBFORGE_VERSION } from '../../../core/jobforge-image';
import { parseImageReference } from '../../../core/image-reference';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

test("the image's tag is the package version (bump core/jobforge-image.ts with package.json)", () => {
  expect(JOBFORGE_VERSION).toBe(pkg.version);
  expect(JOBFORGE_IMAGE).toBe(`${JOBFORGE_IMAGE_REPOSITORY}:${pkg.version}`);
});

test('the image is a valid reference with a tag (no implicit :latest)', () => {
  expect(parseImageReference(JOBFORGE_IMAGE)).toMatchObject({
    registry: 'ghcr.io',
    repository: 'jobforge/jobforge',
    tag: pkg.version,
  });
});
