import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CodedFailure, FUNCTION_FAILURES as FAILURE } from '../../lib/shared/failures';
import { OWNER_TAG_KEY, stackNameFor } from '../../lib/shared/conventions';
import { type SecretStoreData, type SecretStoreProperties, type SecretStoreSettings, settingsFromEnvironment } from '../../lib/shared/secret-store-contract';
import { Masker, physicalIdOf, RESPONSE_MARGIN_MS, reasonOf, respond, withDeadline } from '../shared/custom-resource';
import {
  claim,
  deleteOwned,
  ensureOwned,
  ownedByAnother,
  type SecretClients,
  stackExists,
  stagedTokenValue,
  store,
  sweepStagedTokens as sweep,
} from '../shared/owned-secrets';
import { deleteParameter, factsOf, tagsOf } from '../shared/parameters';

/**
 * Custom resource that owns the environment's secret parameters: the connection token (from the
 * NoEcho `Token` property, or from where `cdk deploy` staged it) and the certificate the hosts store
 * after login. It acts only on requests CloudFormation really sent for its own stack and resource,
 * and takes everything else (names, key, stack) from the settings its stack gave it. Both parameters
 * are encrypted with the stack's own key and tagged with the id of the stack that owns them; it
 * touches no parameter another live stack owns. Every event, a refused one included, gets an answer.
 */

/** What CloudFormation sends; anyone who may invoke the function can send the same, hence the checks. */
export type SecretStoreEvent = CloudFormationCustomResourceEvent<Partial<SecretStoreProperties>>;
type Event = SecretStoreEvent;

/** The AWS clients the function uses. */
export type Clients = SecretClients;

/**
 * `false` in the build the console's template inlines, whose token always comes as a parameter: the
 * code for tokens `cdk deploy` staged is left out of it (bundleHandler's `defines`). Run from source,
 * as the tests run it, the function handles both.
 */
declare const STAGED_TOKENS: boolean;

const clients: Clients = {
  ssm: new SSMClient({ maxAttempts: 5 }),
  secrets: new SecretsManagerClient({ maxAttempts: 5 }),
  cloudFormation: new CloudFormationClient({ maxAttempts: 5 }),
};

