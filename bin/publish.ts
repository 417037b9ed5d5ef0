#!/usr/bin/env node
import * as path from 'node:path';
import { runPublish } from '../lib/release/cli';
import { version } from '../package.json';

// The lock file pins the SDK; its notice about future Node.js support is for whoever upgrades it,
// not for the publisher reading the upload's outcome.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runPublish(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  version,
  defaultOutDir: path.resolve(__dirname, '..', 'dist'),
}).then((code) => {
  process.exitCode = code;
});
