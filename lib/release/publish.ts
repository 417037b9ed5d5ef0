import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { buildConnectStack, connectApp } from '../stack/app';

/** File name the provisioning guide tells users to download. */
export function publishedFileName(templateVersion: string): string {
  return `altinitycloud-connect-${templateVersion}.aws-cloudformation.yaml`;
}

/** The console template: synthesized without context, so it carries no environment and no secret. */
export function synthesizeConsoleTemplate(templateVersion: string): Record<string, unknown> {
  const app = connectApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'altinity-connect-')) });
  const stack = buildConnectStack(app, { mode: 'console' }, { templateVersion });
  const template = app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return template;
}

/**
 * YAML as the console loads it: long form intrinsics (as synthesized), no line folding. CloudFormation
 * reads YAML 1.1, where a bare 2012-10-17 (every policy's Version) is a date and yes/on are booleans:
 * writing for 1.1 quotes every such string.
 */
export function toYaml(template: Record<string, unknown>): string {
  return stringify(template, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

/** Writes the published template into `outDir` and returns its path. */
export function publishTemplate(templateVersion: string, outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, publishedFileName(templateVersion));
  fs.writeFileSync(file, toYaml(synthesizeConsoleTemplate(templateVersion)));
  return file;
}
