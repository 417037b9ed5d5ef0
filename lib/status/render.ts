import type { StackEvent } from '@aws-sdk/client-cloudformation';
import { sanitized } from '../../lambda/altinity-api/failures';
import type { Failure } from './events';
import type { AltinityStatus, EnvironmentReport, HostStatus, StackReport, StatusReport } from './types';

/** How many causes the text report lists; `--json` has them all. */
const SHOWN_FAILURES = 5;
/** How many of the AWS resources Altinity reports the text report names; `--json` has them all. */
const SHOWN_RESOURCES = 3;
/** Altinity's texts are quoted on one line, and cut: the terminal is no place for a page of them. */
const MAX_QUOTED_BYTES = 300;
const BAR_WIDTH = 20;

/** `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  if (minutes > 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${seconds} s`;
}

/** `A, B, C and 4 more`: enough names to act on, on one line. */
export function someOf(names: readonly string[], shown = 3): string {
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** `[########------------] 8/20 resources done`. */
export function progressBar(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} resources done`;
}

/** The one-line headline: stack, status in words, and time taken or running. */
export function headline(report: StackReport): string {
  const where = report.region ? ` (${report.region})` : '';
  if (!report.stackStatus) return `Stack ${report.stackName}${where}: not found`;
  const timing = report.operation
    ? report.settled
      ? `, after ${formatDuration(report.operation.seconds)}`
      : `, for ${formatDuration(report.operation.seconds)} so far`
    : '';
  return `Stack ${report.stackName}${where}: ${report.stackStatus} (${report.meaning}${timing})`;
}

/** One event as the `--wait` log shows it. */
export function eventLine(event: StackEvent): string {
  const time = event.Timestamp ? event.Timestamp.toISOString().slice(11, 19) : '--:--:--';
  const reason = event.ResourceStatusReason ? `  ${event.ResourceStatusReason}` : '';
  return `${time}  ${(event.LogicalResourceId ?? '?').padEnd(24)} ${(event.ResourceStatus ?? '?').padEnd(20)}${reason}`.trimEnd();
}

/** The human report: headline, progress, host, break glass, causes of a failure, next steps. */
export function renderText(report: StatusReport): string {
  const lines = [headline(report)];
  if (report.progress) lines.push(progressLine(report.progress));
  if (report.stackStatus) lines.push(...renderHosts(report.host));
  if (report.stackStatus) {
    const role = report.breakGlass.roleArn ? `, role ${report.breakGlass.roleArn}` : '';
    lines.push(`Break glass:  ${report.breakGlass.enabled ? `enabled${role}` : 'disabled'}`);
  }
  if (report.outcome === 'failed') lines.push('', ...renderCauses(report));
  if (report.environment) lines.push('', ...renderEnvironment(report.envName, report.environment));
  lines.push('', 'Next:', ...report.nextSteps.map((step) => `  - ${step}`));
  return `${lines.join('\n')}\n`;
}

/** The environment's other stacks, each as the connect stack's headline and causes, then Altinity.Cloud's view. */
function renderEnvironment(envName: string, environment: EnvironmentReport): string[] {
  const lines: string[] = [];
  for (const stack of environment.stacks) {
    lines.push(headline(stack));
    if (stack.progress) lines.push(progressLine(stack.progress));
    if (stack.outcome === 'failed') lines.push(...renderCauses(stack));
  }
  return [...lines, ...renderAltinity(envName, environment.altinity)];
}

function renderAltinity(envName: string, altinity: AltinityStatus): string[] {
  if (altinity.state === 'not-found') return [`Environment:  ${envName}: not found in Altinity.Cloud`];
  if (altinity.state === 'unknown') return ['advice' in altinity ? `Environment:  ${altinity.advice}` : `Environment:  unknown: ${altinity.error.message}`];
  const lines = [`Environment:  ${envName} in Altinity.Cloud: ${altinity.state} (${altinity.detail})`];
  // Provisioning and deleting quote Altinity's errors in their detail already.
  if (altinity.state === 'failed') {
    const errors = altinity.errors.map((error) => sanitized(`${error.code}: ${error.message}`, MAX_QUOTED_BYTES));
    lines.push(...errors.map((text, index) => `${index === 0 ? 'Errors:       ' : '              '}${text}`));
  }
  const resources = altinity.awsResources.map((resource) => sanitized(`${resource.name} (${resource.id})`, MAX_QUOTED_BYTES));
  const more = resources.length > SHOWN_RESOURCES ? ' (--json lists them all)' : '';
  const named =
    resources.length > 0
      ? `${resources.length} in AWS, as Altinity reports them: ${someOf(resources, SHOWN_RESOURCES)}${more}`
      : 'none in AWS, as Altinity reports them';
  return [...lines, `Resources:    ${named}`];
}

function progressLine(progress: NonNullable<StackReport['progress']>): string {
  const waitingFor = progress.inProgress.length > 0 ? `; in progress: ${someOf(progress.inProgress)}` : '';
  return `Progress:     ${progressBar(progress.done, progress.total)}${waitingFor}`;
}

function renderHosts(host: HostStatus): string[] {
  const state = host.state ? `, ${host.state}` : '';
  const lookupError = host.instanceLookupError ? [`              (EC2 state unknown: ${host.instanceLookupError})`] : [];
  if (host.kind === 'group') {
    return [
      `Hosts:        Auto Scaling group ${host.groupName ?? '(not created yet)'}${state}`,
      ...host.instances.map((instance) =>
        `              ${instance.instanceId}  ${(instance.state ?? '').padEnd(13)} ${instance.instanceArn ?? ''}${instance.connection ? `  (${instance.connection})` : ''}`.trimEnd(),
      ),
      ...lookupError,
    ];
  }
  const [instance] = host.instances;
  if (!instance) return [`Host:         (no instance yet)${state}`];
  const words = host.state && host.state !== instance.state ? `, ${host.state}` : '';
  return [
    `Host:         ${instance.instanceId}${instance.state ? ` (${instance.state})` : ''}${words}`,
    ...(instance.connection ? [`Connection:   ${instance.connection} (as the host last recorded it)`] : []),
    ...lookupError,
    ...(instance.instanceArn ? [`Instance ARN: ${instance.instanceArn}`] : []),
  ];
}

function renderCauses(report: StackReport): string[] {
  if (report.failures.length === 0) {
    return [`Cause: ${report.stackStatusReason ?? 'CloudFormation gave no reason; see the stack events in the console.'}`];
  }
  const lines = ['Cause (root cause first):'];
  for (const [index, failure] of report.failures.slice(0, SHOWN_FAILURES).entries()) lines.push(...renderFailure(failure, index + 1));
  const more = report.failures.length - SHOWN_FAILURES;
  if (more > 0) lines.push(`  ... and ${more} more (see --json or the stack events)`);
  if (report.cancelled.length > 0) lines.push(`  Cancelled as a consequence: ${report.cancelled.join(', ')}`);
  return lines;
}

function renderFailure(failure: Failure, number: number): string[] {
  const lines = [
    `  ${number}. ${failure.logicalId} (${failure.resourceType}) ${failure.status} at ${failure.at.toISOString().slice(11, 19)} UTC`,
    `     ${failure.reason}`,
  ];
  if (failure.hostReported) lines.push(`     The host reported: ${failure.hostReported}`);
  if (failure.hint) lines.push(`     Hint: ${failure.hint.advice}`);
  return lines;
}
