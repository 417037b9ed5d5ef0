import { CfnMapping, CfnOutput, CustomResource, Duration, Fn, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CLOUD_RESOURCE_TYPES, ON_STACK_DELETE, type OnStackDelete, type ReadyProperties, readySliceId } from '../shared/cloud-stack-contract';
import { readableLogicalId } from './readable-id';

export interface EnvironmentReadinessProps {
  /** The function that calls Altinity.Cloud's API, in the cloud stack. */
  readonly serviceToken: string;
  /** The environment's name in Altinity.Cloud (a template parameter's value in the console's template). */
  readonly envName: string;
  /** A digest of the environment's specification: a new one waits again. */
  readonly specDigest: string;
  /** What deleting the resources does to the environment (a template parameter's value in the console's template). */
  readonly onStackDelete: OnStackDelete | string;
  /**
   * How long to wait for the environment to be ready, and for its deprovisioning.
   * @default DEFAULT_READY_WAIT, 3 hours
   */
  readonly wait?: Duration;
}

/** How long one slice waits at most: what one run of the function may take. */
export const SLICE = Duration.minutes(15);

/** How long the resources wait unless told otherwise: the guide's environments take over an hour. */
export const DEFAULT_READY_WAIT = Duration.hours(3);

/**
 * The wait until Altinity.Cloud reports the environment's specification applied, and, on deletion,
 * the environment's deletion and deprovisioning.
 *
 * Guarantees: creating (or, with a new specification, updating) the resources completes only once the
 * environment is ready, however long that takes within `wait`; it fails within a poll of Altinity
 * reporting an error, with Altinity's code and message. A custom resource waits at most what its
 * function runs, so the wait is a chain of slices, each a custom resource that waits up to 15
 * minutes and whose completion shows in the stack's events; the last one gives up. Deleting the
 * resources deletes the environment only when `onStackDelete` says so.
 */
export class EnvironmentReadiness extends Construct {
  /** The slices, in the order CloudFormation creates them. */
  readonly slices: readonly CustomResource[];

  constructor(scope: Construct, id: string, props: EnvironmentReadinessProps) {
    super(scope, id);
    const count = Math.max(1, Math.ceil((props.wait ?? DEFAULT_READY_WAIT).toMinutes() / SLICE.toMinutes()));
    // A parameter's value stands for one of the choices its AllowedValues admit.
    const onStackDelete = props.onStackDelete as OnStackDelete;
    const properties: ReadyProperties = { EnvName: props.envName, SpecDigest: props.specDigest, OnStackDelete: onStackDelete, Slices: String(count) };
    const slices: CustomResource[] = [];
    for (let slice = 1; slice <= count; slice++) {
      const resource = new CustomResource(this, readySliceId(slice), {
        serviceToken: props.serviceToken,
        resourceType: CLOUD_RESOURCE_TYPES.ready,
        // A little over the function's own 15 minutes: it always answers first.
        serviceTimeout: SLICE.plus(Duration.minutes(1)),
        properties: { ...properties },
      });
      readableLogicalId(resource, readySliceId(slice));
      if (slices.length > 0) resource.node.addDependency(slices[slices.length - 1]);
      slices.push(resource);
    }
    this.slices = slices;
    // The console's choice is known only at deployment: the text for each choice is a mapping's entry.
    const chosen = Token.isUnresolved(props.onStackDelete);
    const consequences = consequencesOf(chosen ? 'update this stack with OnStackDelete delete' : 'deploy with -c onStackDelete=delete');
    const consequence = chosen
      ? new CfnMapping(this, 'Consequences', {
          mapping: Object.fromEntries(Object.entries(consequences).map(([choice, text]) => [choice, { Text: text }])),
        }).findInMap(props.onStackDelete, 'Text')
      : consequences[onStackDelete];
    new CfnOutput(this, 'WhenDeleted', {
      key: 'WhenDeleted',
      description: 'What deleting this stack does to the environment in Altinity.Cloud',
      value: Fn.join('', [props.envName, consequence]),
    });
  }
}

/** What deleting the stack does with each choice, after the environment's name; `change` says how to choose deletion instead. */
function consequencesOf(change: string): Record<OnStackDelete, string> {
  return {
    [ON_STACK_DELETE.keep]: ` stays in Altinity.Cloud (onStackDelete keep): delete it in the Altinity Cloud Manager, or ${change} before deleting this stack`,
    [ON_STACK_DELETE.delete]: ' is deleted from Altinity.Cloud and deprovisioned, unless it has ClickHouse clusters',
    [ON_STACK_DELETE.deleteWithClusters]: ' is deleted from Altinity.Cloud and deprovisioned, ClickHouse clusters and their data included',
  };
}
