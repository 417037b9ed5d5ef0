/**
 * moto_server as the end-to-end tests use it in place of an AWS account: clients, the published
 * template as moto can take it, and checks of a live stack against the provisioning guide.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand, GetTemplateCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListInstanceProfilesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parse } from 'yaml';
import { packedPattern, unpackScript } from '../../lib/shared/packed-text';
import { ENV_TAG_KEY, OWNER_TAG_KEY } from '../../lib/shared/conventions';
import { certificateParameterName, secretParameterPrefix, tokenParameterName } from '../../lib/shared/names';
import { publishTemplate, toYaml } from '../../lib/release/publish';
import { stagedTokenPrefix } from '../../lib/shared/secret-store-contract';
import { version } from '../../package.json';
import { forTheEmulator } from '../support/emulator-template';
import { type Invocation, LambdaService } from '../support/lambda-service';
import { type MotoServer, startMotoServer } from '../support/moto-server';

/** SDK clients pointed at the emulator, as a user's would be at their account. */
export interface EmulatorClients {
  readonly autoScaling: AutoScalingClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly secrets: SecretsManagerClient;
  readonly ssm: SSMClient;
}

/** Clients of every service the tests inspect, on `server`: in its region and account, unless told another. */
export function clientsFor(
  server: MotoServer,
  where: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } = {},
): EmulatorClients {
  const config = {
    region: where.region ?? server.env.AWS_REGION,
    endpoint: server.endpoint,
    credentials: where.credentials ?? { accessKeyId: server.env.AWS_ACCESS_KEY_ID, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY },
  };
  return {
    autoScaling: new AutoScalingClient(config),
    cloudFormation: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    iam: new IAMClient(config),
    secrets: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  };
}

/**
 * An SSM parameter holding an Ubuntu AMI of the emulator's catalogue: the stand-in for Canonical's
 * public parameter, which moto does not carry and under whose /aws/ prefix nothing can be created.
 */
export async function registerUbuntuAmi(clients: EmulatorClients): Promise<{ parameterName: string; imageId: string }> {
  const images = await clients.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['ubuntu/images/*'] }] }));
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId) throw new Error('the emulator has no Ubuntu AMI');
  const parameterName = '/e2e/ubuntu-ami';
  await clients.ssm.send(new PutParameterCommand({ Name: parameterName, Type: 'String', DataType: 'aws:ec2:image', Value: imageId }));
  return { parameterName, imageId };
}

/**
 * The published console template as a user downloads it, with the changes the emulator needs
 * (emulator-template.ts); its AMI parameter is one registerUbuntuAmi creates.
 */
export async function publishedTemplateForEmulator(clients: EmulatorClients): Promise<{ templateBody: string; imageId: string }> {
  const ami = await registerUbuntuAmi(clients);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'published-'));
  try {
    const published = parse(fs.readFileSync(publishTemplate(version, outDir), 'utf8')) as Record<string, unknown>;
    return { templateBody: toYaml(forTheEmulator(published, ami.parameterName)), imageId: ami.imageId };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

/** A running emulator with what a console-path test needs: clients, the Lambda stand-in, the template, the default VPC. */
export interface ConsoleEmulator {
  readonly server: MotoServer;
  readonly clients: EmulatorClients;
  readonly lambda: LambdaService;
  readonly templateBody: string;
  readonly imageId: string;
  readonly network: { vpcId: string; subnetIds: string[] };
}

/**
 * The console emulator of the calling test file: started before its tests, stopped after them. Its
 * fields are there once the tests (and their hooks) run.
 */
export function consoleEmulatorOfThisFile(): ConsoleEmulator {
  const emulator = {} as { -readonly [Field in keyof ConsoleEmulator]: ConsoleEmulator[Field] };
  beforeAll(async () => {
    const server = await startMotoServer();
    const clients = clientsFor(server);
    const { templateBody, imageId } = await publishedTemplateForEmulator(clients);
    Object.assign(emulator, { server, clients, lambda: new LambdaService(server), templateBody, imageId, network: await defaultVpc(clients) });
  });
  afterAll(async () => {
    await emulator.lambda?.stop();
    await emulator.server?.stop();
  });
  return emulator;
}

export async function defaultVpc(clients: EmulatorClients): Promise<{ vpcId: string; subnetIds: string[] }> {
  const vpcs = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) throw new Error('the emulator has no default VPC');
  const subnets = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return { vpcId, subnetIds: (subnets.Subnets ?? []).map((subnet) => subnet.SubnetId!) };
}

