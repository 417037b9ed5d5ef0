import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { LegacyStackSynthesizer, type Stack } from 'aws-cdk-lib';
import { buildConnectStack, connectApp } from '../stack/app';
import { CloudStack } from '../stack/cloud-stack';
import { ReadyStack } from '../stack/ready-stack';
import { cloudStackNameFor, readyStackNameFor } from '../shared/conventions';

/** File name the provisioning guide tells users to download. */
export function publishedFileName(templateVersion: string): string {
  return `altinitycloud-connect-${templateVersion}.aws-cloudformation.yaml`;
}

/** The console template: synthesized without context, so it carries no environment and no secret. */
export function synthesizeConsoleTemplate(templateVersion: string): Record<string, unknown> {
  return synthesized((app) => buildConnectStack(app, { mode: 'console' }, { templateVersion }));
}

/**
 * The console templates of API-token mode, by the stack they make: the cloud stack (API token,
 * certificate, specification) and the ready stack; between them goes the connect template, with the
 * cloud stack's certificate as its existing certificate.
 */
export const ENVIRONMENT_TEMPLATES = {
  cloud: {
    fileName: (templateVersion: string) => `altinitycloud-environment-${templateVersion}.aws-cloudformation.yaml`,
    stackName: cloudStackNameFor,
    build: (app: ReturnType<typeof connectApp>, templateVersion: string): Stack => new CloudStack(app, 'altinity-cloud', consoleProps(templateVersion)),
  },
  ready: {
    fileName: (templateVersion: string) => `altinitycloud-environment-ready-${templateVersion}.aws-cloudformation.yaml`,
    stackName: readyStackNameFor,
    build: (app: ReturnType<typeof connectApp>, templateVersion: string): Stack => new ReadyStack(app, 'altinity-ready', consoleProps(templateVersion)),
  },
} as const;

export type EnvironmentTemplate = keyof typeof ENVIRONMENT_TEMPLATES;

/** The order in which the console's user creates them: around the connect stack. */
export const ENVIRONMENT_TEMPLATE_KINDS = Object.keys(ENVIRONMENT_TEMPLATES) as EnvironmentTemplate[];

/** One value per environment template, by its kind. */
export function byEnvironmentTemplate<T>(make: (kind: EnvironmentTemplate) => T): Record<EnvironmentTemplate, T> {
  return Object.fromEntries(ENVIRONMENT_TEMPLATE_KINDS.map((kind) => [kind, make(kind)])) as Record<EnvironmentTemplate, T>;
}

function consoleProps(templateVersion: string) {
  return { templateVersion, synthesizer: new LegacyStackSynthesizer(), analyticsReporting: false };
}

function synthesized(build: (app: ReturnType<typeof connectApp>) => Stack): Record<string, unknown> {
  const app = connectApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'altinity-connect-')) });
  const stack = build(app);
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

/** A console template of API-token mode, synthesized as the console template is: no context, no secret. */
export function synthesizeEnvironmentTemplate(kind: EnvironmentTemplate, templateVersion: string): Record<string, unknown> {
  return synthesized((app) => ENVIRONMENT_TEMPLATES[kind].build(app, templateVersion));
}

/** Writes the console templates of API-token mode into `outDir` and returns their paths. */
export function publishEnvironmentTemplates(templateVersion: string, outDir: string): Record<EnvironmentTemplate, string> {
  fs.mkdirSync(outDir, { recursive: true });
  const write = (kind: EnvironmentTemplate) => {
    const file = path.join(outDir, ENVIRONMENT_TEMPLATES[kind].fileName(templateVersion));
    fs.writeFileSync(file, toYaml(synthesizeEnvironmentTemplate(kind, templateVersion)));
    return file;
  };
  return byEnvironmentTemplate(write);
}
