import type { Stack, StackEvent, StackResource } from '@aws-sdk/client-cloudformation';
import type { Instance } from '@aws-sdk/client-ec2';
import { diagnose, isStackLevel, latestOperation, type Failure } from './events';
import { OUTPUT_KEYS, PARAMETER_KEYS } from '../shared/names';
import { hostStatus, output, type HostStatus } from './hosts';
import { nextSteps } from './next-steps';
import { stackStateOf, type Outcome } from './stack-states';

/** What AWS said about a stack, in one place: the input of {@link buildStatusReport}. */
export interface StackSnapshot {
  readonly stack: Stack;
  /** Newest first, as DescribeStackEvents lists them, back to at least the start of the latest operation. */
  readonly events: readonly StackEvent[];
  readonly resources: readonly StackResource[];
  /** The host instances as EC2 describes them, when EC2 could be asked. */
  readonly instances?: readonly Instance[];
  /** Why EC2 could not be asked, when it could not. */
  readonly instanceLookupError?: string;
}

export interface StatusReport {
  readonly envName: string;
  readonly stackName: string;
  readonly region?: string;
  readonly outcome: Outcome;
  /** False while CloudFormation is still working on the stack. */
  readonly settled: boolean;
  readonly stackStatus?: string;
  readonly stackStatusReason?: string;
  readonly meaning: string;
  /** The latest operation (create, update, delete): when it started, ended, and how long it took or has taken. */
  readonly operation?: { readonly startedAt: Date; readonly endedAt?: Date; readonly seconds: number };
  /** Resources CloudFormation has started on: how many are done, and which are still in progress. */
  readonly progress?: { readonly done: number; readonly total: number; readonly inProgress: readonly string[] };
  readonly host: HostStatus;
  readonly breakGlass: { readonly enabled: boolean; readonly roleArn?: string };
  /** The causes of the failure, root cause first; empty unless the outcome is failed. */
  readonly failures: readonly Failure[];
  /** Resources CloudFormation stopped because of those failures. */
  readonly cancelled: readonly string[];
  readonly nextSteps: readonly string[];
}

export interface ReportContext {
  readonly envName: string;
  readonly stackName: string;
  /** The region asked, used when there is no stack to read it from. */
  readonly region?: string;
  readonly now: Date;
}

/** The report on a stack, or on its absence when `snapshot` is undefined. */
export function buildStatusReport(context: ReportContext, snapshot: StackSnapshot | undefined): StatusReport {
  if (!snapshot) {
    const partial = {
      envName: context.envName,
      stackName: context.stackName,
      region: context.region,
      outcome: 'not-found' as const,
      settled: true,
      meaning: 'not found',
      host: { kind: 'instance' as const, instances: [] },
      breakGlass: { enabled: false },
      failures: [],
      cancelled: [],
    };
    return { ...partial, nextSteps: nextSteps(partial) };
  }

  const { stack } = snapshot;
  const state = stackStateOf(stack.StackStatus);
  const operationEvents = latestOperation(snapshot.events);
  const diagnosis = state.outcome === 'failed' ? diagnose(operationEvents) : { failures: [], cancelled: [] };
  const partial = {
    envName: context.envName,
    stackName: stack.StackName ?? context.stackName,
    region: regionOf(stack.StackId) ?? context.region,
    outcome: state.outcome,
    settled: state.settled,
    stackStatus: stack.StackStatus,
    stackStatusReason: stack.StackStatusReason,
    meaning: state.meaning,
    operation: operationTiming(stack, operationEvents, state.settled, context.now),
    progress: state.settled ? undefined : progressOf(snapshot.resources),
    host: hostStatus(snapshot, operationEvents),
    breakGlass: {
      enabled: parameter(stack, PARAMETER_KEYS.breakGlass) === 'enabled',
      roleArn: output(stack, OUTPUT_KEYS.breakGlassRoleArn),
    },
    ...diagnosis,
  };
  return { ...partial, nextSteps: nextSteps(partial) };
}

function operationTiming(stack: Stack, operationEvents: readonly StackEvent[], settled: boolean, now: Date): StatusReport['operation'] {
  const stackEvents = operationEvents.filter(isStackLevel);
  const startedAt = stackEvents[0]?.Timestamp ?? stack.LastUpdatedTime ?? stack.CreationTime;
  if (!startedAt) return undefined;
  const endedAt = settled ? (stackEvents.at(-1)?.Timestamp ?? startedAt) : undefined;
  const seconds = Math.max(0, Math.round(((endedAt ?? now).getTime() - startedAt.getTime()) / 1000));
  return { startedAt, endedAt, seconds };
}

function progressOf(resources: readonly StackResource[]): StatusReport['progress'] {
  const status = (resource: StackResource): string => resource.ResourceStatus ?? '';
  return {
    done: resources.filter((resource) => status(resource).endsWith('_COMPLETE') || status(resource) === 'DELETE_SKIPPED').length,
    total: resources.length,
    inProgress: resources.filter((resource) => status(resource).endsWith('_IN_PROGRESS')).map((resource) => resource.LogicalResourceId ?? '?'),
  };
}

function regionOf(stackId: string | undefined): string | undefined {
  return stackId?.split(':')[3] || undefined;
}

function parameter(stack: Stack, key: string): string | undefined {
  return stack.Parameters?.find((candidate) => candidate.ParameterKey === key)?.ParameterValue;
}
