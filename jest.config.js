// Three suites: unit (pure, fast), integration (real git, local servers), e2e (real engines).
// `npm test` runs unit + integration; `npm run test:e2e` runs e2e with the engines started once
// in global setup and stopped in global teardown.
// ts-jest transpiles each file alone (tsconfig `isolatedModules`); `npm run lint` type-checks.
const tsJest = ['ts-jest', {}];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/e2e/jest-timeout.ts'],
    },
  ],
};
