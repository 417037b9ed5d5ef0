import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import {
  type AccessProperties,
  CLOUD_LOGICAL_IDS,
  CLOUD_RESOURCE_TYPES,
  type CloudFunctionSettings,
  cloudSettingsFromEnvironment,
  type EnvironmentProperties,
  READY_SLICE_ID,
  type ReadyProperties,
} from '../../lib/shared/cloud-stack-contract';
import { CodedFailure, ENVIRONMENT_FAILURES, FUNCTION_FAILURES as FAILURE } from '../../lib/shared/failures';
import { AltinityApi } from '../altinity-api/client';
import { Masker, physicalIdOf, RESPONSE_MARGIN_MS, reasonOf, respond, withDeadline } from '../shared/custom-resource';
import type { SecretClients } from '../shared/owned-secrets';
import { createAccess, deleteAccess, storedApiToken, updateAccess } from './access';
import { applyEnvironment, deleteEnvironment } from './environment';
import { awaitDeletion, awaitReady } from './ready';

/**
 * The one function that holds the Altinity.Cloud API token. It serves three custom resources: the
 * access (the token under the cloud stack's key, and the certificate it signs) and the environment's
 * specification in the cloud stack, and the slices of the ready stack, which wait until the
 * environment is ready and, deleted with their stack, delete it when the user opted in. It acts only
 * on requests CloudFormation really sent for those resources, and takes what it acts on (the
 * environment, the key, the parameters, Altinity.Cloud's URL) from its settings, never from an
 * event. Every event gets an answer.
 */

type Properties = Partial<AccessProperties & EnvironmentProperties & ReadyProperties>;
export type CloudEvent = CloudFormationCustomResourceEvent<Properties>;

/** What the function's work needs besides the event: AWS, Altinity.Cloud with a token, and time. */
export interface Dependencies extends SecretClients {
  readonly altinity: (token: string) => AltinityApi;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** When the work must have answered. */
  readonly deadline: number;
}

const clients: SecretClients = {
  ssm: new SSMClient({ maxAttempts: 5 }),
  secrets: new SecretsManagerClient({ maxAttempts: 5 }),
  cloudFormation: new CloudFormationClient({ maxAttempts: 5 }),
};

export async function handler(event: CloudEvent, context: Pick<Context, 'logStreamName' | 'getRemainingTimeInMillis'>): Promise<void> {
  console.log(
    JSON.stringify({
      type: event?.RequestType,
      requestId: event?.RequestId,
      stack: event?.StackId,
      resource: event?.LogicalResourceId,
      physicalId: physicalIdOf(event),
      staged: event?.ResourceProperties?.StagedToken,
    }),
  );
  if (typeof event?.ResponseURL !== 'string') return console.error('FAILED: no ResponseURL to answer');
  if (event.RequestType === 'Delete' && event.PhysicalResourceId === nothingCreatedId(event)) {
    // A failed Create's rollback: whoever sends it, and whatever the settings, there is nothing to touch, and a refusal would leave the stack DELETE_FAILED.
    console.log(`${event.LogicalResourceId}: nothing to delete, its Create created nothing`);
    return respond(event, event.PhysicalResourceId, undefined, undefined);
  }
  const secrets = new Masker();
  secrets.add(event.ResourceProperties?.Token);
  let settings: CloudFunctionSettings | undefined;
  let createdNothing = false;
  let reason: string | undefined;
  let data: object | undefined;
  const budget = context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS;
  try {
    settings = cloudSettingsFromEnvironment(process.env);
    const dependencies: Dependencies = {
      ...clients,
      altinity: (token) => new AltinityApi({ token, baseUrl: settings?.apiUrl }),
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      // The work's own deadline comes first, so that a wait ends in an answer of its own.
      deadline: Date.now() + budget - RESPONSE_MARGIN_MS,
    };
    data = await withDeadline(act(event, settings, dependencies, secrets), budget, 'no answer from AWS or Altinity.Cloud');
  } catch (error) {
    createdNothing = error instanceof CodedFailure && REFUSALS.includes(error.code);
    reason = secrets.mask(`${reasonOf(error)} (log stream ${context.logStreamName})`);
    console.error(`FAILED: ${reason}`);
  }
  await respond(event, physicalIdFor(event, settings, createdNothing), reason, data);
}

