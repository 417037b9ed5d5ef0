/**
 * The failures of calls to Altinity.Cloud's API, each with a stable code, as lib/shared/failures.ts
 * declares the secret-store function's: a reason reads `[code] what happened`, and what depends on a
 * failure keys on its code, never on its wording. Altinity's own texts end up in CloudFormation
 * reasons, hence `sanitized`.
 */

export const ALTINITY_API_FAILURES = {
  /** Altinity.Cloud refused the API token (HTTP 401, UNAUTHORIZED, `Invalid API token`): revoked or mistyped. */
  tokenRefused: 'altinity-token-refused',
  /** The token's account may not do this (FORBIDDEN). */
  forbidden: 'altinity-forbidden',
  /** The environment's name is taken, or the change collides with another (CONFLICT). */
  conflict: 'altinity-conflict',
  /** Deletion refused while the environment has ClickHouse or ZooKeeper clusters (CONFLICT naming forceDestroyClusters). */
  clustersExist: 'altinity-clusters-exist',
  /** The environment does not exist where a change needs it (NOT_FOUND). */
  notFound: 'altinity-not-found',
  /** Altinity.Cloud rejected the request, a validation error among others; its message says why. */
  rejected: 'altinity-rejected',
  /** No answer, or only "not now" ones (429, 5xx), after the retries a read gets: nothing was changed. */
  unreachable: 'altinity-unreachable',
  /** A change got no answer: it may or may not have been made, which only reading the environment tells. */
  outcomeUnknown: 'altinity-outcome-unknown',
  /** The answer is not what the API promises: not JSON, no data, not a certificate. */
  badAnswer: 'altinity-bad-answer',
  /** The certificate `/sign` issued is not for the environment, not for the key, or not valid now. */
  certificateInvalid: 'altinity-certificate-invalid',
} as const;

/**
 * The most UTF-8 bytes `sanitized` returns by default: a reason's share of a custom resource's
 * response, which CloudFormation takes up to 4,096 bytes.
 */
const MAX_REASON_BYTES = 1000;

/**
 * `text` fit for a CloudFormation reason: on one line, since a control character breaks the stack's
 * event listing (aws-cloudformation/cloudformation-coverage-roadmap#1601), and at most `maxBytes`
 * long in UTF-8, the limit's own measure, cut between characters.
 */
export function sanitized(text: string, maxBytes = MAX_REASON_BYTES): string {
  const line = text
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (Buffer.byteLength(line) <= maxBytes) return line;
  const ellipsis = '…';
  let kept = '';
  let bytes = Buffer.byteLength(ellipsis);
  for (const character of line) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    kept += character;
  }
  return `${kept}${ellipsis}`;
}
