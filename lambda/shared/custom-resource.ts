import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CodedFailure, FUNCTION_FAILURES } from '../../lib/shared/failures';

/**
 * What every custom-resource function of the stacks does around its work: answer CloudFormation
 * exactly once, in time, with a reason that holds no secret. Anyone who may invoke a function can
 * send it an event, so nothing here trusts one: the functions verify it before acting.
 */

/** Reported time left before Lambda would kill the function, so that a slow call still gets an answer. */
export const RESPONSE_MARGIN_MS = 5_000;
const RESPONSE_ATTEMPTS = 3;
/** CloudFormation rejects a response body over 4 KiB; the reason gets a quarter of it. */
const MAX_REASON_CHARACTERS = 1000;

/** Secret values an invocation handled, masked in every reason it reports. */
export class Masker {
  private readonly values = new Set<string>();

  add(value: unknown): void {
    if (typeof value === 'string' && value !== '') this.values.add(value);
  }

  mask(text: string): string {
    return [...this.values].reduce((masked, value) => masked.replaceAll(value, '****'), text);
  }
}

export function physicalIdOf(event: CloudFormationCustomResourceEvent<object> | undefined): string | undefined {
  return event && 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined;
}

/** Answers CloudFormation; a few tries, and never throws, so that Lambda does not run the event again. */
export async function respond(
  event: CloudFormationCustomResourceEvent<object>,
  physicalId: string,
  reason: string | undefined,
  data: object | undefined,
): Promise<void> {
  const body = JSON.stringify({
    Status: reason === undefined ? 'SUCCESS' : 'FAILED',
    Reason: reason?.slice(0, MAX_REASON_CHARACTERS) ?? 'OK',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  for (let attempt = 1; attempt <= RESPONSE_ATTEMPTS; attempt++) {
    try {
      // The response URL is presigned without a content type: sending one would break the signature.
      const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (response.ok) return;
      console.error(`response refused (attempt ${attempt}): HTTP ${response.status} ${await response.text()}`);
    } catch (error) {
      console.error(`cannot reach the response URL (attempt ${attempt}): ${reasonOf(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
  console.error('gave up answering: the resource fails at its service timeout');
}

export function withDeadline<T>(work: Promise<T>, milliseconds: number, what = 'no answer from AWS'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(milliseconds / 1000)} s`)), Math.max(milliseconds, 0));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The reason for an error: a coded failure as `[code] message`, anything else as AWS's error under `aws-error`. */
export function reasonOf(error: unknown): string {
  if (error instanceof CodedFailure) return error.reason;
  const text = error instanceof Error && error.name !== 'Error' ? `${error.name}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return `[${FUNCTION_FAILURES.awsError}] ${text}`;
}