/** Verifies the request, then carries it out; returns the resource's data. */
export async function act(event: CloudEvent, settings: CloudFunctionSettings, aws: Dependencies, secrets: Masker): Promise<object | undefined> {
  const resource = await verifyRequest(event, settings, aws.cloudFormation);
  const properties = event.ResourceProperties;
  if (resource === 'misnamed') {
    console.log(`${event.LogicalResourceId}: nothing to delete, its stack's Create was refused for its name`);
    return undefined;
  }
  if (resource === 'access') {
    if (event.RequestType === 'Create') return createAccess(properties, settings, aws, secrets);
    if (event.RequestType === 'Update') {
      const rollingBack = (await stackStatus(event.StackId, aws.cloudFormation)) === 'UPDATE_ROLLBACK_IN_PROGRESS';
      return updateAccess(event.PhysicalResourceId, properties, event.OldResourceProperties, rollingBack, settings, aws, secrets);
    }
    return deleteAccess(event.PhysicalResourceId, settings, aws);
  }
  const altinity = async () => aws.altinity(await storedApiToken(settings, aws, secrets));
  if (resource === 'environment') {
    return event.RequestType === 'Delete' ? deleteEnvironment(settings, altinity) : applyEnvironment(properties, settings, await altinity());
  }
  const slices = Number(properties.Slices);
  const slice = Number(READY_SLICE_ID.exec(event.LogicalResourceId)?.[1]);
  const status = await stackStatus(event.StackId, aws.cloudFormation);
  if (event.RequestType === 'Delete') {
    // A rollback, or an update's cleanup, deletes slices too: only the stack's own deletion may delete the environment.
    if (status === 'DELETE_IN_PROGRESS') return awaitDeletion(properties.OnStackDelete, { slice, slices }, settings, await altinity(), aws);
    console.log(`${event.LogicalResourceId}: ${settings.envName} stays in Altinity.Cloud: ${settings.readyStackName} is ${status}, not being deleted`);
    return undefined;
  }
  if (/ROLLBACK/.test(status)) {
    console.log(`${event.LogicalResourceId}: the stack rolls back, which waits for nothing`);
    return undefined;
  }
  return awaitReady({ slice, slices }, settings, await altinity(), aws);
}

/** What an event is for; `misnamed`, a slice of a stack named otherwise than the ready stack, only ever for its Delete. */
type Resource = 'access' | 'environment' | 'ready' | 'misnamed';

/** The failures of a request the function does not act on, whose Create therefore created nothing. */
const REFUSALS: string[] = [FAILURE.requestRefused, ENVIRONMENT_FAILURES.readyStackMisnamed];

/**
 * Acts only on an event for one of the resources the function serves, while CloudFormation reports
 * that resource in the matching `*_IN_PROGRESS` state (and, after its creation, with the physical id
 * the event names). Anyone may send the function an event; nobody but CloudFormation puts the
 * resource in that state. Inside that window an event of the same type passes: what it can do is
 * bounded by the settings, which name the only environment, key and parameters the function touches.
 */
