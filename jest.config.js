module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  testTimeout: 60_000,
  // Jest would use one worker on these two-core machines; most tests wait on child processes
  // (moto_server, the CDK CLI, bash), so two workers nearly halve the suite's time.
  maxWorkers: 2,
};
