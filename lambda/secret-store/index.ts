import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AddTagsToResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { certificateParameterName, ENV_TAG_KEY, OWNER_TAG_KEY, stackNameFor, stagedTokenPath, tokenParameterName } from '../../lib/shared/names';
import { deleteParameter, namesBelow, putSecureString, readParameter, tagsOf } from '../../lib/shared/secure-parameters';

/**
 * Custom resource that owns the environment's secret parameters: the connection token (written from
 * the NoEcho `Token` property, or moved from where `cdk deploy -c token=...` staged it) and the
 * certificate the host stores after login. Both are encrypted with the stack's own KMS key and tagged
 * with the id of the stack that owns them; the handler touches no parameter another live stack owns.
 * Every event, a malformed one included, gets an answer.
 */

export interface SecretStoreProperties {
  EnvName: string;
  /** The stack's KMS key, which encrypts both parameters. */
  KeyId: string;
  /** The token itself; absent when it was staged, empty when a certificate is given instead. */
  Token?: string;
  /** Where `cdk deploy -c token=...` staged the token; a new name each deployment. */
  StagedTokenParameter?: string;
}

export interface SecretStoreEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: SecretStoreProperties & { ServiceToken: string };
  OldResourceProperties?: SecretStoreProperties;
}

export interface LambdaContext {
  logStreamName: string;
  getRemainingTimeInMillis(): number;
}

/** Reported time left before Lambda would kill the function, so that a slow call still gets an answer. */
const RESPONSE_MARGIN_MS = 5_000;
const RESPONSE_ATTEMPTS = 3;

const ssm = new SSMClient({ maxAttempts: 5 });
const cloudFormation = new CloudFormationClient({ maxAttempts: 5 });
/** Token values this invocation handled, masked in every reason it reports. */
const secrets = new Set<string>();

export async function handler(event: SecretStoreEvent, context: LambdaContext): Promise<void> {
  const props: Partial<SecretStoreProperties> = event?.ResourceProperties ?? {};
  console.log(JSON.stringify({ type: event?.RequestType, physicalId: event?.PhysicalResourceId, env: props.EnvName, staged: props.StagedTokenParameter }));
  if (typeof event?.ResponseURL !== 'string') return console.error('FAILED: the event has no ResponseURL, so CloudFormation cannot be answered');
  secrets.clear();
  if (props.Token) secrets.add(props.Token);
  const envName = props.EnvName ?? '';
  const names = [tokenParameterName(envName), certificateParameterName(envName)];
  let reason: string | undefined;
  try {
    const missing = ['RequestType', 'StackId', 'RequestId', 'LogicalResourceId'].filter((key) => !event[key as keyof SecretStoreEvent]);
    if (!props.EnvName || !props.KeyId) missing.push('ResourceProperties.EnvName and KeyId');
    if (missing.length > 0) {
      // A Delete that fails keeps the stack from being deleted: one this function cannot read deletes nothing.
      if (event.RequestType !== 'Delete') throw new Error(`malformed event: no ${missing.join(', ')}`);
    } else {
      await withDeadline(apply(event, names), context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
    }
  } catch (error) {
    reason = [...secrets].reduce((text, secret) => text.replaceAll(secret, '****'), `${describe(error)} (log stream ${context.logStreamName})`);
    console.error(`FAILED: ${reason}`);
  }
  // Create names the resource by its token parameter; Update and Delete keep the id CloudFormation sent.
  const physicalId = (event.RequestType === 'Create' ? props.EnvName && names[0] : event.PhysicalResourceId) || `${event.LogicalResourceId}-invalid`;
  await respond(event, physicalId, reason);
}

async function apply(event: SecretStoreEvent, names: string[]): Promise<void> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') {
    if (event.PhysicalResourceId !== names[0]) return console.log(`nothing deleted: ${event.PhysicalResourceId} is not what this function created`);
    for (const name of names) if ((await tagsOf(ssm, name))?.[OWNER_TAG_KEY] === event.StackId) await deleteParameter(ssm, name);
    return sweepStagedTokens(props.EnvName);
  }
  const old = event.OldResourceProperties;
  if (event.RequestType === 'Update' && old?.EnvName !== props.EnvName) {
    throw new Error(
      `EnvName cannot change on an existing stack (${old?.EnvName} to ${props.EnvName}): its token and certificate belong to ${old?.EnvName}. ` +
        `Create a stack for ${props.EnvName} (${stackNameFor(props.EnvName)}) and delete this one.`,
    );
  }
  for (const name of names) await takeOwnership(name, event, name === names[1]);
  const keyChanged = event.RequestType === 'Update' && old?.KeyId !== props.KeyId;
  let token = props.Token || undefined;
  const staged = props.StagedTokenParameter;
  if (staged) {
    token = (await readParameter(ssm, staged))?.value;
    if (token) secrets.add(token);
    else if (!(event.RequestType === 'Update' && (await readParameter(ssm, names[0])))) {
      throw new Error(`the staged token ${staged} does not exist: it expires an hour after cdk deploy stages it. Run cdk deploy again with the token.`);
    }
  }
  // Each parameter is written only when its value or its key changes.
  for (const [name, value] of [[names[0], token], [names[1], undefined]] as const) {
    const current = await readParameter(ssm, name);
    const next = value ?? (keyChanged ? current?.value : undefined);
    if (next !== undefined && (keyChanged || current?.value !== next)) {
      await putSecureString(ssm, {
        name,
        value: next,
        description: `altinity-connect secret of stack ${event.StackId}`,
        keyId: props.KeyId,
        tags: { [ENV_TAG_KEY]: props.EnvName, [OWNER_TAG_KEY]: event.StackId },
        // As the host writes the certificate: a long value needs the Advanced tier.
        tier: 'Intelligent-Tiering',
      });
    }
  }
  await sweepStagedTokens(props.EnvName);
}

