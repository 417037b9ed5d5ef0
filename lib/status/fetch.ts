import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { type EC2Client, paginateDescribeInstances, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { isOperationStart } from './events';
import { hostLookup, type HostLookup } from './hosts';
import type { StackSnapshot } from './types';

export interface StatusClients {
  readonly cloudFormation: CloudFormationClient;
  readonly ec2: EC2Client;
}

/** Members of a group that are gone or going do not count as its hosts. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** A stack's history can be long; the latest operation is rarely more than a few pages back. */
const MAX_EVENT_PAGES = 10;

/**
 * Reads a stack, its events back to the start of the latest operation, its resources and its host
 * instances. By name, only a live stack is found; by stack id, a deleted one too (DELETE_COMPLETE).
 * Undefined when there is no such stack; any other CloudFormation error is thrown. EC2 is asked
 * because CloudFormation only knows how the host started, not whether it still runs; when EC2
 * refuses, the report says so and goes on without.
 */
export async function fetchSnapshot(clients: StatusClients, stackNameOrId: string): Promise<StackSnapshot | undefined> {
  const client = clients.cloudFormation;
  let stack: Stack | undefined;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: stackNameOrId }))).Stacks?.[0];
  } catch (error) {
    if (isMissingStack(error)) return undefined;
    throw error;
  }
  if (!stack?.StackId) return undefined;
  const [events, resources] = await Promise.all([latestOperationEvents(client, stack.StackId), stackResources(client, stack.StackId)]);
  const snapshot = { stack, events, resources };
  const lookup = hostLookup(snapshot);
  if (!lookup) return snapshot;
  try {
    return { ...snapshot, instances: await hostInstances(clients.ec2, lookup) };
  } catch (error) {
    return { ...snapshot, instanceLookupError: describeEc2Error(error) };
  }
}

/** The cloud and ready stacks of an environment that the stacks created from an Anywhere API token. */
export interface EnvironmentStacks {
  readonly cloud: StackSnapshot;
  /** Absent until `cdk deploy --all` has created it, and once `cdk destroy --all` has deleted it. */
  readonly ready?: StackSnapshot;
}

/**
 * The environment's cloud and ready stacks, by name or id as `fetchSnapshot` reads them; undefined
 * when there is no cloud stack, which means that the environment runs on a connection token. When
 * `cloudUnreadableIsAbsent`, a cloud stack that AWS refuses to describe counts as absent too: the
 * permissions of a connection-token user may cover only the connect stack, and that user's report
 * must stay as it was.
 */
export async function fetchEnvironmentStacks(
  clients: StatusClients,
  stackNamesOrIds: { readonly cloud: string; readonly ready: string },
  options: { readonly cloudUnreadableIsAbsent: boolean },
): Promise<EnvironmentStacks | undefined> {
  let cloud: StackSnapshot | undefined;
  try {
    cloud = await fetchSnapshot(clients, stackNamesOrIds.cloud);
  } catch (error) {
    if (options.cloudUnreadableIsAbsent) return undefined;
    throw error;
  }
  return cloud && { cloud, ready: await fetchSnapshot(clients, stackNamesOrIds.ready) };
}

async function hostInstances(ec2: EC2Client, lookup: HostLookup): Promise<Instance[]> {
  const filters: Filter[] =
    'groupName' in lookup
      ? [
          { Name: 'tag:aws:autoscaling:groupName', Values: [lookup.groupName] },
          { Name: 'instance-state-name', Values: LIVE_STATES },
        ]
      : [{ Name: 'instance-id', Values: [lookup.instanceId] }];
  const instances: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
    for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
  }
  return instances;
}

function describeEc2Error(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${error.name} ${error.message}`)) {
    return 'your identity may not call ec2:DescribeInstances';
  }
  return `${error.name}: ${error.message}`.replace(/\s+/g, ' ');
}

async function latestOperationEvents(client: CloudFormationClient, stackId: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const response = await client.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }));
    events.push(...(response.StackEvents ?? []));
    nextToken = response.NextToken;
    if (!nextToken || response.StackEvents?.some(isOperationStart)) break;
  }
  return events;
}

async function stackResources(client: CloudFormationClient, stackId: string): Promise<StackResource[]> {
  try {
    return (await client.send(new DescribeStackResourcesCommand({ StackName: stackId }))).StackResources ?? [];
  } catch (error) {
    // A deleted stack may no longer list its resources; its events still tell the story.
    if (isMissingStack(error)) return [];
    throw error;
  }
}

/** CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist". */
export function isMissingStack(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationError' && /does not exist/i.test(error.message);
}
