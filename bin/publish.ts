#!/usr/bin/env node
import * as path from 'node:path';
import { runPublish } from '../lib/release/cli';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { version } from '../package.json';

quietSdkNodeVersionNotice();

runPublish(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  version,
  defaultOutDir: path.resolve(__dirname, '..', 'dist'),
}).then((code) => {
  process.exitCode = code;
});
