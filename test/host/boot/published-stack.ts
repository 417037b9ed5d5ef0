import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { stackNameFor } from '../../../lib/shared/conventions';
import { HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID } from '../../../lib/shared/names';
import { describeStack, type EmulatorClients, expectAnswered, liveStack } from '../../e2e/live-stack';
import type { LambdaService } from '../../support/lambda-service';

/**
 * Where the host's user data comes from: the published (console) template, created on moto_server
 * with the parameters a user would fill in, its custom resource answered as the Lambda service
 * would (it stores the token in SSM, which the host reads at boot). CloudFormation's substitutions
 * are done by the emulator; the user data is read back from the launch template's version, as EC2
 * hands it to the instance, and taken as opaque bytes: its inner format is the stack's business.
 */

export interface StackRequest {
  readonly envName: string;
  readonly token: string;
  /** Values for the template's own parameters (ConnectDownloadUrl, AltinityCloudUrl, ConnectionTimeout, ...). */
  readonly parameters: Record<string, string>;
}

export interface CreatedStack {
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  /** The host's instance id: the single host (HOST_LOGICAL_ID), or the first instance of the group (HOST_GROUP_LOGICAL_ID). */
  readonly instanceId: string;
  /** The stack's resource that waits for the host's signal. */
  readonly signalledResource: string;
  /** The stack's Auto Scaling group, when it runs its hosts in one (Replicas above 1). */
  readonly groupName?: string;
  /** The host role's name, which the instance metadata names under iam/security-credentials/. */
  readonly roleName: string;
  /** The stack's launch template, from which its hosts start. */
  readonly launchTemplateId: string;
  /** The launch template version's UserData, base64-decoded: what cloud-init receives. */
  readonly userData: Buffer;
}

export async function createPublishedStack(
  emulator: { clients: EmulatorClients; lambda: LambdaService; templateBody: string; network: { vpcId: string; subnetIds: string[] } },
  request: StackRequest,
): Promise<CreatedStack> {
  const { clients, lambda, templateBody, network } = emulator;
  const stackName = stackNameFor(request.envName);
  await clients.cloudFormation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: templateBody,
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries({
        EnvName: request.envName,
        Token: request.token,
        VpcId: network.vpcId,
        SubnetIds: network.subnetIds.slice(0, 2).join(','),
        ...request.parameters,
      }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    }),
  );
  expectAnswered(await lambda.serveCreate(stackName), ['Create']);
  const stack = await describeStack(clients, stackName);
  if (stack.StackStatus !== 'CREATE_COMPLETE') throw new Error(`${stackName} is ${stack.StackStatus}: ${stack.StackStatusReason ?? ''}`);

  const live = await liveStack(clients, stackName);
  const launchTemplates = Object.entries(live.resourceTypes).filter(([, type]) => type === 'AWS::EC2::LaunchTemplate');
  if (launchTemplates.length !== 1) throw new Error(`expected one launch template in ${stackName}, found ${launchTemplates.length}`);
  const launchTemplateId = live.physicalIds[launchTemplates[0][0]];
  const groupName = live.physicalIds[HOST_GROUP_LOGICAL_ID];
  const groupInstances = groupName
    ? ((await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }))).AutoScalingGroups?.[0]?.Instances ?? [])
    : [];
  const versions = await clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ['$Latest'] }));
  const encoded = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
  if (!encoded) throw new Error(`the launch template of ${stackName} has no user data`);
  return {
    stackName,
    stackId: stack.StackId!,
    region: stack.StackId!.split(':')[3],
    instanceId: groupName ? (groupInstances[0]?.InstanceId ?? '') : live.physicalIds[HOST_LOGICAL_ID],
    signalledResource: groupName ? HOST_GROUP_LOGICAL_ID : HOST_LOGICAL_ID,
    ...(groupName ? { groupName } : {}),
    roleName: live.physicalIds.HostRole,
    launchTemplateId,
    userData: Buffer.from(encoded, 'base64'),
  };
}
