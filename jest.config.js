module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // Provides moto_server, cfn-lint, aws and shellcheck (installing them where it can), and fails the
  // run if a test changed the checkout's cdk.out, dist or cdk.context.json: see test/harness/.
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 60_000,
  // Jest would use one worker on these two-core machines; most tests wait on child processes
  // (moto_server, the CDK CLI, bash), so two workers nearly halve the suite's time.
  maxWorkers: 2,
};
