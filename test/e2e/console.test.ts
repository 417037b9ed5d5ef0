import { randomUUID } from 'node:crypto';
import { CreateStackCommand, DeleteStackCommand, ListStacksCommand, type Parameter, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ALTINITY_SUPPORT_PRINCIPAL } from '../../lib/stack/console-form';
import { stackNameFor } from '../../lib/shared/conventions';
import { tokenParameterName } from '../../lib/shared/names';
import {
  consoleEmulatorOfThisFile,
  describeInstance,
  describeStack,
  expectAnswered,
  expectHostAsDocumented,
  expectOutputsAsDocumented,
  hostStoresCertificate,
  inlinePolicyStatements,
  outputsOf,
  placesHolding,
  policyDocument,
  remainsOf,
} from './live-stack';

const ENV_NAME = 'acme-console';
const STACK_NAME = stackNameFor(ENV_NAME);
const FIRST_TOKEN = `console-token-sentinel-${randomUUID()}`;
const SECOND_TOKEN = `console-token-sentinel-${randomUUID()}`;

/** The parameters given so far, beyond their defaults: an update keeps them with UsePreviousValue. */
const givenParameters = new Set(['EnvName', 'Token', 'VpcId', 'SubnetIds']);

/**
 * An update's parameters as the console sends them when the user changes only `changed`. The others
 * were left at their defaults and are not sent (the default then applies again, as it did before):
 * moto fails with HTTP 500 on UsePreviousValue for a parameter that was never given.
 */
function consoleUpdate(changed: Record<string, string>): Parameter[] {
  for (const key of Object.keys(changed)) givenParameters.add(key);
  return [...givenParameters].map((key) =>
    key in changed ? { ParameterKey: key, ParameterValue: changed[key] } : { ParameterKey: key, UsePreviousValue: true },
  );
}

/**
 * The published console template, deployed as the CloudFormation console would: CreateStack with the
 * parameters the user fills in, UpdateStack with the previous template and values, DeleteStack.
 */
