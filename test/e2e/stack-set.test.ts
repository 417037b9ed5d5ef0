import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  CreateStackCommand,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  DescribeStacksCommand,
  ListStackInstancesCommand,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { parse } from 'yaml';
import { toYaml } from '../../lib/release/publish';
import { ENV_TAG_KEY } from '../../lib/shared/conventions';
import { tokenParameterName } from '../../lib/shared/names';
import { idleFunctionResources } from '../support/emulator-template';
import { startMotoServer, type MotoServer, TEST_REGION } from '../support/moto-server';
import { clientsFor, defaultVpc, describeInstance, type EmulatorClients, outputsOf, publishedTemplateForEmulator, registerUbuntuAmi } from './live-stack';

/**
 * The published template as a stack set with self-managed permissions, rolled out to two accounts
 * and two regions, each stack instance with its own environment name, token, VPC and subnets given
 * as parameter overrides (the README's "Roll out to many accounts with StackSets").
 *
 * What moto shows, and this test checks: the stack set holds the template and the placeholder values;
 * each of the four stack instances is listed with the overrides it was given; in each account and
 * region a stack of the set exists with those values; once its custom resource has answered, it
 * completes, with its host, outputs and IAM roles in that account and region; two regions of one
 * account each get their own IAM roles (IAM names are account-wide: explicit names would collide).
 *
 * What moto cannot show:
 * - Service-managed permissions: trusted access with AWS Organizations, deployment targets by OU
 *   with AccountFilterType, automatic deployment to accounts that join an OU. moto keeps a
 *   service-managed instance's stack hidden, and the template's custom resource then fails to find it
 *   ("Stack with id .../hiddenstackfor<name>/... does not exist"), so no instance can be created.
 * - The custom resource's Lambda function: moto cannot run Lambda here (no Docker). Worse, moto
 *   names a self-managed instance's stack "StackSet:<name>" (real CloudFormation names it
 *   StackSet-<name>-<id>); the function's ARN, derived from it, then parses as a qualified ARN and
 *   CreateStackInstances fails. So the template the test uses differs from the published one in the
 *   custom resource's ServiceToken only, which names a stand-in function in the stack's own account
 *   and region, and the test answers for that function. What the real function does with the token
 *   is covered by console.test.ts and test/lambda/secret-store.test.ts.
 * - Deleting stack instances: moto fails to delete the stack's own function, whose name it derived
 *   from "StackSet:<name>" too (ResourceNotFoundException "Function not found: ...:function:StackSet:...").
 * - The merge of the stack set's values with an instance's overrides: moto gives an instance's
 *   stack its overrides alone. Each instance here overrides every parameter without a default, as
 *   the README says to, so the result is the same.
 * - The administration and execution roles of self-managed permissions, operation preferences,
 *   managed execution (queued operations), NoEcho masking (moto shows the token in DescribeStacks and
 *   DescribeStackInstance), the hosts' CreationPolicy signal (moto completes instances at once), and
 *   the network settings of the launch template (see ENVIRONMENT.md).
 */

const STACK_SET = 'altinity-connect';
const ADMIN_ACCOUNT = '123456789012';
const MEMBER_ACCOUNT = '111111111111';
const REGIONS = [TEST_REGION, 'eu-west-1'] as const;
const STAND_IN_FUNCTION = 'connect-secrets-stand-in';

/** The stack set's own values: placeholders, as the README shows, that every instance overrides. */
const STACK_SET_PARAMETERS: Parameter[] = [
  { ParameterKey: 'EnvName', ParameterValue: 'set-per-instance' },
  { ParameterKey: 'Token', ParameterValue: '' },
  { ParameterKey: 'VpcId', ParameterValue: 'vpc-00000000000000000' },
  { ParameterKey: 'SubnetIds', ParameterValue: 'subnet-00000000000000000' },
];

/** One account and region of the rollout: its clients, its network, and the values it overrides. */
interface Target {
  readonly account: string;
  readonly region: string;
  readonly clients: EmulatorClients;
  readonly envName: string;
  readonly token: string;
  readonly imageId: string;
  readonly network: { vpcId: string; subnetIds: string[] };
}

const overridesOf = (target: Target): Parameter[] => [
  { ParameterKey: 'EnvName', ParameterValue: target.envName },
  { ParameterKey: 'Token', ParameterValue: target.token },
  { ParameterKey: 'VpcId', ParameterValue: target.network.vpcId },
  { ParameterKey: 'SubnetIds', ParameterValue: target.network.subnetIds.slice(0, 2).join(',') },
];

let moto: MotoServer;
let admin: CloudFormationClient;
let targets: Target[];
let publishedTemplate: string;
let stackSetTemplate: string;

/**
 * Credentials in the member account: moto puts every request made with them there (ENVIRONMENT.md).
 * The repository has no STS client, so the AWS CLI assumes the role, against the emulator.
 */
