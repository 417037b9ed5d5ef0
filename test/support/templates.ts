/**
 * The templates the tests read, synthesized in process as `npm run publish` and `cdk deploy` build
 * them, and the size limits every variant must keep.
 */
import { stringify } from 'yaml';
import { buildConnectStack, connectApp } from '../../lib/stack/app';
import type { AppInput } from '../../lib/stack/app-input';
import { synthesizeConsoleTemplate } from '../../lib/release/publish';

export type CfnTemplate = {
  Description?: string;
  Metadata?: Record<string, any>;
  Parameters: Record<string, any>;
  Rules?: Record<string, any>;
  Conditions?: Record<string, any>;
  Resources: Record<string, any>;
  Outputs: Record<string, any>;
};

/** Version stamped on templates built by the tests, so that snapshots do not follow package.json. */
export const TEST_TEMPLATE_VERSION = '0.0.0-test';

let consoleTemplate: CfnTemplate | undefined;

/** The console template, as the publish script builds it (synthesized once per test file). */
export function consoleModeTemplate(): CfnTemplate {
  consoleTemplate ??= synthesizeConsoleTemplate(TEST_TEMPLATE_VERSION) as CfnTemplate;
  return consoleTemplate;
}

/** The template `cdk deploy -c env=...` deploys: with `-c token=...`, the token staged as the secret `stagedToken`. */
export function deployModeTemplate(input: Extract<AppInput, { mode: 'deploy' }>, stagedToken?: string): CfnTemplate {
  const app = connectApp();
  const stack = buildConnectStack(app, input, { templateVersion: TEST_TEMPLATE_VERSION, stagedToken });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

/** Every JSON path in `value` at which `predicate` holds, e.g. every `{ Ref: 'Token' }`. */
export function pathsWhere(value: unknown, predicate: (node: unknown) => boolean, at = ''): string[] {
  const here = predicate(value) ? [at] : [];
  if (value === null || typeof value !== 'object') return here;
  return here.concat(...Object.entries(value as Record<string, unknown>).map(([key, child]) => pathsWhere(child, predicate, at ? `${at}.${key}` : key)));
}

/**
 * The most a template can weigh inline: CreateStack's TemplateBody limit, and the 50 KiB past which
 * `cdk deploy` needs a bootstrap bucket (which the accounts we deploy to may not have).
 */
export const INLINE_TEMPLATE_LIMIT = 51_200;

/**
 * Room to grow: every variant stays at least 5 KB under that, so that the next feature does not
 * break `cdk deploy`. A feature that does not fit makes room first (shorter texts, fewer tags), or
 * goes into a template of its own.
 */
export const TEMPLATE_MARGIN = 5_200;
export const TEMPLATE_BUDGET = INLINE_TEMPLATE_LIMIT - TEMPLATE_MARGIN;

/** YAML exactly as the CDK CLI writes a template it sends inline (its own serializer's settings). */
export function asTheCdkCliSendsIt(template: object): string {
  return stringify(template, { schema: 'yaml-1.1', lineWidth: 0 });
}
