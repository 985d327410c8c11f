// Integration tests run real git servers, sshd and the cdk8s CLI: jest's 5 s default timed out on
// a loaded 2-core machine (CI runs the suite twice, on Node 20 and 24). A project-level
// `testTimeout` is ignored by jest 29; this file is listed in the integration project's
// setupFilesAfterEnv.
jest.setTimeout(30_000);
