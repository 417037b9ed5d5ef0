import type { Stack, StackEvent } from '@aws-sdk/client-cloudformation';
import type { Instance } from '@aws-sdk/client-ec2';
import { CONNECTION_STATE_TAG_KEY } from '../shared/conventions';
import { HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID, OUTPUT_KEYS } from '../shared/names';
import type { HostInstance, HostStatus, StackSnapshot } from './types';

/** What to ask EC2 about the hosts of a stack: the instance, or the members of the group. */
export type HostLookup = { readonly instanceId: string } | { readonly groupName: string };

export function hostLookup(snapshot: Omit<StackSnapshot, 'instances'>): HostLookup | undefined {
  if (hostKind(snapshot) === 'group') {
    const groupName = output(snapshot.stack, OUTPUT_KEYS.hostGroupName) ?? physicalId(snapshot, HOST_GROUP_LOGICAL_ID);
    return groupName ? { groupName } : undefined;
  }
  const instanceId = instanceIdOf(snapshot);
  return instanceId ? { instanceId } : undefined;
}

/** A stack runs one host, or a group of them when given several; what exists now decides, then what existed last. */
function hostKind(snapshot: Omit<StackSnapshot, 'instances'>): HostStatus['kind'] {
  if (output(snapshot.stack, OUTPUT_KEYS.hostGroupName) || physicalId(snapshot, HOST_GROUP_LOGICAL_ID)) return 'group';
  if (output(snapshot.stack, OUTPUT_KEYS.instanceId) || physicalId(snapshot, HOST_LOGICAL_ID)) return 'instance';
  const lastHostEvent = snapshot.events.find((event) => event.LogicalResourceId === HOST_LOGICAL_ID || event.LogicalResourceId === HOST_GROUP_LOGICAL_ID);
  return lastHostEvent?.LogicalResourceId === HOST_GROUP_LOGICAL_ID ? 'group' : 'instance';
}

const HOST_STATES: Readonly<Record<string, string>> = {
  CREATE_IN_PROGRESS: 'starting: installing altinitycloud-connect and logging in to Altinity.Cloud; the stack waits for the signal',
  CREATE_COMPLETE: 'logged in to Altinity.Cloud and signalled success',
  UPDATE_IN_PROGRESS: 'being updated',
  UPDATE_COMPLETE: 'updated',
  CREATE_FAILED: 'failed to start',
  UPDATE_FAILED: 'failed to update',
  DELETE_IN_PROGRESS: 'being terminated',
  DELETE_COMPLETE: 'terminated',
  DELETE_FAILED: 'could not be terminated',
};

/** The hosts of a stack: from its outputs, resources and events, with EC2's view when there is one. */
export function hostStatus(snapshot: StackSnapshot, operationEvents: readonly StackEvent[]): HostStatus {
  const lookup = hostLookup(snapshot);
  const kind = hostKind(snapshot);
  const logicalId = kind === 'group' ? HOST_GROUP_LOGICAL_ID : HOST_LOGICAL_ID;
  const resource = snapshot.resources.find((candidate) => candidate.LogicalResourceId === logicalId);
  const lastEvent = [...operationEvents].reverse().find((event) => event.LogicalResourceId === logicalId);
  const resourceStatus = resource?.ResourceStatus ?? lastEvent?.ResourceStatus;
  const arnFor = (instanceId: string) => instanceArnFor(snapshot.stack.StackId, instanceId);
  const described = (instanceId: string) => snapshot.instances?.find((instance) => instance.InstanceId === instanceId);

  let instances: HostInstance[];
  if (lookup && 'groupName' in lookup) {
    instances = (snapshot.instances ?? [])
      .filter((instance): instance is Instance & { InstanceId: string } => instance.InstanceId !== undefined)
      .map((instance) => ({
        instanceId: instance.InstanceId,
        instanceArn: arnFor(instance.InstanceId),
        state: instance.State?.Name,
        connection: connectionOf(instance),
      }));
  } else if (lookup) {
    const instanceArn = output(snapshot.stack, OUTPUT_KEYS.instanceArn) ?? arnFor(lookup.instanceId);
    const instance = described(lookup.instanceId);
    instances = [{ instanceId: lookup.instanceId, instanceArn, state: instance?.State?.Name, connection: instance && connectionOf(instance) }];
  } else {
    instances = [];
  }
  return {
    kind,
    resourceStatus,
    state: resourceStatus && (HOST_STATES[resourceStatus] ?? resourceStatus),
    groupName: lookup && 'groupName' in lookup ? lookup.groupName : undefined,
    instances,
    instanceLookupError: snapshot.instanceLookupError,
  };
}

function connectionOf(instance: Instance): string | undefined {
  return instance.Tags?.find((tag) => tag.Key === CONNECTION_STATE_TAG_KEY)?.Value;
}

function instanceIdOf(snapshot: Omit<StackSnapshot, 'instances'>): string | undefined {
  // Events are newest first: the latest id the host resource had, even after it was deleted.
  const fromEvents = snapshot.events.find((event) => event.LogicalResourceId === HOST_LOGICAL_ID && event.PhysicalResourceId)?.PhysicalResourceId;
  return output(snapshot.stack, OUTPUT_KEYS.instanceId) ?? physicalId(snapshot, HOST_LOGICAL_ID) ?? fromEvents;
}

function physicalId(snapshot: Omit<StackSnapshot, 'instances'>, logicalId: string): string | undefined {
  const resource = snapshot.resources.find((candidate) => candidate.LogicalResourceId === logicalId);
  return resource?.ResourceStatus === 'DELETE_COMPLETE' ? undefined : resource?.PhysicalResourceId || undefined;
}

/** `arn:<partition>:cloudformation:<region>:<account>:stack/...` gives the parts of the instance ARN. */
function instanceArnFor(stackId: string | undefined, instanceId: string): string | undefined {
  const [, partition, , region, account] = stackId?.split(':') ?? [];
  return partition && region && account ? `arn:${partition}:ec2:${region}:${account}:instance/${instanceId}` : undefined;
}

export function output(stack: Stack, key: string): string | undefined {
  return stack.Outputs?.find((candidate) => candidate.OutputKey === key)?.OutputValue || undefined;
}
