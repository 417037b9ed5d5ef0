#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readmeSections, regenerateReadme } from '../lib/docs/readme-sections';
import { synthesizeConsoleTemplate } from '../lib/release/publish';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { version } from '../package.json';

quietSdkNodeVersionNotice();
const readmePath = path.resolve(__dirname, '..', 'README.md');
const current = fs.readFileSync(readmePath, 'utf8');
const updated = regenerateReadme(current, readmeSections(synthesizeConsoleTemplate(version)));
if (updated === current) {
  process.stdout.write('README.md is up to date\n');
} else {
  fs.writeFileSync(readmePath, updated);
  process.stdout.write('README.md: regenerated the parameter, output, permission, exit-code and failure-code tables\n');
}
