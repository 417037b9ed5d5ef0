#!/usr/bin/env node
import * as path from 'node:path';
import { publishTemplate } from '../lib/release/publish';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { version } from '../package.json';

quietSdkNodeVersionNotice();
const outDir = path.resolve(__dirname, '..', 'dist');
const file = publishTemplate(version, outDir);
process.stdout.write(`Published ${path.relative(process.cwd(), file)}\nUpload it in the CloudFormation console (Create stack > Upload a template file).\n`);
