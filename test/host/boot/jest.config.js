/**
 * Jest settings for the real-boot harness alone (`npm run test:host`, which runs its preflight
 * first); `npm test` leaves this folder out. One worker: the hosts boot one after another.
 */
const path = require('node:path');
require('../../harness/tool-caches');

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..', '..'),
  testEnvironment: 'node',
  roots: ['<rootDir>/test/host/boot'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  maxWorkers: 1,
  testTimeout: 300_000,
};