async function verifyRequest(event: CloudEvent, settings: CloudFunctionSettings, cloudFormation: CloudFormationClient): Promise<Resource> {
  const refuse = (why: string): never => {
    console.error(`refused ${event.RequestType} request ${event.RequestId}: ${why}; nothing was changed`);
    throw new CodedFailure(FAILURE.requestRefused, `not sent by CloudFormation for a resource of this function: ${why}`);
  };
  if (!['Create', 'Update', 'Delete'].includes(event.RequestType)) refuse(`its request type is ${event.RequestType}`);
  const resource = resourceOf(event, settings) ?? refuse(`it names ${event.LogicalResourceId} of stack ${event.StackId}, which this function does not serve`);
  if (resource === 'misnamed') {
    if (event.RequestType === 'Delete') return resource;
    throw new CodedFailure(
      ENVIRONMENT_FAILURES.readyStackMisnamed,
      `${event.LogicalResourceId} belongs to stack ${stackNameOf(event.StackId)}, but the function of ${settings.envName} serves its ready stack only as ${settings.readyStackName}: delete this stack and create it as ${settings.readyStackName}.`,
    );
  }
  if (event.ResourceProperties?.EnvName !== settings.envName) refuse(`it is for environment ${event.ResourceProperties?.EnvName}, not ${settings.envName}`);
  const { StackResourceDetail: detail } = await cloudFormation.send(
    new DescribeStackResourceCommand({ StackName: event.StackId, LogicalResourceId: event.LogicalResourceId }),
  );
  const expected = `${event.RequestType.toUpperCase()}_IN_PROGRESS`;
  if (detail?.ResourceStatus !== expected) refuse(`CloudFormation reports ${event.LogicalResourceId} ${detail?.ResourceStatus ?? 'absent'}, not ${expected}`);
  if (detail?.ResourceType !== event.ResourceType)
    refuse(`CloudFormation knows ${event.LogicalResourceId} as a ${detail?.ResourceType}, not a ${event.ResourceType}`);
  const physicalId = physicalIdOf(event);
  if (event.RequestType !== 'Create' && detail?.PhysicalResourceId !== physicalId) {
    refuse(`CloudFormation knows ${event.LogicalResourceId} as ${detail?.PhysicalResourceId}, not ${physicalId}`);
  }
  return resource;
}

/**
 * Which resource the event is for: by its stack, logical id and type, all three as the stacks
 * declare them; `misnamed` for a slice of a stack in the account and region under another name.
 */
function resourceOf(event: CloudEvent, settings: CloudFunctionSettings): Resource | undefined {
  const { StackId: stackId, LogicalResourceId: logicalId, ResourceType: type } = event;
  if (stackId === settings.stackId) {
    if (logicalId === CLOUD_LOGICAL_IDS.access && type === CLOUD_RESOURCE_TYPES.access) return 'access';
    if (logicalId === CLOUD_LOGICAL_IDS.environment && type === CLOUD_RESOURCE_TYPES.environment) return 'environment';
    return undefined;
  }
  // The ready stack: named by the settings, in the cloud stack's partition, region and account.
  const stacksHere = `${settings.stackId.split(':').slice(0, 5).join(':')}:stack/`;
  if (typeof stackId !== 'string' || !stackId.startsWith(stacksHere) || !READY_SLICE_ID.test(logicalId) || type !== CLOUD_RESOURCE_TYPES.ready)
    return undefined;
  return stackNameOf(stackId) === settings.readyStackName ? 'ready' : 'misnamed';
}

function stackNameOf(stackId: string): string {
  return stackId.split(':stack/')[1]?.split('/')[0] ?? stackId;
}

async function stackStatus(stackId: string, cloudFormation: CloudFormationClient): Promise<string> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  return Stacks?.[0]?.StackStatus ?? 'unknown';
}

/**
 * Create names the resource (the access by its token parameter, the environment by its name, a slice
 * by its environment and logical id), or says that it created nothing; Update and Delete keep the id
 * CloudFormation sent, which the function never changes: a new one would make CloudFormation delete
 * the old.
 */
function physicalIdFor(event: CloudEvent, settings: CloudFunctionSettings | undefined, createdNothing: boolean): string {
  if (event.RequestType !== 'Create') return physicalIdOf(event) ?? nothingCreatedId(event);
  if (!settings || createdNothing) return nothingCreatedId(event);
  if (event.LogicalResourceId === CLOUD_LOGICAL_IDS.access) return settings.apiTokenParameter;
  if (event.LogicalResourceId === CLOUD_LOGICAL_IDS.environment) return settings.envName;
  return `${settings.envName}-${event.LogicalResourceId}`;
}

function nothingCreatedId(event: CloudEvent): string {
  return `${event.LogicalResourceId}-nothing-created`;
}