export async function describeStack(clients: EmulatorClients, stackName: string): Promise<Stack> {
  const stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  if (!stack) throw new Error(`no stack ${stackName}`);
  return stack;
}

export function outputsOf(stack: Stack): Record<string, string> {
  return Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey!, output.OutputValue!]));
}

export async function describeInstance(clients: EmulatorClients, instanceId: string): Promise<Instance> {
  const reservations = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = reservations.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`no instance ${instanceId}`);
  return instance;
}

/**
 * The user data the host boots with: the instance's own, and that of each launch template of the
 * stack (EC2 gives an instance its launch template's user data; moto's CloudFormation does not),
 * each followed by the script it carries gzip-compressed, so that a search reads what runs as root.
 */
export async function hostUserData(clients: EmulatorClients, live: LiveStack): Promise<string> {
  const attribute = await clients.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: live.physicalIds.Host, Attribute: 'userData' }));
  const encoded = [attribute.UserData?.Value];
  for (const [logicalId, type] of Object.entries(live.resourceTypes)) {
    if (type !== 'AWS::EC2::LaunchTemplate') continue;
    const versions = await clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: live.physicalIds[logicalId] }));
    encoded.push(...(versions.LaunchTemplateVersions ?? []).map((version) => version.LaunchTemplateData?.UserData));
  }
  const plain = encoded.map((text) => Buffer.from(text ?? '', 'base64').toString('utf8'));
  const carried = plain.flatMap((text) =>
    [...text.matchAll(new RegExp(packedPattern('host-script'), 'g'))].map(([packed]) => unpackScript(packed).toString('utf8')),
  );
  return [...plain, ...carried].join('\n');
}

/**
 * What a host does after its login, since no host runs here: claims the stack's certificate parameter
 * (tagged with the owning stack, under the stack's key), then stores the certificate over the claim.
 */
export async function hostStoresCertificate(clients: EmulatorClients, stackName: string, envName: string, certificate: string): Promise<void> {
  const { stack, physicalIds } = await liveStack(clients, stackName);
  const name = certificateParameterName(envName);
  const KeyId = physicalIds.SecretsKey;
  await clients.ssm.send(
    new PutParameterCommand({
      Name: name,
      Type: 'SecureString',
      KeyId,
      Value: 'login claimed by i-0 at 1',
      Tags: [{ Key: OWNER_TAG_KEY, Value: stack.StackId }],
    }),
  );
  await clients.ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', KeyId, Value: certificate, Overwrite: true }));
}

/**
 * A policy document as IAM returns it: URL-encoded JSON. moto returns the inline policies that its
 * CloudFormation created as a Python literal instead (single quotes, None where the template said
 * AWS::NoValue, which CloudFormation drops); their strings hold no quote or such word of their own.
 */