export async function handler(event: Event, context: Pick<Context, 'logStreamName' | 'getRemainingTimeInMillis'>): Promise<void> {
  const properties: Partial<SecretStoreProperties> = event?.ResourceProperties ?? {};
  console.log(
    JSON.stringify({
      type: event?.RequestType,
      requestId: event?.RequestId,
      stack: event?.StackId,
      resource: event?.LogicalResourceId,
      physicalId: physicalIdOf(event),
      staged: properties.StagedToken,
    }),
  );
  if (typeof event?.ResponseURL !== 'string') return console.error('FAILED: no ResponseURL to answer');
  const secrets = new Masker();
  secrets.add(properties.Token);
  let settings: SecretStoreSettings | undefined;
  let reason: string | undefined;
  try {
    settings = settingsFromEnvironment(process.env);
    const work = act(event, settings, clients, secrets);
    await withDeadline(work, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
  } catch (error) {
    reason = secrets.mask(`${reasonOf(error)} (log stream ${context.logStreamName})`);
    console.error(`FAILED: ${reason}`);
  }
  // Create names the resource by its token parameter; Update and Delete keep the id CloudFormation sent.
  const physicalId = (event.RequestType === 'Create' ? settings?.tokenParameter : physicalIdOf(event)) || `${event.LogicalResourceId}-invalid`;
  const data: SecretStoreData | undefined = settings && {
    TokenParameterName: settings.tokenParameter,
    CertificateParameterName: settings.certificateParameter,
  };
  await respond(event, physicalId, reason, data);
}

/** Verifies the request, then carries it out. */
export async function act(event: Event, settings: SecretStoreSettings, aws: Clients, secrets: Masker): Promise<void> {
  await verifyRequest(event, settings, aws.cloudFormation);
  const properties = event.ResourceProperties;
  switch (event.RequestType) {
    case 'Create':
      return create(properties, settings, aws, secrets);
    case 'Update':
      return update(event.PhysicalResourceId, properties, event.OldResourceProperties, settings, aws, secrets);
    case 'Delete':
      return remove(event.PhysicalResourceId, settings, aws);
  }
}

/**
 * Acts only on an event for this function's own stack and resource, while CloudFormation reports that
 * resource in the matching `*_IN_PROGRESS` state (and, after its creation, with the physical id the
 * event names). Anyone may send the function an event; nobody but CloudFormation puts the resource
 * in that state. Inside that window an event of the same type passes: what it can do is bounded by
 * the settings, which name the only key and parameters the function ever writes.
 */
async function verifyRequest(event: Event, settings: SecretStoreSettings, cloudFormation: CloudFormationClient): Promise<void> {
  const refuse = (why: string) => {
    console.error(`refused ${event.RequestType} request ${event.RequestId}: ${why}; nothing was changed`);
    throw new CodedFailure(FAILURE.requestRefused, `not sent by CloudFormation for this resource: ${why}`);
  };
  if (event.StackId !== settings.stackId) refuse(`it names stack ${event.StackId}, not ${settings.stackId}`);
  if (event.LogicalResourceId !== settings.resourceId) refuse(`it names resource ${event.LogicalResourceId}, not ${settings.resourceId}`);
  if (!['Create', 'Update', 'Delete'].includes(event.RequestType)) refuse(`its request type is ${event.RequestType}`);
  const { StackResourceDetail: resource } = await cloudFormation.send(
    new DescribeStackResourceCommand({ StackName: settings.stackId, LogicalResourceId: settings.resourceId }),
  );
  const expected = `${event.RequestType.toUpperCase()}_IN_PROGRESS`;
  if (resource?.ResourceStatus !== expected) refuse(`CloudFormation reports ${settings.resourceId} ${resource?.ResourceStatus ?? 'absent'}, not ${expected}`);
  const physicalId = physicalIdOf(event);
  if (event.RequestType !== 'Create' && resource?.PhysicalResourceId !== physicalId) {
    refuse(`CloudFormation knows ${settings.resourceId} as ${resource?.PhysicalResourceId}, not ${physicalId}`);
  }
}

async function create(properties: Partial<SecretStoreProperties>, settings: SecretStoreSettings, aws: Clients, secrets: Masker): Promise<void> {
  const existing = settings.existingCertificateParameter;
  if (
    existing &&
    (existing === settings.tokenParameter || existing === settings.certificateParameter || existing.startsWith(`${parentOf(settings.tokenParameter)}/`))
  ) {
    throw new CodedFailure(
      FAILURE.existingCertificateInStackPath,
      `ExistingCertificateParameter ${existing} is below ${parentOf(settings.tokenParameter)}/, where the stack keeps its own: copy it elsewhere and name the copy.`,
    );
  }
  const token = await tokenOf(properties, undefined, settings, aws, secrets);
  if (token) await claim(settings.tokenParameter, token, settings, aws);
  await settleCertificateAtCreate(settings, aws);
  await sweepStagedTokens(settings, aws);
}

async function update(
  physicalId: string,
  properties: Partial<SecretStoreProperties>,
  old: Partial<SecretStoreProperties> | undefined,
  settings: SecretStoreSettings,
  aws: Clients,
  secrets: Masker,
): Promise<void> {
  if (physicalId !== settings.tokenParameter) {
    // The function's settings name another environment than the resource's parameters do: the stack's
    // EnvName is changing. CloudFormation updates the function before the resource and, rolling back,
    // the resource before the function.
    if (properties.EnvName === settings.envName) {
      throw new CodedFailure(
        FAILURE.environmentRenamed,
        `EnvName cannot change on an existing stack (${old?.EnvName} to ${properties.EnvName}): create a stack for ${properties.EnvName} (${stackNameFor(properties.EnvName ?? '')}) and delete this one.`,
      );
    }
    return console.log(`rolling back the refused change of EnvName to ${settings.envName}: nothing to undo`);
  }
  await ensureOwned(settings.tokenParameter, settings, aws);
  const token = await tokenOf(properties, settings.tokenParameter, settings, aws, secrets);
  if (token) await store(settings.tokenParameter, token, settings, aws);
  await settleCertificateAtUpdate(settings, aws);
  await sweepStagedTokens(settings, aws);
}

async function remove(physicalId: string, settings: SecretStoreSettings, aws: Clients): Promise<void> {
  if (physicalId !== settings.tokenParameter) return console.log(`nothing deleted: this function did not create ${physicalId}`);
  await deleteOwned([settings.tokenParameter, settings.certificateParameter], settings, aws);
  // A stack refused as the environment's second must not sweep the first one's staged tokens.
  const owner = (await tagsOf(aws.ssm, settings.tokenParameter))?.[OWNER_TAG_KEY];
  if (owner && owner !== settings.stackId && (await stackExists(aws.cloudFormation, owner))) return;
  await sweepStagedTokens(settings, aws);
}

/** The token the event asks for: given as `Token`, or staged by `cdk deploy` under `StagedToken`. */
async function tokenOf(
  properties: Partial<SecretStoreProperties>,
  current: string | undefined,
  settings: SecretStoreSettings,
  aws: Clients,
  secrets: Masker,
): Promise<string | undefined> {
  // A condition the console's build folds to false, so that esbuild leaves the staged-token code out.
  if ((typeof STAGED_TOKENS === 'undefined' || STAGED_TOKENS) && properties.StagedToken) {
    const staged = { name: properties.StagedToken, prefix: settings.stagedTokenPrefix, stageAgain: 'ALTINITY_CONNECT_TOKEN=... npx cdk deploy -c env=...' };
    return stagedTokenValue(staged, current, aws, secrets);
  }
  return properties.Token || undefined;
}

/**
 * Deletes every token staged for the environment: the one just taken, and any that a `cdk synth`,
 * `cdk diff` or declined deployment left.
 */
async function sweepStagedTokens(settings: SecretStoreSettings, aws: Clients): Promise<void> {
  if (typeof STAGED_TOKENS === 'undefined' || STAGED_TOKENS) await sweep(settings.stagedTokenPrefix, aws);
}

/**
 * The certificate at Create: this stack's own (an earlier try of this Create) stays; one left by a
 * deleted stack of this environment is deleted, since the new stack's hosts log in with its own token;
 * one that no stack owns may be the customer's, so it is never deleted: the Create is refused.
 */
async function settleCertificateAtCreate(settings: SecretStoreSettings, aws: Clients): Promise<void> {
  const name = settings.certificateParameter;
  const tags = await tagsOf(aws.ssm, name);
  if (tags === undefined || tags[OWNER_TAG_KEY] === settings.stackId) return;
  const owner = tags[OWNER_TAG_KEY];
  if (!owner) {
    throw new CodedFailure(
      FAILURE.certificateNotOwned,
      `${name} exists and no stack owns it, so it was left alone: move it out of ${parentOf(name)}/ (and name it in ExistingCertificateParameter) or delete it.`,
    );
  }
  if (await stackExists(aws.cloudFormation, owner)) throw ownedByAnother(name, owner);
  await deleteParameter(aws.ssm, name);
}

/**
 * The certificate on Update: kept only when this stack wrote it, a SecureString under the stack's key
 * tagged as the stack's (the hosts check the same). Anyone who may merely write parameters can put
 * any other value there, under the owner tag even, since tags outlive an overwrite; so anything else
 * is deleted, never re-encrypted under the stack's key: the running hosts keep the certificate they
 * have, and the next new host logs in with the stored token. That includes a certificate that
 * version 0.1.0 left under aws/ssm, which nothing tells from a planted one.
 */
async function settleCertificateAtUpdate(settings: SecretStoreSettings, aws: Clients): Promise<void> {
  const name = settings.certificateParameter;
  const tags = await tagsOf(aws.ssm, name);
  if (tags === undefined) return;
  const owner = tags[OWNER_TAG_KEY];
  if (owner && owner !== settings.stackId && (await stackExists(aws.cloudFormation, owner))) throw ownedByAnother(name, owner);
  const facts = await factsOf(aws.ssm, name);
  if (owner === settings.stackId && facts?.type === 'SecureString' && facts.keyId === settings.keyArn) return;
  await deleteParameter(aws.ssm, name);
  console.log(
    `deleted ${name}: not written by this stack (${facts?.type ?? 'no type'} under ${facts?.keyId ?? 'no key'}, owned by ${owner || 'no stack'}); the next new host logs in with the token`,
  );
}

function parentOf(name: string): string {
  return name.slice(0, name.lastIndexOf('/'));
}
