import { type App, CfnResource, CloudFormationValidatePlugin, Validations } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildConnectStack, connectApp } from '../../lib/stack/app';
import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import { buildEnvironmentModeStacks, environmentModeInput, fullEnvironmentSpec, TEST_TEMPLATE_VERSION, stagedApiTokenName } from '../support/templates';

/**
 * Validation plugins that fail synthesis on any finding: cdk-nag's AwsSolutions pack (a finding is
 * fixed, or acknowledged with a reason beside its resource in lib/constructs), and CDK's own
 * CloudFormation validation with its findings as errors, which the app itself leaves off for speed
 * (lib/stack/app.ts): it runs here, once per variant, instead of on every user's synthesis.
 */
const VARIANTS = [
  ['console template', { mode: 'console' as const }],
  [
    'cdk deploy template',
    {
      mode: 'deploy' as const,
      envName: 'acme-prod',
      network: { kind: 'given' as const, vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
    },
  ],
] as const;

const CHECKS = {
  AwsSolutions: (app: App) => new AwsSolutionsChecks(app),
  'CloudFormation Validate': () => new CloudFormationValidatePlugin(),
};

/** An app that runs the `checks` at synthesis, with CloudFormation Validate's findings as errors. */
function checkedApp(checks: keyof typeof CHECKS): App {
  const app = connectApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  Validations.of(app).addPlugins(CHECKS[checks](app));
  return app;
}

describe.each(Object.keys(CHECKS) as (keyof typeof CHECKS)[])('the %s checks', (checks) => {
  test.each(VARIANTS)('the %s passes them', (_, input) => {
    const app = checkedApp(checks);
    buildConnectStack(app, input, {
      templateVersion: TEST_TEMPLATE_VERSION,
      stagedToken: input.mode === 'deploy' ? stagedTokenName(input.envName, 'a-token') : undefined,
    });
    expect(() => app.synth()).not.toThrow();
  });
});

test('the AwsSolutions checks do run: an unacknowledged finding fails synthesis', () => {
  const app = checkedApp('AwsSolutions');
  const stack = buildConnectStack(app, { mode: 'console' }, { templateVersion: TEST_TEMPLATE_VERSION });
  new CfnBucket(stack, 'UnencryptedBucketWithoutLogs');
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});

test('the CloudFormation Validate checks do run: a resource with an unknown property fails synthesis', () => {
  const app = checkedApp('CloudFormation Validate');
  const stack = buildConnectStack(app, { mode: 'console' }, { templateVersion: TEST_TEMPLATE_VERSION });
  new CfnResource(stack, 'QueueWithATypo', { type: 'AWS::SQS::Queue', properties: { VisibiltyTimeout: 30 } });
  expect(() => app.synth()).toThrow(/VisibiltyTimeout/);
});

describe.each(Object.keys(CHECKS) as (keyof typeof CHECKS)[])("the %s checks, on API-token mode's three stacks", (checks) => {
  test.each([
    ['the API token as a parameter', undefined],
    ['the API token staged', stagedApiTokenName('acme-prod')],
  ])('the cloud, connect and ready stacks pass them, with %s', (_, stagedApiToken) => {
    const app = checkedApp(checks);
    const input = { ...environmentModeInput(), envName: 'acme-prod' };
    const stacks = buildEnvironmentModeStacks(app, { input, stagedApiToken, spec: fullEnvironmentSpec() });
    expect(Object.values(stacks).map((stack) => stack.stackName)).toEqual([
      'altinity-cloud-acme-prod',
      'altinity-connect-acme-prod',
      'altinity-ready-acme-prod',
    ]);
    expect(() => app.synth()).not.toThrow();
  });
});

test('the AwsSolutions checks do run on the cloud stack: an unacknowledged finding fails synthesis', () => {
  const app = checkedApp('AwsSolutions');
  const { cloud } = buildEnvironmentModeStacks(app);
  new CfnBucket(cloud, 'UnencryptedBucketWithoutLogs');
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});
