// Before any test file is transformed: the tools' caches stay out of the user's home.
require('./test/harness/tool-caches');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The real-boot harness needs root and minutes: `npm run test:host` runs it (test/host/boot/).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/host/boot/'],
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
