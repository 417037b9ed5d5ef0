/**
 * The templates the tests read, synthesized in process as `npm run publish` and `cdk deploy` build
 * them, and the size limits every variant must keep.
 */
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { stringify } from 'yaml';
import { buildConnectStack, buildEnvironmentStacks, connectApp } from '../../lib/stack/app';
import type { AppInput } from '../../lib/stack/app-input';
import { type ENVIRONMENT_TEMPLATES, synthesizeConsoleTemplate, synthesizeEnvironmentTemplate } from '../../lib/release/publish';
import { type OnStackDelete, stagedApiTokenPrefix } from '../../lib/shared/cloud-stack-contract';
import { type EnvironmentSpec, validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { stagedTokenDigest } from '../../lib/shared/secret-store-contract';

export type CfnTemplate = {
  Description?: string;
  Metadata?: Record<string, any>;
  Parameters: Record<string, any>;
  Rules?: Record<string, any>;
  Conditions?: Record<string, any>;
  Mappings?: Record<string, any>;
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

const consoleEnvironmentTemplates: Partial<Record<keyof typeof ENVIRONMENT_TEMPLATES, CfnTemplate>> = {};

/** A console template of API-token mode (the cloud or the ready stack's), as the publish script builds it (synthesized once per test file). */
export function consoleEnvironmentTemplate(kind: keyof typeof ENVIRONMENT_TEMPLATES): CfnTemplate {
  consoleEnvironmentTemplates[kind] ??= synthesizeEnvironmentTemplate(kind, TEST_TEMPLATE_VERSION) as CfnTemplate;
  return consoleEnvironmentTemplates[kind];
}

/** The template `cdk deploy -c env=...` deploys: with `-c token=...`, the token staged as the secret `stagedToken`. */
export function deployModeTemplate(input: Extract<AppInput, { mode: 'deploy' }>, stagedToken?: string): CfnTemplate {
  const app = connectApp();
  const stack = buildConnectStack(app, input, { templateVersion: TEST_TEMPLATE_VERSION, stagedToken });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

/** The input of `cdk deploy -c env=... -c environment=<file>` (API-token mode), network given so that nothing is looked up. */
export type EnvironmentModeInput = Parameters<typeof buildEnvironmentStacks>[1];

/** The region the environment files of the tests are validated for. */
export const ENVIRONMENT_REGION = 'eu-west-1';

/**
 * A realistic deployment from a clone in API-token mode, as template-size.test.ts's connection-token
 * one: a long environment name, three subnets and an AMI parameter.
 */
export function environmentModeInput(onStackDelete: OnStackDelete = 'keep'): EnvironmentModeInput {
  return {
    mode: 'deploy',
    envName: 'acme-production-eu-1',
    network: {
      kind: 'given',
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
    },
    amiParameterName: '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id',
    environment: { file: 'environment.yaml', onStackDelete },
  };
}

/** An environment file that sets most fields, as validated by the app: three zones, four node groups, both load balancers, tags. */
export function fullEnvironmentSpec(): EnvironmentSpec {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  return validateEnvironmentSpec(
    {
      zones,
      cidr: '10.67.0.0/21',
      NAT: true,
      nodeGroups: [
        { nodeType: 't4g.large', capacityPerZone: 3, reservations: ['SYSTEM'] },
        { nodeType: 't4g.medium', capacityPerZone: 3, reservations: ['ZOOKEEPER'] },
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
        { nodeType: 'r6i.2xlarge', name: 'clickhouse-memory', zones: zones.slice(0, 2), capacityPerZone: 6, reservations: ['CLICKHOUSE'] },
      ],
      loadBalancers: {
        public: { enabled: true, sourceIPRanges: ['203.0.113.0/24', '198.51.100.0/24'], crossZone: true },
        internal: { enabled: true, sourceIPRanges: ['10.0.0.0/8'], endpointServiceAllowedPrincipals: ['arn:aws:iam::123456789012:root'] },
      },
      tags: [
        { key: 'team', value: 'data-platform' },
        { key: 'cost-center', value: 'cc-1234' },
      ],
      permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:policy/altinity-boundary',
      resourcePrefix: 'acme-',
    },
    { region: ENVIRONMENT_REGION },
  );
}

/** The Secrets Manager name under which `cdk deploy` stages an API token (lib/deploy/staged-token.ts names it so). */
export function stagedApiTokenName(envName: string, token = 'an-api-token'): string {
  return `${stagedApiTokenPrefix(envName)}${stagedTokenDigest(token)}`;
}

/** API-token mode's options: the specification (the guide's example by default) and, when given, the staged API token's Secrets Manager name. */
export function environmentModeOptions(options: { readonly stagedApiToken?: string; readonly spec?: EnvironmentSpec } = {}) {
  return {
    templateVersion: TEST_TEMPLATE_VERSION,
    spec: options.spec ?? validateEnvironmentSpec({}, { region: ENVIRONMENT_REGION }),
    apiUrl: 'https://anywhere.altinity.cloud',
    stagedApiToken: options.stagedApiToken,
  };
}

/** The three stacks of API-token mode in `app`, as `cdk deploy -c env=... -c environment=<file>` builds them. */
export function buildEnvironmentModeStacks(
  app: App,
  options: { readonly stagedApiToken?: string; readonly spec?: EnvironmentSpec; readonly input?: EnvironmentModeInput } = {},
) {
  return buildEnvironmentStacks(app, options.input ?? environmentModeInput(), environmentModeOptions(options));
}

/** The three templates of API-token mode and the cloud assembly they are in. */
export function environmentModeTemplates(options: Parameters<typeof buildEnvironmentModeStacks>[1] = {}): {
  readonly cloud: CfnTemplate;
  readonly connect: CfnTemplate;
  readonly ready: CfnTemplate;
  readonly names: { readonly cloud: string; readonly connect: string; readonly ready: string };
  readonly assembly: CloudAssembly;
} {
  const app = connectApp();
  const stacks = buildEnvironmentModeStacks(app, options);
  const assembly = app.synth();
  const template = (stack: { stackName: string }) => assembly.getStackByName(stack.stackName).template as CfnTemplate;
  return {
    cloud: template(stacks.cloud),
    connect: template(stacks.connect),
    ready: template(stacks.ready),
    names: { cloud: stacks.cloud.stackName, connect: stacks.connect.stackName, ready: stacks.ready.stackName },
    assembly,
  };
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
