import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListExportsCommand,
} from '@aws-sdk/client-cloudformation';
import { idleFunctionResources } from './emulator-template';
import { type MotoServer, startMotoServer } from './moto-server';

/**
 * The emulator every test deploys to, as they use it: a real moto_server behind the front that
 * startMotoServer puts before it, with readers calling while another client creates a stack (as the
 * tests serve custom resources while the CDK CLI deploys). Nothing stands in for anything.
 */

const ROUNDS = 10;
const READERS = 4;

/** A function and its role, among enough other resources for CreateStack to take a while, and an export of the function's ARN. */
function templateFor(stackName: string): string {
  const Resources: Record<string, unknown> = idleFunctionResources();
  for (let i = 0; i < 30; i++)
    Resources[`Parameter${i}`] = { Type: 'AWS::SSM::Parameter', Properties: { Name: `/${stackName}/${i}`, Type: 'String', Value: 'x' } };
  return JSON.stringify({
    Resources,
    Outputs: { FunctionArn: { Value: { 'Fn::GetAtt': ['Function', 'Arn'] }, Export: { Name: `${stackName}:FunctionArn` } } },
  });
}

describe('startMotoServer', () => {
  let moto: MotoServer;
  let cloudFormation: CloudFormationClient;

  beforeAll(async () => {
    moto = await startMotoServer();
    cloudFormation = new CloudFormationClient({ ...moto.clientConfig, maxAttempts: 1 });
  });

  afterAll(async () => {
    await moto?.stop();
  });

  test('a stack read while CreateStack builds it has the resources its export names: one function, not a second built by the read', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const stackName = `read-while-created-${round}`;
      let created = false;
      const creating = cloudFormation
        .send(new CreateStackCommand({ StackName: stackName, TemplateBody: templateFor(stackName), Capabilities: ['CAPABILITY_IAM'] }))
        .finally(() => (created = true));
      const read = async () => {
        while (!created) {
          await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => undefined);
        }
      };
      await Promise.all([creating, ...Array.from({ length: READERS }, read)]);

      const { StackResources } = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stackName }));
      const functionName = StackResources?.find((resource) => resource.LogicalResourceId === 'Function')?.PhysicalResourceId;
      const { Exports } = await cloudFormation.send(new ListExportsCommand({}));
      const exported = Exports?.find((exported) => exported.Name === `${stackName}:FunctionArn`)?.Value;
      expect({ round, exported }).toEqual({ round, exported: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}` });
    }
  });
});
