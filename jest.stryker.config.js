// The unit suite alone, for mutation testing (`npm run test:mutation`): Stryker runs these tests
// against each mutant of core/ and the pod/construct model. Integration and e2e tests start real
// git, servers and engines, far too slow to run once per mutant.
const tsJest = ['ts-jest', {}];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
};
