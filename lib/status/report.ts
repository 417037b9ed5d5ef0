import type { Stack, StackEvent, StackResource } from '@aws-sdk/client-cloudformation';
import { diagnose, isStackLevel, latestOperation } from './events';
import { OUTPUT_KEYS, PARAMETER_KEYS } from '../shared/names';
import { hostStatus, output } from './hosts';
import { nextSteps } from './next-steps';
import { stackStateOf } from './stack-states';
import type { StackReport, StackSnapshot, StatusReport } from './types';

// The report's input and output, for the callers that build one.
export type { StackReport, StackSnapshot, StatusReport } from './types';

/** What a stack's report needs besides its snapshot. */
export interface StackContext {
  readonly stackName: string;
  /** The region asked, used when there is no stack to read it from. */
  readonly region?: string;
  readonly now: Date;
}

export interface ReportContext extends StackContext {
  readonly envName: string;
}

/** The report on the connect stack, or on its absence when `snapshot` is undefined. */
export function buildStatusReport(context: ReportContext, snapshot: StackSnapshot | undefined): StatusReport {
  const { report, operationEvents } = stackReportOf(context, snapshot);
  // The keys in the order they have always had, so that --json prints as before.
  const { failures, cancelled, ...status } = report;
  const host = snapshot ? hostStatus(snapshot, operationEvents) : { kind: 'instance' as const, instances: [] };
  const breakGlass = snapshot
    ? { enabled: parameter(snapshot.stack, PARAMETER_KEYS.breakGlass) === 'enabled', roleArn: output(snapshot.stack, OUTPUT_KEYS.breakGlassRoleArn) }
    : { enabled: false };
  const partial = { envName: context.envName, ...status, host, breakGlass, failures, cancelled };
  return { ...partial, nextSteps: nextSteps(partial) };
}

/** The report on another stack of the environment (its cloud or ready stack), or on its absence. */
export function buildStackReport(context: StackContext, snapshot: StackSnapshot | undefined): StackReport {
  return stackReportOf(context, snapshot).report;
}

/** What any stack's snapshot says, with the events of its latest operation, which the connect stack's hosts are read from. */
function stackReportOf(
  context: StackContext,
  snapshot: StackSnapshot | undefined,
): { readonly report: StackReport; readonly operationEvents: readonly StackEvent[] } {
  if (!snapshot) {
    const report = { stackName: context.stackName, region: context.region, outcome: 'not-found' as const, settled: true, meaning: 'not found' };
    return { report: { ...report, failures: [], cancelled: [] }, operationEvents: [] };
  }
  const { stack } = snapshot;
  const state = stackStateOf(stack.StackStatus);
  const operationEvents = latestOperation(snapshot.events);
  const diagnosis = state.outcome === 'failed' ? diagnose(operationEvents) : { failures: [], cancelled: [] };
  const report = {
    stackName: stack.StackName ?? context.stackName,
    region: regionOf(stack.StackId) ?? context.region,
    outcome: state.outcome,
    settled: state.settled,
    stackStatus: stack.StackStatus,
    stackStatusReason: stack.StackStatusReason,
    meaning: state.meaning,
    operation: operationTiming(stack, operationEvents, state.settled, context.now),
    progress: state.settled ? undefined : progressOf(snapshot.resources),
    ...diagnosis,
  };
  return { report, operationEvents };
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
