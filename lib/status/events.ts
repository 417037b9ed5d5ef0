import type { StackEvent } from '@aws-sdk/client-cloudformation';
import { hintFor, type Hint } from './hints';

import { HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID } from '../shared/names';

const HOST_RESOURCES = new Set([HOST_LOGICAL_ID, HOST_GROUP_LOGICAL_ID]);

export function isHostResource(logicalId: string | undefined): boolean {
  return HOST_RESOURCES.has(logicalId ?? '');
}

/** Stack-level statuses that open an operation the user started (create, update, delete, import). */
const OPERATION_STARTS = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'IMPORT_IN_PROGRESS', 'REVIEW_IN_PROGRESS']);

/** What CloudFormation writes on resources it stopped because another one failed. */
const CANCELLED = /^Resource (creation|update|deletion|import) cancelled/i;

const SIGNAL_FAILURE = /^Received FAILURE signal with UniqueId\s+(.*)$/is;
const INSTANCE_ID_PREFIX = /^(i-[0-9a-f]{8,17})(?:\s*[:\s-]\s*(.*))?$/is;

/** True for the events of the stack itself, as opposed to those of its resources. */
export function isStackLevel(event: StackEvent): boolean {
  return event.ResourceType === 'AWS::CloudFormation::Stack' && event.PhysicalResourceId === event.StackId;
}

export function isOperationStart(event: StackEvent): boolean {
  return isStackLevel(event) && OPERATION_STARTS.has(event.ResourceStatus ?? '');
}

/**
 * The events of the latest operation, oldest first, from events listed newest first (as
 * DescribeStackEvents returns them): everything back to, and including, the event that opened it.
 */
export function latestOperation(eventsNewestFirst: readonly StackEvent[]): StackEvent[] {
  const start = eventsNewestFirst.findIndex(isOperationStart);
  const operation = start === -1 ? eventsNewestFirst : eventsNewestFirst.slice(0, start + 1);
  return [...operation].reverse();
}

export interface Failure {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: string;
  readonly reason: string;
  readonly at: Date;
  readonly physicalId?: string;
  /** What the host's bootstrap said, when the failure is the host's FAILURE signal. */
  readonly hostReported?: string;
  /** Whether it happened while CloudFormation rolled the operation back, not in the operation itself. */
  readonly duringRollback: boolean;
  readonly hint?: Hint;
}

export interface Diagnosis {
  /** The failures that are causes, the root cause first. */
  readonly failures: readonly Failure[];
  /** Resources CloudFormation stopped only because something else had failed. */
  readonly cancelled: readonly string[];
}

/**
 * The failed resource events of an operation (oldest first), in causal order: genuine failures in
 * the order they happened, without the cascade of "Resource creation cancelled" they provoke.
 */
export function diagnose(operationEvents: readonly StackEvent[]): Diagnosis {
  const failed = operationEvents.filter((event) => !isStackLevel(event) && event.ResourceStatus?.endsWith('_FAILED'));
  const isCancellation = (event: StackEvent): boolean => CANCELLED.test(event.ResourceStatusReason ?? '');
  const rollbackStart = operationEvents.findIndex((event) => isStackLevel(event) && /ROLLBACK_IN_PROGRESS$/.test(event.ResourceStatus ?? ''));
  const duringRollback = (event: StackEvent): boolean => rollbackStart !== -1 && operationEvents.indexOf(event) > rollbackStart;
  const failures = failed
    .filter((event) => !isCancellation(event))
    .map((event, order) => ({ event, order }))
    .sort((a, b) => time(a.event) - time(b.event) || a.order - b.order)
    .map(({ event }) => toFailure(event, operationEvents, duringRollback(event)));
  const cancelled = [...new Set(failed.filter(isCancellation).map((event) => event.LogicalResourceId ?? '?'))];
  return { failures, cancelled };
}

/**
 * The reason the host gave with its FAILURE signal. The signal carries no text of its own, so the
 * bootstrap puts its reason into the signal's unique id, after or instead of the instance id.
 */
export function hostReportedReason(statusReason: string | undefined): string | undefined {
  const signal = statusReason?.trim().match(SIGNAL_FAILURE);
  if (!signal) return undefined;
  const uniqueId = signal[1].trim();
  const withInstance = uniqueId.match(INSTANCE_ID_PREFIX);
  const reason = withInstance ? withInstance[2] : uniqueId;
  return reason?.trim() || undefined;
}

function toFailure(event: StackEvent, operationEvents: readonly StackEvent[], duringRollback: boolean): Failure {
  const reason = event.ResourceStatusReason ?? 'no reason given';
  const hostReported = isHostResource(event.LogicalResourceId) ? signalledReason(event, operationEvents) : undefined;
  return {
    logicalId: event.LogicalResourceId ?? '?',
    resourceType: event.ResourceType ?? '?',
    status: event.ResourceStatus ?? '?',
    reason,
    at: event.Timestamp ?? new Date(0),
    physicalId: event.PhysicalResourceId || undefined,
    hostReported,
    duringRollback,
    hint: hintFor(hostReported) ?? hintFor(reason),
  };
}

/**
 * A single host's failure event carries its signal; a group's says only how many hosts failed, after
 * one event per signal received: then the latest reason a host gave before the failure counts.
 */
function signalledReason(failure: StackEvent, operationEvents: readonly StackEvent[]): string | undefined {
  const own = hostReportedReason(failure.ResourceStatusReason);
  if (own) return own;
  const before = operationEvents.slice(0, operationEvents.indexOf(failure)).reverse();
  return before
    .filter((event) => event.LogicalResourceId === failure.LogicalResourceId)
    .map((event) => hostReportedReason(event.ResourceStatusReason))
    .find((reason) => reason !== undefined);
}

function time(event: StackEvent): number {
  return event.Timestamp?.getTime() ?? 0;
}
