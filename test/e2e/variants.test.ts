import { randomBytes, randomUUID } from 'node:crypto';
import { type AutoScalingGroup, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateStackCommand, DeleteStackCommand, ListStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand, type Instance } from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { ENV_TAG_KEY, stackNameFor } from '../../lib/shared/conventions';
import { secretParameterPrefix, tokenParameterName } from '../../lib/shared/names';
import {
  consoleEmulatorOfThisFile,
  describeStack,
  expectAnswered,
  hostUserData,
  inlinePolicyStatements,
  liveStack,
  placesHolding,
  remainsOf,
} from './live-stack';
import { evaluate, type PolicyStatement } from '../support/iam-policy';

/**
 * The published template deployed as the CloudFormation console would, in the layouts beyond a
 * single host that logs in: several hosts in an Auto Scaling group, and a certificate the customer
 * already holds.
 */
describe("the published template's host group and existing-certificate variants on the emulator", () => {
  const emulator = consoleEmulatorOfThisFile();

  /** CreateStack with the values the user filled in, answered by the function as Lambda would. */
  async function createAsConsole(stackName: string, values: Record<string, string>) {
    await emulator.clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: emulator.templateBody,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: Object.entries(values).map(([key, value]) => ({ ParameterKey: key, ParameterValue: value })),
      }),
    );
    const invocations = await emulator.lambda.serveCreate(stackName);
    expectAnswered(invocations, ['Create']);
    expect((await describeStack(emulator.clients, stackName)).StackStatus).toBe('CREATE_COMPLETE');
    return invocations;
  }

  async function autoScalingGroups(selection: { names?: string[]; envName?: string }): Promise<AutoScalingGroup[]> {
    const answer = await emulator.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: selection.names,
        Filters: selection.envName === undefined ? undefined : [{ Name: `tag:${ENV_TAG_KEY}`, Values: [selection.envName] }],
      }),
    );
    return answer.AutoScalingGroups ?? [];
  }

  const groupsOfEnvironment = (envName: string) => autoScalingGroups({ envName });

  async function theGroup(name: string): Promise<AutoScalingGroup> {
    const groups = await autoScalingGroups({ names: [name] });
    expect(groups.map((group) => group.AutoScalingGroupName)).toEqual([name]);
    return groups[0];
  }

  async function instances(filter: { instanceIds?: string[]; envName?: string }): Promise<Instance[]> {
    const reservations = await emulator.clients.ec2.send(
      new DescribeInstancesCommand({
        InstanceIds: filter.instanceIds,
        Filters: filter.envName ? [{ Name: `tag:${ENV_TAG_KEY}`, Values: [filter.envName] }] : undefined,
      }),
    );
    return reservations.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
  }

  /**
   * The custom resource's Delete, then DeleteStack (in this order: see LambdaService.serveDelete);
   * returns what of the stack remains, its Auto Scaling groups and launch template included.
   */
  async function deleteAndListRemains(stackName: string, envName: string): Promise<string[]> {
    const { physicalIds } = await liveStack(emulator.clients, stackName);
    expectAnswered(await emulator.lambda.serveDelete(stackName), ['Delete']);
    await emulator.clients.cloudFormation.send(new DeleteStackCommand({ StackName: stackName }));

    const stacks = (await emulator.clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(stacks.filter((stack) => stack.StackName === stackName).map((stack) => stack.StackStatus)).toEqual(['DELETE_COMPLETE']);
    const remains = await remainsOf(emulator.clients, stackName, envName, [physicalIds.HostSecurityGroup]);
    remains.push(...(await groupsOfEnvironment(envName)).map((group) => `Auto Scaling group ${group.AutoScalingGroupName}`));
    try {
      const templates = await emulator.clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [physicalIds.HostLaunchTemplate] }));
      remains.push(...(templates.LaunchTemplates ?? []).map((template) => `launch template ${template.LaunchTemplateId}`));
    } catch (error) {
      if ((error as Error).name !== 'InvalidLaunchTemplateId.NotFound') throw error;
    }
    return remains;
  }

  /** The stack's group runs `replicas` hosts from its launch template over `subnetIds`; returns the group. */
  async function expectGroupOfHosts(stackName: string, envName: string, replicas: number, subnetIds: string[]): Promise<AutoScalingGroup> {
    const { outputs, physicalIds } = await liveStack(emulator.clients, stackName);
    expect(outputs.HostGroupName).toBe(physicalIds.HostGroup);
    const group = await theGroup(outputs.HostGroupName);
    expect(group).toMatchObject({ MinSize: replicas, DesiredCapacity: replicas });
    expect(group.VPCZoneIdentifier?.split(',').sort()).toEqual([...subnetIds].sort());

    const launchTemplate = (await emulator.clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [physicalIds.HostLaunchTemplate] })))
      .LaunchTemplates?.[0];
    expect(group.LaunchTemplate).toEqual({
      LaunchTemplateId: physicalIds.HostLaunchTemplate,
      LaunchTemplateName: launchTemplate?.LaunchTemplateName,
      Version: String(launchTemplate?.LatestVersionNumber),
    });

    expect(group.Instances?.map((instance) => instance.LifecycleState)).toEqual(Array(replicas).fill('InService'));
    const hosts = await instances({ instanceIds: group.Instances?.map((instance) => instance.InstanceId!) });
    expect(hosts).toHaveLength(replicas);
    for (const host of hosts) {
      expect(host.State?.Name).toBe('running');
      expect(host.ImageId).toBe(emulator.imageId);
      expect(subnetIds).toContain(host.SubnetId);
      expect(host.Tags).toEqual(
        expect.arrayContaining([
          { Key: ENV_TAG_KEY, Value: envName },
          { Key: 'aws:autoscaling:groupName', Value: group.AutoScalingGroupName },
        ]),
      );
    }
    return group;
  }

  describe('Replicas: a single host, or a group of hosts', () => {
    const envName = 'acme-ha';
    const stackName = stackNameFor(envName);
    const trioEnvName = 'acme-trio';
    /** What the user filled in when creating the stack; an update keeps it with UsePreviousValue. */
    let createdWith: Record<string, string>;
    let subnetIds: string[];

    beforeAll(() => {
      subnetIds = emulator.network.subnetIds.slice(0, 2);
      createdWith = {
        EnvName: envName,
        Token: `ha-token-${randomUUID()}`,
        VpcId: emulator.network.vpcId,
        SubnetIds: subnetIds.join(','),
        BreakGlass: 'enabled',
      };
    });

    test('created with the default Replicas 1, the stack runs a single host and no group', async () => {
      await createAsConsole(stackName, createdWith);

      const { outputs, physicalIds } = await liveStack(emulator.clients, stackName);
      expect(outputs).toMatchObject({ InstanceId: physicalIds.Host });
      expect(outputs).not.toHaveProperty('HostGroupName');
      expect((await instances({ envName })).map((instance) => [instance.InstanceId, instance.State?.Name])).toEqual([[physicalIds.Host, 'running']]);
      expect(await groupsOfEnvironment(envName)).toEqual([]);
    });

    test('updated to Replicas 2, it runs two hosts in a group over the chosen subnets, and break glass targets the group', async () => {
      await emulator.clients.cloudFormation.send(
        new UpdateStackCommand({
          StackName: stackName,
          UsePreviousTemplate: true,
          Capabilities: ['CAPABILITY_IAM'],
          Parameters: [
            ...Object.keys(createdWith).map((key) => ({ ParameterKey: key, UsePreviousValue: true })),
            { ParameterKey: 'Replicas', ParameterValue: '2' },
          ],
        }),
      );
      expect((await describeStack(emulator.clients, stackName)).StackStatus).toBe('UPDATE_COMPLETE');
      // The token did not change: the function has nothing to do.
      expect(await emulator.lambda.serveUpdate(stackName)).toEqual([]);

      await expectGroupOfHosts(stackName, envName, 2, subnetIds);
      const live = await liveStack(emulator.clients, stackName);
      const { outputs, physicalIds } = live;
      expect(outputs).not.toHaveProperty('InstanceId');
      expect(outputs).not.toHaveProperty('InstanceArn');
      // CloudFormation deletes the single host here. moto cannot show it: a resource whose condition
      // turns false stays until the stack is deleted (the deletion test below checks that it is gone then).

      const sessionStatements = (await inlinePolicyStatements(emulator.clients, physicalIds.BreakGlassRole)).filter(
        (statement) => statement.Effect === 'Allow' && [statement.Action].flat().includes('ssm:StartSession'),
      );
      const onGroup = sessionStatements.filter((statement) => [statement.Resource].flat().some((arn) => String(arn).includes(':instance/')));
      expect(onGroup).toContainEqual(
        expect.objectContaining({
          Resource: expect.stringMatching(/^arn:aws:ec2:us-east-1:\d{12}:instance\/\*$/),
          Condition: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': live.stack.StackId } },
        }),
      );
    });

    test('created directly with Replicas 3, the stack runs three hosts in its group and no single host', async () => {
      const trioSubnets = emulator.network.subnetIds.slice(0, 3);
      await createAsConsole(stackNameFor(trioEnvName), {
        EnvName: trioEnvName,
        Token: `trio-token-${randomUUID()}`,
        VpcId: emulator.network.vpcId,
        SubnetIds: trioSubnets.join(','),
        Replicas: '3',
      });

      const group = await expectGroupOfHosts(stackNameFor(trioEnvName), trioEnvName, 3, trioSubnets);
      const { outputs, physicalIds } = await liveStack(emulator.clients, stackNameFor(trioEnvName));
      expect(physicalIds).not.toHaveProperty('Host');
      expect(outputs).not.toHaveProperty('InstanceId');
      expect(outputs).not.toHaveProperty('InstanceArn');
      const running = (await instances({ envName: trioEnvName })).filter((instance) => instance.State?.Name !== 'terminated');
      expect(running.map((instance) => instance.InstanceId).sort()).toEqual((group.Instances ?? []).map((instance) => instance.InstanceId).sort());
    });

    test.each([
      ['the updated stack', envName],
      ['the stack created with three', trioEnvName],
    ])('deleting %s leaves no host, group, launch template, role, profile, security group or parameter', async (_, env) => {
      expect(await deleteAndListRemains(stackNameFor(env), env)).toEqual([]);
    });
  });

  describe('ExistingCertificateParameter: a certificate the customer already holds', () => {
    const envName = 'acme-own-cert';
    const stackName = stackNameFor(envName);
    const customerCertificate = `/customer/${envName}/cloud-connect.pem`;
    // Random, so that finding it anywhere else can only mean it was copied there.
    const pem = `-----BEGIN CERTIFICATE-----\n${randomBytes(48).toString('base64')}\n-----END CERTIFICATE-----\n`;

    beforeAll(async () => {
      await emulator.clients.ssm.send(new PutParameterCommand({ Name: customerCertificate, Type: 'SecureString', Value: pem }));
    });

    test('created with an empty Token and the certificate parameter, the stack completes and writes no token', async () => {
      const [create] = await createAsConsole(stackName, {
        EnvName: envName,
        Token: '',
        ExistingCertificateParameter: customerCertificate,
        VpcId: emulator.network.vpcId,
        SubnetIds: emulator.network.subnetIds.slice(0, 2).join(','),
      });
      expect(create.event.ResourceProperties).toMatchObject({ Token: '' });

      await expect(emulator.clients.ssm.send(new GetParameterCommand({ Name: tokenParameterName(envName) }))).rejects.toThrow(/not found/i);
      const stored = await emulator.clients.ssm.send(new GetParametersByPathCommand({ Path: secretParameterPrefix(envName), Recursive: true }));
      expect(stored.Parameters).toEqual([]);
    });

    test('the hosts may read exactly that certificate, and their user data names it', async () => {
      const live = await liveStack(emulator.clients, stackName);
      const [, partition, , region, account] = live.stack.StackId!.split(':');
      const parameterArn = (name: string) => `arn:${partition}:ssm:${region}:${account}:parameter${name}`;
      const readable = (await inlinePolicyStatements(emulator.clients, live.physicalIds.HostRole))
        .filter((statement) => statement.Effect === 'Allow' && [statement.Action].flat().includes('ssm:GetParameter'))
        .flatMap((statement) => [statement.Resource].flat().map(String));
      expect(readable.filter((arn) => arn !== parameterArn(tokenParameterName(envName)))).toEqual([parameterArn(customerCertificate)]);

      const userData = await hostUserData(emulator.clients, live);
      expect(userData).toContain(`EXISTING_CERTIFICATE_PARAMETER='${customerCertificate}'`);
      expect(await placesHolding(pem, emulator.clients, { stackName, envName }, {})).toEqual([]);
    });

    test("deleting the stack leaves the customer's certificate as it was, and nothing of the stack", async () => {
      expect(await deleteAndListRemains(stackName, envName)).toEqual([]);
      const certificate = await emulator.clients.ssm.send(new GetParameterCommand({ Name: customerCertificate, WithDecryption: true }));
      expect(certificate.Parameter).toMatchObject({ Type: 'SecureString', Value: pem, Version: 1 });
    });
  });
  describe('an enterprise emulator.network and the restricted profile: every network, CA and profile parameter set', () => {
    const envName = 'acme-corp';
    const stackName = stackNameFor(envName);
    // A certificate as the console's one-line field leaves it; random, so that it can be traced.
    const caCertificates = `-----BEGIN CERTIFICATE----- ${randomBytes(600)
      .toString('base64')
      .replace(/(.{64})/g, '$1 ')
      .trim()} -----END CERTIFICATE-----`;
    const values = {
      HttpsProxy: 'http://proxy.corp.example:3128',
      NoProxy: 'ssm.us-east-1.amazonaws.com,.corp.example,10.0.0.0/8',
      CaCertificates: caCertificates,
      HostAliases: 'anywhere.altinity.cloud=10.20.30.40,mirror.corp.example=10.1.2.3',
      AssignPublicIp: 'false',
      PermissionProfile: 'restricted',
    };

    test("the stack completes, and the hosts' user data carries each value as given", async () => {
      await createAsConsole(stackName, {
        EnvName: envName,
        Token: `corp-token-${randomUUID()}`,
        VpcId: emulator.network.vpcId,
        SubnetIds: emulator.network.subnetIds[0],
        ...values,
      });
      const userData = await hostUserData(emulator.clients, await liveStack(emulator.clients, stackName));
      expect(userData).toContain(`HTTPS_PROXY_URL='${values.HttpsProxy}'`);
      expect(userData).toContain(`NO_PROXY_LIST='${values.NoProxy}'`);
      expect(userData).toContain(`CA_CERTIFICATES='${caCertificates}'`);
      expect(userData).toContain(`HOST_ALIASES='${values.HostAliases}'`);
    });

    // Not checked here: moto gives every instance a public address, whatever AssociatePublicIpAddress says
    // (test/constructs/host-launch.test.ts and host.test.ts check the template).
    test("the hosts' role may build EKS roles and backup users, and cannot change itself", async () => {
      const { physicalIds } = await liveStack(emulator.clients, stackName);
      const statements = await inlinePolicyStatements(emulator.clients, physicalIds.HostRole);
      const decide = (action: string, resource: string) => evaluate(statements as unknown as PolicyStatement[], { action, resource });
      const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
      // What the live role decides, as AWS would evaluate the statements moto stored.
      expect({
        createRole: decide('iam:CreateRole', role('eks-cluster-acme-corp')),
        passRole: decide('iam:PassRole', role('eks-cluster-acme-corp')),
        backupUserKey: decide('iam:CreateAccessKey', 'arn:aws:iam::123456789012:user/acme-corp-clickhouse-backup'),
        otherUserKey: decide('iam:CreateAccessKey', 'arn:aws:iam::123456789012:user/alice'),
        attachToItself: decide('iam:AttachRolePolicy', role(physicalIds.HostRole)),
      }).toEqual({
        createRole: 'allowed',
        passRole: 'allowed',
        backupUserKey: 'allowed',
        otherUserKey: 'implicitly denied',
        attachToItself: 'explicitly denied',
      });
    });

    test('deleting the stack leaves nothing of it', async () => {
      expect(await deleteAndListRemains(stackName, envName)).toEqual([]);
    });
  });
});
