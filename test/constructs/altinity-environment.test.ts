/**
 * AltinityEnvironment alone in a small stack, served by a function ARN given as a parameter: the
 * readable logical id, the specification as a readable property, and nothing else to trigger an
 * update. Nothing stands in for anything: the template is what is tested; what the function does
 * with the specification is tested in test/lambda/.
 */
import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AltinityEnvironment } from '../../lib/constructs/altinity-environment';
import { CLOUD_LOGICAL_IDS } from '../../lib/shared/cloud-stack-contract';
import { type EnvironmentSpec, validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { constructStack } from '../support/construct-stack';
import { fullEnvironmentSpec } from '../support/templates';

const ENV = 'acme-prod';

function environmentIn(spec: EnvironmentSpec) {
  const stack = constructStack();
  const serviceToken = new CfnParameter(stack, 'FunctionArn').valueAsString;
  const environment = new AltinityEnvironment(stack, 'Environment', { serviceToken, envName: ENV, spec });
  return { stack, environment, resources: Template.fromStack(stack).toJSON().Resources as Record<string, any> };
}

describe('AltinityEnvironment', () => {
  test('is one resource with the readable logical id Environment, deleted without deleting the environment (the ready stack does)', () => {
    const { resources } = environmentIn(validateEnvironmentSpec({}, { region: 'eu-west-1' }));
    expect(CLOUD_LOGICAL_IDS.environment).toBe('Environment');
    expect(Object.keys(resources)).toEqual(['Environment']);
    expect(resources.Environment).toMatchObject({ Type: 'Custom::AltinityEnvironment', DeletionPolicy: 'Delete' });
  });

  test.each([
    ["the guide's example", validateEnvironmentSpec({}, { region: 'eu-west-1' })],
    ['a file that sets most fields', fullEnvironmentSpec()],
  ])('%s is a property, readable in the template, beside the environment name only', (_, spec) => {
    const { resources } = environmentIn(spec);
    expect(resources.Environment.Properties).toEqual({
      ServiceToken: { Ref: 'FunctionArn' },
      ServiceTimeout: '300',
      EnvName: ENV,
      Spec: JSON.stringify(spec),
    });
    expect(JSON.parse(resources.Environment.Properties.Spec)).toEqual(spec);
  });

  test("its specRevision is the resource's SpecRevision attribute", () => {
    const { stack, environment } = environmentIn(validateEnvironmentSpec({}, { region: 'eu-west-1' }));
    expect(stack.resolve(environment.specRevision)).toEqual({ 'Fn::GetAtt': ['Environment', 'SpecRevision'] });
  });
});
