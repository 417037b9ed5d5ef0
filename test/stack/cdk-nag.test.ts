import { type App, CfnResource, CloudFormationValidatePlugin, Validations } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildConnectStack, connectApp } from '../../lib/stack/app';
import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import { TEST_TEMPLATE_VERSION } from '../support/templates';

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