describe('the published template, created, updated and deleted on the emulator', () => {
  const emulator = consoleEmulatorOfThisFile();

  /** Update stack > Use existing template, changing only `changed`; moto completes it at once. */
  async function updateAsConsole(changed: Record<string, string>): Promise<void> {
    await emulator.clients.cloudFormation.send(
      new UpdateStackCommand({ StackName: STACK_NAME, UsePreviousTemplate: true, Capabilities: ['CAPABILITY_IAM'], Parameters: consoleUpdate(changed) }),
    );
    expect((await describeStack(emulator.clients, STACK_NAME)).StackStatus).toBe('UPDATE_COMPLETE');
  }

  test('CreateStack without the subnets is refused and leaves nothing behind', async () => {
    const envName = 'acme-no-subnets';
    const stackName = stackNameFor(envName);
    await expect(
      emulator.clients.cloudFormation.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateBody: emulator.templateBody,
          Capabilities: ['CAPABILITY_IAM'],
          Parameters: [
            { ParameterKey: 'EnvName', ParameterValue: envName },
            { ParameterKey: 'Token', ParameterValue: FIRST_TOKEN },
            { ParameterKey: 'VpcId', ParameterValue: emulator.network.vpcId },
          ],
        }),
      ),
    ).rejects.toThrow(/SubnetIds/);
    const stacks = (await emulator.clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(stacks.filter((stack) => stack.StackName === stackName)).toEqual([]);
    expect(await remainsOf(emulator.clients, stackName, envName)).toEqual([]);
  });

  test('CreateStack with the console parameters completes once the function has stored the token', async () => {
    await emulator.clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: STACK_NAME,
        TemplateBody: emulator.templateBody,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'EnvName', ParameterValue: ENV_NAME },
          { ParameterKey: 'Token', ParameterValue: FIRST_TOKEN },
          { ParameterKey: 'VpcId', ParameterValue: emulator.network.vpcId },
          { ParameterKey: 'SubnetIds', ParameterValue: emulator.network.subnetIds.slice(0, 2).join(',') },
        ],
      }),
    );
    expect((await describeStack(emulator.clients, STACK_NAME)).StackStatus).toBe('CREATE_IN_PROGRESS');

    const invocations = await emulator.lambda.serveCreate(STACK_NAME);
    expectAnswered(invocations, ['Create']);
    expect(invocations[0].event).toMatchObject({
      LogicalResourceId: 'ConnectSecrets',
      ResourceType: 'Custom::ConnectSecrets',
      ResourceProperties: { EnvName: ENV_NAME, KeyArn: expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\//), Token: FIRST_TOKEN },
    });
    expect((await describeStack(emulator.clients, STACK_NAME)).StackStatus).toBe('CREATE_COMPLETE');
  });

  test('the live host, its role, its security group and the token are as the guide describes', async () => {
    await expectHostAsDocumented(emulator.clients, { stackName: STACK_NAME, envName: ENV_NAME, imageId: emulator.imageId, token: FIRST_TOKEN });
    await expectOutputsAsDocumented(emulator.clients, STACK_NAME, ENV_NAME);
    expect(outputsOf(await describeStack(emulator.clients, STACK_NAME))).not.toHaveProperty('BreakGlassRoleArn');
  });

  test('the token is readable only from its SecureString', async () => {
    const printed = Object.fromEntries(emulator.lambda.invocations.map((invocation, index) => [`function log ${index + 1}`, invocation.logs]));
    expect(await placesHolding(FIRST_TOKEN, emulator.clients, { stackName: STACK_NAME, envName: ENV_NAME }, printed)).toEqual([]);
  });

  test("enabling break glass creates the support role, scoped to this stack's hosts, and leaves the token alone", async () => {
    await updateAsConsole({ BreakGlass: 'enabled', BreakGlassExternalId: 'acme-support-7Kq2' });
    expect(await emulator.lambda.serveUpdate(STACK_NAME)).toEqual([]);

    const outputs = outputsOf(await describeStack(emulator.clients, STACK_NAME));
    const instance = await describeInstance(emulator.clients, outputs.InstanceId);
    expect(outputs.InstanceArn).toMatch(new RegExp(`:instance/${instance.InstanceId}$`));
    const roleName = outputs.BreakGlassRoleArn?.split('/').pop();
    const role = (await emulator.clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    expect(policyDocument(role?.AssumeRolePolicyDocument).Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: ALTINITY_SUPPORT_PRINCIPAL },
        Condition: { StringEquals: { 'sts:ExternalId': 'acme-support-7Kq2' } },
      }),
    ]);
    const sessions = (await inlinePolicyStatements(emulator.clients, roleName!)).filter(
      (statement) => statement.Effect === 'Allow' && [statement.Action].flat().includes('ssm:StartSession'),
    );
    expect(sessions.flatMap((statement) => [statement.Resource].flat().map(String))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^arn:aws:ssm:us-east-1:[^:]*:document\/AWS-StartSSHSession$/)]),
    );
    // Sessions on instances, only those that carry this stack's id: the host does, as CloudFormation tags it.
    const stackId = (await describeStack(emulator.clients, STACK_NAME)).StackId!;
    expect(sessions.filter((statement) => String(statement.Resource).includes(':instance/'))).toEqual([
      expect.objectContaining({
        Resource: outputs.InstanceArn.replace(/[^/]+$/, '*'),
        Condition: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': stackId } },
      }),
    ]);
    expect(instance.Tags).toContainEqual({ Key: 'aws:cloudformation:stack-id', Value: stackId });

    const token = await emulator.clients.ssm.send(new GetParameterCommand({ Name: tokenParameterName(ENV_NAME), WithDecryption: true }));
    expect(token.Parameter).toMatchObject({ Value: FIRST_TOKEN, Version: 1 });
  });

  test('disabling break glass withdraws the support role from the stack', async () => {
    await updateAsConsole({ BreakGlass: 'disabled' });
    expect(await emulator.lambda.serveUpdate(STACK_NAME)).toEqual([]);
    expect(outputsOf(await describeStack(emulator.clients, STACK_NAME))).not.toHaveProperty('BreakGlassRoleArn');
    // CloudFormation deletes the role here. moto cannot show it: its update compares resource
    // definitions only, so a resource whose condition turns false stays until the stack is deleted
    // (where the last test does check that it is gone).
  });

  test("a new token reaches the SecureString through the function's Update event", async () => {
    await updateAsConsole({ Token: SECOND_TOKEN });
    const invocations = await emulator.lambda.serveUpdate(STACK_NAME);
    expectAnswered(invocations, ['Update']);
    expect(invocations[0].event).toMatchObject({
      PhysicalResourceId: tokenParameterName(ENV_NAME),
      ResourceProperties: { Token: SECOND_TOKEN },
      OldResourceProperties: { Token: FIRST_TOKEN },
    });

    const token = await emulator.clients.ssm.send(new GetParameterCommand({ Name: tokenParameterName(ENV_NAME), WithDecryption: true }));
    expect(token.Parameter).toMatchObject({ Type: 'SecureString', Value: SECOND_TOKEN, Version: 2 });
    const printed = Object.fromEntries(emulator.lambda.invocations.map((invocation, index) => [`function log ${index + 1}`, invocation.logs]));
    expect(await placesHolding(SECOND_TOKEN, emulator.clients, { stackName: STACK_NAME, envName: ENV_NAME }, printed)).toEqual([]);
  });

  test('DeleteStack removes the host, its role and profile, its security group and both secrets', async () => {
    const outputs = outputsOf(await describeStack(emulator.clients, STACK_NAME));
    // The host stores the certificate its login produces; it cannot run here, so do as it would.
    await hostStoresCertificate(emulator.clients, STACK_NAME, ENV_NAME, 'certificate from login');

    expectAnswered(await emulator.lambda.serveDelete(STACK_NAME), ['Delete']);
    await emulator.clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK_NAME }));

    const stacks = (await emulator.clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(stacks.filter((stack) => stack.StackName === STACK_NAME).map((stack) => stack.StackStatus)).toEqual(['DELETE_COMPLETE']);
    expect(await remainsOf(emulator.clients, STACK_NAME, ENV_NAME, [outputs.SecurityGroupId])).toEqual([]);
  });
});