export function policyDocument(text: string | undefined): { Statement: Array<Record<string, unknown>> } {
  const decoded = decodeURIComponent(text ?? '');
  if (!decoded.startsWith("{'")) return JSON.parse(decoded);
  const json = decoded
    .replace(/'/g, '"')
    .replace(/\bNone\b/g, 'null')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false');
  return JSON.parse(json, (_, value) => (Array.isArray(value) ? value.filter((item) => item !== null) : value));
}

/** Every statement of the role's inline policies, those that AWS::IAM::Policy resources put there included. */
export async function inlinePolicyStatements(clients: EmulatorClients, roleName: string): Promise<Array<Record<string, unknown>>> {
  const policyNames = (await clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const statements = [];
  for (const policyName of policyNames) {
    const policy = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    statements.push(...policyDocument(policy.PolicyDocument).Statement);
  }
  return statements;
}

/** The stack, its outputs, and the physical ids and types of its resources by logical id. */
export interface LiveStack {
  readonly stack: Stack;
  readonly outputs: Record<string, string>;
  readonly physicalIds: Record<string, string>;
  readonly resourceTypes: Record<string, string>;
}

export async function liveStack(clients: EmulatorClients, stackName: string): Promise<LiveStack> {
  const stack = await describeStack(clients, stackName);
  const resources = (await clients.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? [];
  const physicalIds: Record<string, string> = {};
  const resourceTypes: Record<string, string> = {};
  // moto lists resources it does not model (AWS::CDK::Metadata, a false condition's) without ids.
  for (const { LogicalResourceId, PhysicalResourceId, ResourceType } of resources) {
    if (!LogicalResourceId || !PhysicalResourceId) continue;
    physicalIds[LogicalResourceId] = PhysicalResourceId;
    resourceTypes[LogicalResourceId] = ResourceType ?? '';
  }
  return { stack, outputs: outputsOf(stack), physicalIds, resourceTypes };
}

export interface ExpectedHost {
  readonly stackName: string;
  readonly envName: string;
  readonly imageId: string;
  readonly token: string;
}

/**
 * Checks the stack's live resources against the provisioning guide. moto ignores managed policies,
 * IMDS options and the creation policy (see shared/ENVIRONMENT.md), and an instance's
 * NetworkInterfaces (its subnet, security group and public address) and a group's egress rules (it
 * keeps the default one): the template tests cover those.
 */
export async function expectHostAsDocumented(clients: EmulatorClients, expected: ExpectedHost): Promise<void> {
  const { physicalIds } = await liveStack(clients, expected.stackName);
  const instance = await describeInstance(clients, physicalIds.Host);
  expect(instance.State?.Name).toBe('running');
  expect(instance.ImageId).toBe(expected.imageId);
  expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: ENV_TAG_KEY, Value: expected.envName }]));

  const rootVolumeId = instance.BlockDeviceMappings?.find((mapping) => mapping.DeviceName === instance.RootDeviceName)?.Ebs?.VolumeId;
  expect(rootVolumeId).toBeDefined();
  const rootVolume = (await clients.ec2.send(new DescribeVolumesCommand({ VolumeIds: [rootVolumeId!] }))).Volumes?.[0];
  expect(rootVolume).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });

  const profileName = instance.IamInstanceProfile?.Arn?.split('/').pop();
  expect(profileName).toBe(physicalIds.HostInstanceProfile);
  const profile = (await clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile;
  expect(profile?.Roles?.map((role) => role.RoleName)).toEqual([physicalIds.HostRole]);
  const eks = await clients.iam.send(new GetRolePolicyCommand({ RoleName: physicalIds.HostRole, PolicyName: 'EksFullAccess' }));
  expect(policyDocument(eks.PolicyDocument).Statement).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ Effect: 'Allow', Action: 'eks:*', Resource: '*' }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } },
      }),
    ]),
  );

  const group = (await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [physicalIds.HostSecurityGroup] }))).SecurityGroups?.[0];
  expect(group?.IpPermissions).toEqual([]);

  const tokenName = tokenParameterName(expected.envName);
  const token = await clients.ssm.send(new GetParameterCommand({ Name: tokenName, WithDecryption: true }));
  expect(token.Parameter).toMatchObject({ Type: 'SecureString', Value: expected.token });
  const tags = await clients.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: tokenName }));
  expect(tags.TagList).toEqual(expect.arrayContaining([{ Key: ENV_TAG_KEY, Value: expected.envName }]));
}

