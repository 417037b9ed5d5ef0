#!/usr/bin/env node
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { runStatus } from '../lib/status/cli';

quietSdkNodeVersionNotice();

runStatus(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, variables: process.env }).then((code) => {
  process.exitCode = code;
});
