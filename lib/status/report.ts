import type { Stack, StackEvent, StackResource } from '@aws-sdk/client-cloudformation';
import { diagnose, isStackLevel, latestOperation } from './events';
import { OUTPUT_KEYS, PARAMETER_KEYS } from '../shared/names';
import { hostStatus, output } from './hosts';
import { nextSteps } from './next-steps';
import { stackStateOf } from './stack-states';
import type { StackSnapshot, StatusReport } from './types';

// The report's input and output, for the callers that build one.
export type { StackSnapshot, StatusReport } from './types';

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
