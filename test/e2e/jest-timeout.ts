// e2e tests drive real engines (pulumi up, kube-apiserver, git over ssh): allow them up to 10
// minutes each. (A project-level `testTimeout` is ignored by jest 29; this file is listed in the
// e2e project's setupFilesAfterEnv.)
jest.setTimeout(600000);
