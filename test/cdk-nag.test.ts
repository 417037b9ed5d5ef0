import { App, Validations } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildConnectStack } from '../lib/stack/app';
import { stagedTokenParameterName } from '../lib/shared/names';
import { TEST_TEMPLATE_VERSION } from './support/templates';

/**
 * cdk-nag's AwsSolutions pack fails synthesis on any finding that is neither fixed nor acknowledged
 * with a reason (acknowledgements sit beside the resources, in lib/constructs).
 */
test.each([
  ['console template', { mode: 'console' as const }],
  [
    'cdk deploy template',
    { mode: 'deploy' as const, envName: 'acme-prod', network: { kind: 'given' as const, vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] } },
  ],
])('the %s passes the AwsSolutions checks', (_, input) => {
  const app = new App();
  buildConnectStack(app, input, { templateVersion: TEST_TEMPLATE_VERSION, stagedTokenParameter: input.mode === 'deploy' ? stagedTokenParameterName(input.envName, '20261126T000000Z-abcdef') : undefined });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
});

test('the checks do run: an unacknowledged finding fails synthesis', () => {
  const app = new App();
  const stack = buildConnectStack(app, { mode: 'console' }, { templateVersion: TEST_TEMPLATE_VERSION });
  new CfnBucket(stack, 'UnencryptedBucketWithoutLogs');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});
