import type { Stack, StackEvent, StackResource } from '@aws-sdk/client-cloudformation';
import type { Instance } from '@aws-sdk/client-ec2';
import type { Failure } from './events';
import type { Outcome } from './stack-states';

/**
 * The status command's data: what AWS said about a stack (fetch.ts gathers it) and the report made
 * of it (report.ts, hosts.ts and next-steps.ts build it; render.ts prints it). Here, apart from the
 * modules that build them, so that those modules do not import each other in a circle.
 */

/** What AWS said about a stack, in one place: the input of `buildStatusReport`. */
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

/** The report on a stack: what the status command prints, and what `--json` gives scripts. */
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

/** One host: an instance of the stack. */
export interface HostInstance {
  readonly instanceId: string;
  /** What to send Altinity support for break-glass access. */
  readonly instanceArn?: string;
  /** EC2's state of the instance (pending, running, stopped, terminated...), when EC2 could be asked. */
  readonly state?: string;
  /** What the host last recorded of its connection to Altinity.Cloud: `connected`, or `disconnected since <time>`. */
  readonly connection?: string;
}

/** The stack's hosts: the single instance, or the group and its members. */
export interface HostStatus {
  /** One instance (`Host`), or an Auto Scaling group of them (`HostGroup`) when the stack runs several. */
  readonly kind: 'instance' | 'group';
  /** The host resource's CloudFormation status, and that status in words. */
  readonly resourceStatus?: string;
  readonly state?: string;
  readonly groupName?: string;
  readonly instances: readonly HostInstance[];
  /** Why EC2 could not be asked for the instances' state, when it could not. */
  readonly instanceLookupError?: string;
}
