import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type StackEvent,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { isOperationStart } from './events';
import type { StackSnapshot } from './report';

/** A stack's history can be long; the latest operation is rarely more than a few pages back. */
const MAX_EVENT_PAGES = 10;

/**
 * Reads a stack, its events back to the start of the latest operation, and its resources. By name,
 * only a live stack is found; by stack id, a deleted one too (in DELETE_COMPLETE). Undefined when
 * there is no such stack; any other AWS error is thrown.
 */
export async function fetchSnapshot(client: CloudFormationClient, stackNameOrId: string): Promise<StackSnapshot | undefined> {
  let stack;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: stackNameOrId }))).Stacks?.[0];
  } catch (error) {
    if (isMissingStack(error)) return undefined;
    throw error;
  }
  if (!stack?.StackId) return undefined;
  const [events, resources] = await Promise.all([latestOperationEvents(client, stack.StackId), stackResources(client, stack.StackId)]);
  return { stack, events, resources };
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
