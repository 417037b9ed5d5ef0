/**
 * Every failure the hosts and the secret-store function report carries a stable code, declared here
 * once: the reason reads `[code] what happened`, the status command's hints are keyed on the code,
 * and the bootstrap script receives the host's codes through its settings. Rewording a message
 * changes nothing that depends on it.
 */

/** Failures of the secret-store function, reported to CloudFormation as the custom resource's reason. */
export const FUNCTION_FAILURES = {
  /** The event is not one CloudFormation sent for this stack's resource. */
  requestRefused: 'request-refused',
  /** The function's environment lacks a setting its stack gives it. */
  functionMisconfigured: 'function-misconfigured',
  /** Another live stack owns the environment's parameters. */
  ownedByAnotherStack: 'secrets-owned-by-another-stack',
  /** An update tried to change the environment of a stack. */
  environmentRenamed: 'environment-renamed',
  /** The token `cdk deploy` staged is gone. */
  stagedTokenMissing: 'staged-token-missing',
  /** The staged copy does not hold the token its name is the digest of. */
  stagedTokenMismatch: 'staged-token-mismatch',
  /** ExistingCertificateParameter names a parameter below the stack's own path. */
  existingCertificateInStackPath: 'existing-certificate-in-stack-path',
  /** A parameter that no stack owns sits where the new stack keeps its certificate. */
  certificateNotOwned: 'certificate-not-owned',
  /** AWS refused or failed a call; the reason carries AWS's own error. */
  awsError: 'aws-error',
} as const;

export type FunctionFailure = (typeof FUNCTION_FAILURES)[keyof typeof FUNCTION_FAILURES];

/** A failure with its code; `message` says what happened and what to do. */
export class CodedFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CodedFailure';
  }

  /** The reason as reported: `[code] message`. */
  get reason(): string {
    return `[${this.code}] ${this.message}`;
  }
}

/** The code a reported reason starts with, if any. */
export function codeOf(reason: string): string | undefined {
  return /^\[([a-z0-9-]+)\] /.exec(reason)?.[1];
}