/** The outputs the guide and the README name, each pointing at the live resource it describes. */
export async function expectOutputsAsDocumented(clients: EmulatorClients, stackName: string, envName: string): Promise<void> {
  const { stack, outputs, physicalIds } = await liveStack(clients, stackName);
  expect(Object.keys(outputs).sort()).toEqual(['HostRoleArn', 'InstanceArn', 'InstanceId', 'SecurityGroupId', 'TokenParameterName']);
  const [, partition, , region, account] = stack.StackId!.split(':');
  expect(outputs.InstanceId).toBe(physicalIds.Host);
  expect(outputs.InstanceArn).toBe(`arn:${partition}:ec2:${region}:${account}:instance/${physicalIds.Host}`);
  expect((await describeInstance(clients, outputs.InstanceId)).InstanceId).toBe(outputs.InstanceId);
  expect(outputs.HostRoleArn).toBe((await clients.iam.send(new GetRoleCommand({ RoleName: physicalIds.HostRole }))).Role?.Arn);
  expect(outputs.SecurityGroupId).toBe(physicalIds.HostSecurityGroup);
  expect(outputs.TokenParameterName).toBe(tokenParameterName(envName));
}

/**
 * Where a secret must never be readable: the stored template, the outputs, the instance's user data
 * (which names the token's parameter instead, proving we read the right thing), and `printed`, all
 * that the deployment tools printed. Returns the places that hold it.
 */
export async function placesHolding(
  secret: string,
  clients: EmulatorClients,
  deployed: { stackName: string; envName: string },
  printed: Record<string, string>,
): Promise<string[]> {
  const { stackName, envName } = deployed;
  const live = await liveStack(clients, stackName);
  const { stack } = live;
  const userData = await hostUserData(clients, live);
  expect(userData).toContain(tokenParameterName(envName));
  const places: Record<string, string> = { ...printed, outputs: JSON.stringify(stack.Outputs ?? []), 'user data': userData };
  for (const stage of ['Original', 'Processed'] as const) {
    const template = await clients.cloudFormation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: stage }));
    places[`GetTemplate (${stage})`] = template.TemplateBody ?? '';
  }
  return Object.entries(places)
    .filter(([, text]) => text.includes(secret))
    .map(([place]) => place);
}

/** What of an environment's stack is still there: live instances, roles, instance profiles, group, parameters, staged tokens. */
export async function remainsOf(clients: EmulatorClients, stackName: string, envName: string, securityGroupIds: string[] = []): Promise<string[]> {
  const remains: string[] = [];
  const reservations = await clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${ENV_TAG_KEY}`, Values: [envName] }] }));
  for (const instance of reservations.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? []) {
    if (instance.State?.Name !== 'terminated') remains.push(`instance ${instance.InstanceId} (${instance.State?.Name})`);
  }
  const roles = (await clients.iam.send(new ListRolesCommand({}))).Roles ?? [];
  remains.push(...roles.filter((role) => role.RoleName?.startsWith(`${stackName}-`)).map((role) => `role ${role.RoleName}`));
  const profiles = (await clients.iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? [];
  remains.push(
    ...profiles
      .filter((profile) => profile.InstanceProfileName?.startsWith(`${stackName}-`))
      .map((profile) => `instance profile ${profile.InstanceProfileName}`),
  );
  for (const groupId of securityGroupIds) {
    try {
      await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      remains.push(`security group ${groupId}`);
    } catch (error) {
      if ((error as Error).name !== 'InvalidGroup.NotFound') throw error;
    }
  }
  const parameters = await clients.ssm.send(new GetParametersByPathCommand({ Path: secretParameterPrefix(envName), Recursive: true }));
  remains.push(...(parameters.Parameters ?? []).map((parameter) => `parameter ${parameter.Name}`));
  const staged = await clients.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedTokenPrefix(envName)] }] }));
  remains.push(...(staged.SecretList ?? []).map((secret) => `staged token ${secret.Name}`));
  return remains;
}

/** The function answered each event SUCCESS and exited cleanly; otherwise fails with its reason and logs. */
export function expectAnswered(invocations: Invocation[], requestTypes: Invocation['event']['RequestType'][]): void {
  for (const { event, response, logs } of invocations) {
    if (response?.Status !== 'SUCCESS') {
      throw new Error(`the function answered ${event.RequestType} with ${response ? `${response.Status}: ${response.Reason}` : 'nothing'}\n${logs}`);
    }
  }
  expect(invocations.map((invocation) => [invocation.event.RequestType, invocation.exitCode])).toEqual(requestTypes.map((type) => [type, 0]));
}
