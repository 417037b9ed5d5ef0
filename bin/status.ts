#!/usr/bin/env node
import { runStatus } from '../lib/status/cli';

// The lock file pins the SDK; its notice about future Node.js support is for whoever upgrades it,
// not for the operator reading a stack's status.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runStatus(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