/**
 * Deletes every token staged for the environment: the one just moved, and any a deployment left
 * (cdk deploy runs the app twice when it looks the default VPC up; a declined deployment stages one
 * that no stack takes). Expiration policies delete the rest within the hour.
 */
async function sweepStagedTokens(envName: string): Promise<void> {
  for (const name of await namesBelow(ssm, stagedTokenPath(envName))) await deleteParameter(ssm, name);
}

/**
 * Makes `name` this stack's: refuses a parameter that another stack which still exists owns; takes
 * over one left by a deleted stack or written before owners were recorded. On Create, a certificate
 * left behind is deleted: the new stack's hosts log in with its own token.
 */
async function takeOwnership(name: string, event: SecretStoreEvent, isCertificate: boolean): Promise<void> {
  const owner = await tagsOf(ssm, name).then((tags) => (tags ? (tags[OWNER_TAG_KEY] ?? '') : undefined));
  if (owner === undefined || owner === event.StackId) return;
  if (owner && (await stackExists(owner))) {
    throw new Error(`${name} belongs to stack ${owner.split('/')[1]} (${owner}), which still exists: one environment has one stack per region. Update or delete that stack instead.`);
  }
  if (event.RequestType === 'Create' && isCertificate) return deleteParameter(ssm, name);
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags: [{ Key: OWNER_TAG_KEY, Value: event.StackId }] }));
}

async function stackExists(stackId: string): Promise<boolean> {
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
    return Stacks?.some((stack) => stack.StackStatus !== 'DELETE_COMPLETE') ?? false;
  } catch (error) {
    if (/does not exist/.test(String(error))) return false;
    throw error;
  }
}

/** Answers CloudFormation; a few tries, and never throws, so that Lambda does not run the event again. */
async function respond(event: SecretStoreEvent, physicalId: string, reason: string | undefined): Promise<void> {
  const envName = event.ResourceProperties?.EnvName ?? '';
  const body = JSON.stringify({
    Status: reason === undefined ? 'SUCCESS' : 'FAILED',
    // CloudFormation rejects a response body over 4 KiB.
    Reason: reason?.slice(0, 1000) ?? 'OK',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: { TokenParameterName: tokenParameterName(envName), CertificateParameterName: certificateParameterName(envName) },
  });
  for (let attempt = 1; attempt <= RESPONSE_ATTEMPTS; attempt++) {
    try {
      // The response URL is presigned without a content type: sending one would break the signature.
      const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (response.ok) return;
      console.error(`CloudFormation rejected the response (attempt ${attempt}): HTTP ${response.status} ${await response.text()}`);
    } catch (error) {
      console.error(`cannot reach CloudFormation's response URL (attempt ${attempt}): ${describe(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
  console.error('gave up answering CloudFormation: the resource fails when its service timeout passes');
}

function withDeadline<T>(work: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from AWS within ${Math.round(milliseconds / 1000)} s`)), Math.max(milliseconds, 0));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  return error instanceof Error && error.name !== 'Error' ? `${error.name}: ${error.message}` : error instanceof Error ? error.message : String(error);
}
