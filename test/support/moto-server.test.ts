import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListExportsCommand,
} from '@aws-sdk/client-cloudformation';
import * as http from 'node:http';
import { idleFunctionResources } from './emulator-template';
import { type MotoServer, startMotoServer, TEST_REGION } from './moto-server';

/**
 * The emulator every test deploys to, as they use it: a real moto_server behind the front that
 * startMotoServer puts before it, with readers calling while another client creates a stack (as the
 * tests serve custom resources while the CDK CLI deploys), and clients that go away (a CLI or a
 * function killed at its timeout). Nothing stands in for anything.
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
      expect({ round, exported }).toEqual({ round, exported: `arn:aws:lambda:${TEST_REGION}:123456789012:function:${functionName}` });
    }
  });
  test('a client that goes away before reading its answer, or while it waits its turn, does not hold up the requests after it', async () => {
    // A template of a megabyte: its GetTemplate answer is more than the sockets buffer.
    const stackName = 'large-template';
    const TemplateBody = JSON.stringify({ Metadata: { Padding: 'x'.repeat(1_000_000) }, Resources: idleFunctionResources() });
    await cloudFormation.send(new CreateStackCommand({ StackName: stackName, TemplateBody, Capabilities: ['CAPABILITY_IAM'] }));
    const getTemplate = () =>
      http.request(moto.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          // moto_server tells the service by the credential scope; it checks no signature.
          authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${TEST_REGION}/cloudformation/aws4_request, SignedHeaders=host, Signature=0`,
        },
      });
    const readsNothing = getTemplate();
    readsNothing.on('response', (answer) => {
      answer.pause();
      setTimeout(() => readsNothing.destroy(), 200);
    });
    const leavesWhileQueued = getTemplate();
    for (const request of [readsNothing, leavesWhileQueued]) {
      request.on('error', () => undefined);
      request.end(`Action=GetTemplate&Version=2010-05-15&StackName=${stackName}`);
    }
    setTimeout(() => leavesWhileQueued.destroy(), 50);

    const next = await new CloudFormationClient({ ...moto.clientConfig, maxAttempts: 1, requestHandler: { requestTimeout: 15_000 } }).send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    expect(next.Stacks?.[0]?.StackName).toBe(stackName);
  });
});
