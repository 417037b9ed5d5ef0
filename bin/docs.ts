#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { regeneratedFiles } from '../lib/docs/generated-docs';
import { byEnvironmentTemplate, synthesizeConsoleTemplate, synthesizeEnvironmentTemplate } from '../lib/release/publish';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { version } from '../package.json';

quietSdkNodeVersionNotice();
const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
// Every file is read and regenerated before any is written: a missing marker changes nothing.
const templates = {
  connect: synthesizeConsoleTemplate(version),
  ...byEnvironmentTemplate((kind) => synthesizeEnvironmentTemplate(kind, version)),
};
for (const doc of regeneratedFiles(templates, read)) {
  if (doc.updated === doc.current) {
    process.stdout.write(`${doc.file} is up to date\n`);
  } else {
    fs.writeFileSync(path.join(root, doc.file), doc.updated);
    process.stdout.write(`${doc.file}: regenerated ${doc.what}\n`);
  }
}
