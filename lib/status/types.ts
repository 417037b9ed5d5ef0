import type { Stack, StackEvent, StackResource } from '@aws-sdk/client-cloudformation';
import type { Instance } from '@aws-sdk/client-ec2';
import type { AwsEnvStatus, EnvStatusError } from '../../lambda/altinity-api/client';
import type { Failure } from './events';
import type { Outcome } from './stack-states';

/**
 * The status command's data: what AWS said about a stack (fetch.ts gathers it) and the report made
 * of it (report.ts, hosts.ts and next-steps.ts build it, altinity.ts adds what Altinity.Cloud says of
 * the environment; render.ts prints it). Here, apart from the modules that build them, so that those
 * modules do not import each other in a circle.
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

/** The report on any stack: its status, its latest operation and the causes of a failure. */
export interface StackReport {
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
  /** The causes of the failure, root cause first; empty unless the outcome is failed. */
  readonly failures: readonly Failure[];
  /** Resources CloudFormation stopped because of those failures. */
  readonly cancelled: readonly string[];
}

/** The report on the connect stack: what the status command prints, and what `--json` gives scripts. */
export interface StatusReport extends StackReport {
  readonly envName: string;
  readonly host: HostStatus;
  readonly breakGlass: { readonly enabled: boolean; readonly roleArn?: string };
  readonly nextSteps: readonly string[];
  /** Only when the environment was created from an API token: its other stacks, and what Altinity.Cloud says of it. */
  readonly environment?: EnvironmentReport;
}

/**
 * An environment that the stacks created from an Anywhere API token (its cloud stack exists): the
 * cloud stack and the ready stack, in the order `cdk deploy --all` deploys them, and the environment
 * as Altinity.Cloud reports it.
 */
export interface EnvironmentReport {
  readonly stacks: readonly StackReport[];
  readonly altinity: AltinityStatus;
}

/**
 * The environment as Altinity.Cloud's API reports it, in the words of the stacks' own rules
 * (lambda/altinity-api/status.ts): `unknown` with `advice` when the command had no API token, with
 * `error` when the API refused it or could not be reached.
 */
export type AltinityStatus =
  | {
      readonly state: 'ready' | 'provisioning' | 'failed' | 'deleting';
      /** The revisions, or what the provisioning or the deletion waits for. */
      readonly detail: string;
      readonly specRevision: number;
      readonly appliedSpecRevision: number;
      readonly pendingDelete: boolean;
      readonly errors: readonly EnvStatusError[];
      readonly awsResources: AwsEnvStatus['status']['awsResources'];
    }
  | { readonly state: 'not-found' }
  | { readonly state: 'unknown'; readonly advice: string }
  | { readonly state: 'unknown'; readonly error: { readonly code?: string; readonly message: string } };

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
