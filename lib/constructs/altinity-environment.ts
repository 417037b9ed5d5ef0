import { CustomResource, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CLOUD_LOGICAL_IDS, CLOUD_RESOURCE_TYPES, type EnvironmentProperties } from '../shared/cloud-stack-contract';
import type { ConsoleEnvironmentValues } from '../shared/console-environment';
import type { EnvironmentSpec } from '../shared/environment-spec';
import { readableLogicalId } from './readable-id';

export interface AltinityEnvironmentProps {
  /** The function that calls Altinity.Cloud's API (`AltinityCloudAccess.serviceToken`). */
  readonly serviceToken: string;
  /** The environment's name in Altinity.Cloud (a template parameter's value in the console's template). */
  readonly envName: string;
  /**
   * The environment's specification: validated, as the environment file gives it; or the JSON text of
   * one, as the console's template parameter gives it, which the function validates.
   */
  readonly spec: EnvironmentSpec | string;
  /**
   * The console template's parameters for the common fields, which the function sets in `spec`.
   * @default - none: the app's specification is whole
   */
  readonly consoleFields?: ConsoleEnvironmentValues;
}

/**
 * The environment's specification in Altinity.Cloud, for the stack's own account and region.
 *
 * Guarantees: creating the resource creates the environment (or takes over one of the name that
 * this account and region already have); updating it updates what may change, and a change to a
 * field fixed at creation fails it before anything is sent; neither waits, and deleting it leaves the
 * environment, whose deletion belongs to the ready stack (`EnvironmentReadiness`), deleted before the
 * hosts. The specification is no secret: it is a property, readable in the template.
 */
export class AltinityEnvironment extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: AltinityEnvironmentProps) {
    super(scope, id);
    const properties: EnvironmentProperties = {
      EnvName: props.envName,
      Spec: typeof props.spec === 'string' ? props.spec : JSON.stringify(props.spec),
      ...(props.consoleFields && { Fields: props.consoleFields }),
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.serviceToken,
      resourceType: CLOUD_RESOURCE_TYPES.environment,
      serviceTimeout: Duration.minutes(5),
      properties: { ...properties },
    });
    readableLogicalId(this.resource, CLOUD_LOGICAL_IDS.environment);
  }

  /** The revision Altinity.Cloud gave the specification. */
  get specRevision(): string {
    return this.resource.getAttString('SpecRevision');
  }
}