async function memberCredentials(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const roleArn = `arn:aws:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`;
  const { stdout } = await promisify(execFile)(
    'aws',
    ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'stack-set-test', '--query', 'Credentials', '--output', 'json'],
    { env: { PATH: process.env.PATH ?? '', ...moto.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } },
  );
  const credentials = JSON.parse(stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
}

/**
 * The stand-in for the custom resource's function in one account and region: a function that
 * exists (moto looks it up when it creates the custom resource) and that nobody runs.
 */
async function createStandInFunction(clients: EmulatorClients): Promise<void> {
  const template = { Resources: idleFunctionResources({ FunctionName: STAND_IN_FUNCTION }) };
  await clients.cloudFormation.send(
    new CreateStackCommand({ StackName: 'stand-in', TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'] }),
  );
}

/** The published template with every custom resource's ServiceToken naming the stand-in of the stack's account and region. */
function withStandInServiceToken(templateBody: string): string {
  const template = parse(templateBody) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  for (const resource of Object.values(template.Resources)) {
    if (!resource.Type.startsWith('Custom::')) continue;
    resource.Properties.ServiceToken = { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${STAND_IN_FUNCTION}` };
  }
  return toYaml(template);
}

/** The stack of the stack set in the target's account and region: StackSet-<name>-<id> in AWS, StackSet:<name> in moto. */
async function stackOfTheSet(target: Target): Promise<Stack> {
  const stacks = (await target.clients.cloudFormation.send(new DescribeStacksCommand({}))).Stacks ?? [];
  const ours = stacks.filter((stack) => /^StackSet[-:]/.test(stack.StackName ?? '') && stack.StackName!.includes(STACK_SET));
  expect(ours).toHaveLength(1);
  return ours[0];
}

/**
 * Answers for the custom resource as its function would on success. The response URL is the one
 * moto gives; being unsigned, the request names the account and region moto should file it under.
 */
async function answerCustomResource(target: Target, stack: Stack): Promise<void> {
  const response = await fetch(`${moto.endpoint}/cloudformation_${target.region}/cfnresponse?stack=${stack.StackId}`, {
    method: 'PUT',
    headers: { 'content-type': '', 'x-moto-account-id': target.account, 'user-agent': `region/${target.region}` },
    body: JSON.stringify({
      Status: 'SUCCESS',
      StackId: stack.StackId,
      LogicalResourceId: 'ConnectSecrets',
      RequestId: 'stack-set-test',
      PhysicalResourceId: tokenParameterName(target.envName),
      Data: { TokenParameterName: tokenParameterName(target.envName) },
    }),
  });
  expect(response.status).toBe(200);
}

/**
 * Parameter values by key. moto reports a stack's CommaDelimitedList value as a Python list
 * ("['subnet-1', 'subnet-2']"); it is read back as the comma-separated value it was given.
 */
const parameterValues = (parameters: Parameter[] | undefined): Record<string, string | undefined> =>
  Object.fromEntries(
    (parameters ?? []).map(({ ParameterKey, ParameterValue }) => {
      const pythonList = ParameterValue?.match(/^\[(.*)\]$/);
      return [ParameterKey!, pythonList ? pythonList[1].replace(/'/g, '').split(', ').join(',') : ParameterValue];
    }),
  );

beforeAll(async () => {
  moto = await startMotoServer();
  const member = await memberCredentials();
  const accounts = [
    { account: ADMIN_ACCOUNT, credentials: moto.clientConfig.credentials, short: 'a' },
    { account: MEMBER_ACCOUNT, credentials: member, short: 'b' },
  ];
  admin = new CloudFormationClient(moto.clientConfig);
  // Published as a user downloads it, with the AMI parameter the emulator has (see live-stack.ts).
  publishedTemplate = (await publishedTemplateForEmulator(clientsFor(moto))).templateBody;
  stackSetTemplate = withStandInServiceToken(publishedTemplate);
  targets = [];
  for (const { account, credentials, short } of accounts) {
    for (const region of REGIONS) {
      const clients = clientsFor(moto, { region, credentials });
      const { imageId } = account === ADMIN_ACCOUNT && region === TEST_REGION ? await imageRegistered(clients) : await registerUbuntuAmi(clients);
      await createStandInFunction(clients);
      targets.push({
        account,
        region,
        clients,
        envName: `acme-${short}-${region}`,
        token: `token-${short}-${region}`,
        imageId,
        network: await defaultVpc(clients),
      });
    }
  }
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

/** The AMI that publishedTemplateForEmulator registered in this account and region. */
async function imageRegistered(clients: EmulatorClients): Promise<{ imageId: string }> {
  const parameter = await clients.ssm.send(new GetParameterCommand({ Name: '/e2e/ubuntu-ami' }));
  return { imageId: parameter.Parameter!.Value! };
}

test("the template given to the emulator differs from the published one only in the custom resource's ServiceToken", () => {
  const published = parse(publishedTemplate);
  const changed = parse(stackSetTemplate);
  expect(changed.Resources.ConnectSecrets.Properties.ServiceToken).toEqual({
    'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${STAND_IN_FUNCTION}`,
  });
  changed.Resources.ConnectSecrets.Properties.ServiceToken = published.Resources.ConnectSecrets.Properties.ServiceToken;
  expect(changed).toEqual(published);
});

test('create-stack-set: the template, CAPABILITY_IAM and placeholder values that no stack uses as they are', async () => {
  await admin.send(
    new CreateStackSetCommand({
      StackSetName: STACK_SET,
      TemplateBody: stackSetTemplate,
      PermissionModel: 'SELF_MANAGED',
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: STACK_SET_PARAMETERS,
    }),
  );
  const { StackSet } = await admin.send(new DescribeStackSetCommand({ StackSetName: STACK_SET }));
  expect(StackSet).toMatchObject({ StackSetName: STACK_SET, Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED', TemplateBody: stackSetTemplate });
  expect(parameterValues(StackSet?.Parameters)).toEqual(parameterValues(STACK_SET_PARAMETERS));
});

test('create-stack-instances, one account and region at a time, each with its own overrides', async () => {
  for (const target of targets) {
    await admin.send(
      new CreateStackInstancesCommand({
        StackSetName: STACK_SET,
        Accounts: [target.account],
        Regions: [target.region],
        ParameterOverrides: overridesOf(target),
      }),
    );
  }
  const listed = (await admin.send(new ListStackInstancesCommand({ StackSetName: STACK_SET }))).Summaries ?? [];
  expect(listed.map(({ Account, Region, Status }) => ({ Account, Region, Status })).sort(byAccountAndRegion)).toEqual(
    targets.map(({ account, region }) => ({ Account: account, Region: region, Status: 'CURRENT' })).sort(byAccountAndRegion),
  );
  for (const target of targets) {
    const { StackInstance } = await admin.send(
      new DescribeStackInstanceCommand({ StackSetName: STACK_SET, StackInstanceAccount: target.account, StackInstanceRegion: target.region }),
    );
    expect({ account: StackInstance?.Account, region: StackInstance?.Region, overrides: parameterValues(StackInstance?.ParameterOverrides) }).toEqual({
      account: target.account,
      region: target.region,
      overrides: parameterValues(overridesOf(target)),
    });
  }
});

const byAccountAndRegion = (left: { Account?: string; Region?: string }, right: { Account?: string; Region?: string }): number =>
  `${left.Account} ${left.Region}`.localeCompare(`${right.Account} ${right.Region}`);

test("each account and region has a stack of the set with that instance's values, waiting for its custom resource", async () => {
  for (const target of targets) {
    const stack = await stackOfTheSet(target);
    const [, , , region, account] = stack.StackId!.split(':');
    expect({ account, region, status: stack.StackStatus }).toEqual({ account: target.account, region: target.region, status: 'CREATE_IN_PROGRESS' });
    expect(parameterValues(stack.Parameters)).toMatchObject(parameterValues(overridesOf(target)));
  }
});

test('once the custom resource answers, each stack completes with its host, outputs and roles in its own account and region', async () => {
  for (const target of targets) {
    await answerCustomResource(target, await stackOfTheSet(target));
    const stack = await stackOfTheSet(target);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = outputsOf(stack);
    expect(outputs.TokenParameterName).toBe(tokenParameterName(target.envName));
    expect(outputs.InstanceArn).toBe(`arn:aws:ec2:${target.region}:${target.account}:instance/${outputs.InstanceId}`);
    expect(outputs.HostRoleArn).toMatch(new RegExp(`^arn:aws:iam::${target.account}:role/`));

    const instance = await describeInstance(target.clients, outputs.InstanceId);
    expect(instance.State?.Name).toBe('running');
    expect(instance.ImageId).toBe(target.imageId);
    expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: ENV_TAG_KEY, Value: target.envName }]));
  }
});

test('the two regions of one account each have their own IAM roles: IAM names are account-wide and the template names none', async () => {
  for (const account of [ADMIN_ACCOUNT, MEMBER_ACCOUNT]) {
    const inAccount = targets.filter((target) => target.account === account);
    const roleNames = await Promise.all(
      inAccount.map(
        async (target) =>
          outputsOf(await stackOfTheSet(target))
            .HostRoleArn.split('/')
            .pop()!,
      ),
    );
    expect(new Set(roleNames).size).toBe(REGIONS.length);
    for (const roleName of roleNames) {
      const { Role } = await inAccount[0].clients.iam.send(new GetRoleCommand({ RoleName: roleName }));
      expect(Role?.Arn).toBe(`arn:aws:iam::${account}:role/${roleName}`);
    }
  }
});
