/**
 * jobforge's own container image (the repository's Containerfile, built by `npm run image`): the
 * one place its name and tag are written. The constructs that run jobforge's CLI default to
 * {@link JOBFORGE_IMAGE}; tools/image.js tags the image it builds with the same name.
 */

/** The package version; the image's tag. A unit test keeps it equal to package.json's version. */
export const JOBFORGE_VERSION = '0.1.0';

/** Where jobforge's image is published (its repository, without a tag). */
export const JOBFORGE_IMAGE_REPOSITORY = 'ghcr.io/jobforge/jobforge';

/** The project's source repository (the image's `org.opencontainers.image.source` label). */
export const JOBFORGE_SOURCE = 'https://github.com/jobforge/jobforge';

/** jobforge's image of this version: `ghcr.io/jobforge/jobforge:<version>`. */
export const JOBFORGE_IMAGE = `${JOBFORGE_IMAGE_REPOSITORY}:${JOBFORGE_VERSION}`;
