// Three suites: unit (pure, fast), integration (real git, local servers), e2e (real engines).
// `npm test` runs unit + integration; `npm run test:e2e` runs e2e with the engines started once
// in global setup and stopped in global teardown. CI adds `--ci` (a missing snapshot fails
// instead of being written) and `--coverage` to `npm test`.
// ts-jest transpiles each file alone (tsconfig `isolatedModules`); `npm run lint` type-checks.
const tsJest = ['ts-jest', {}];
// Copies of the sources (Stryker's sandbox, the compiled package) are never modules of the suites:
// without this jest's haste map sees every package.json twice while `npm run test:mutation` runs.
const modulePathIgnorePatterns = ['<rootDir>/.stryker-tmp/', '<rootDir>/lib/'];

/** @type {import('jest').Config} */
module.exports = {
  // Coverage counts every source file, loaded by a test or not (a file no test imports shows 0%).
  collectCoverageFrom: [
    'index.ts',
    'pulumi.ts',
    'main.ts',
    'core/**/*.ts',
    'constructs/**/*.ts',
    'stacks/**/*.ts',
    'bin/**/*.ts',
    '!**/*.d.ts',
  ],
  // V8's own coverage: the code under test is the code that ships. Babel/istanbul instrumentation
  // rewrites every function with counters, which Pulumi then serializes into the dynamic
  // providers' closures (the closure-size tests failed under `--coverage` with it).
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      modulePathIgnorePatterns,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      modulePathIgnorePatterns,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/integration/jest-timeout.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      modulePathIgnorePatterns,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/e2e/jest-timeout.ts'],
    },
  ],
};
