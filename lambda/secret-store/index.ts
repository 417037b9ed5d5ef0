import { SSMClient } from '@aws-sdk/client-ssm';
import { ENV_TAG_KEY } from '../../lib/shared/names';
import { deleteParameters, parameterExists, putSecureString } from '../../lib/shared/secure-parameters';

/**
 * Custom resource that owns the environment's secret parameters: the connection token (written from
 * the NoEcho `Token` property, or already stored by `cdk deploy -c token=...`) and the certificate
 * the host stores after login. Every outcome, including a timeout, is reported to CloudFormation.
 */

export interface SecretStoreProperties {
  TokenParameterName: string;
  CertificateParameterName: string;
  EnvName: string;
  /** The token itself; absent when it was stored before the deployment, empty when a certificate is given instead. */
  Token?: string;
  /** Version of a token stored before the deployment; a new value makes CloudFormation send Update. */
  StoredTokenVersion?: string;
}

export interface SecretStoreEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: SecretStoreProperties & { ServiceToken: string };
}

export interface LambdaContext {
  logStreamName: string;
  getRemainingTimeInMillis(): number;
}

/** Reported time left before Lambda would kill the function, so that a slow call still gets an answer. */
const RESPONSE_MARGIN_MS = 5_000;

/** CloudFormation truncates nothing for us: a response body over 4 KiB is rejected. */
const MAX_REASON_LENGTH = 1_000;

const ssm = new SSMClient({ maxAttempts: 5 });

export async function handler(event: SecretStoreEvent, context: LambdaContext): Promise<void> {
  const props = event.ResourceProperties;
  console.log(
    JSON.stringify({
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      tokenParameter: props.TokenParameterName,
      certificateParameter: props.CertificateParameterName,
      tokenGiven: props.Token !== undefined && props.Token !== '',
    }),
  );
  let outcome: Outcome;
  try {
    await withDeadline(apply(event), context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
    outcome = { status: 'SUCCESS' };
  } catch (error) {
    const reason = withoutToken(`${describe(error)} (log stream ${context.logStreamName})`, props.Token);
    console.error(`FAILED: ${reason}`);
    outcome = { status: 'FAILED', reason };
  }
  await respond(event, outcome);
}

async function apply(event: SecretStoreEvent): Promise<void> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') {
    await deleteParameters(ssm, [props.TokenParameterName, props.CertificateParameterName]);
    return;
  }
  if (props.Token) {
    await putSecureString(ssm, props.TokenParameterName, props.Token, { [ENV_TAG_KEY]: props.EnvName });
    return;
  }
  // No token at all: the host uses an existing certificate, which the template's rule then requires.
  if (props.StoredTokenVersion === undefined) return;
  if (!(await parameterExists(ssm, props.TokenParameterName))) {
    throw new Error(
      `the connection token parameter ${props.TokenParameterName} does not exist: ` +
        'give the Token parameter, or deploy with cdk deploy -c token=... which stores it first',
    );
  }
}

type Outcome = { status: 'SUCCESS' } | { status: 'FAILED'; reason: string };

async function respond(event: SecretStoreEvent, outcome: Outcome): Promise<void> {
  const props = event.ResourceProperties;
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: outcome.status === 'FAILED' ? outcome.reason.slice(0, MAX_REASON_LENGTH) : 'OK',
    // The token parameter's name identifies the resource: renaming it (a new environment name)
    // makes CloudFormation delete the old parameters once the new ones exist.
    PhysicalResourceId: props.TokenParameterName || event.PhysicalResourceId || event.LogicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: {
      TokenParameterName: props.TokenParameterName,
      CertificateParameterName: props.CertificateParameterName,
    },
  });
  // The response URL is presigned without a content type: sending one would break the signature.
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '' },
  });
  if (!response.ok) {
    throw new Error(`CloudFormation rejected the response: HTTP ${response.status} ${await response.text()}`);
  }
}

function withDeadline<T>(work: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from SSM within ${Math.round(milliseconds / 1000)} s`)),
      Math.max(milliseconds, 0),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** An error message may echo a request's values, and the reason ends up in the stack's events and the logs. */
function withoutToken(text: string, token: string | undefined): string {
  return token ? text.replaceAll(token, '****') : text;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
