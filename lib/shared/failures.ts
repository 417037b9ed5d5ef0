/**
 * Every failure the hosts and the secret-store function report carries a stable code, declared here
 * once: the reason reads `[code] what happened`, and the status command's hints are keyed on the
 * code. The bootstrap script writes its codes as `fail <code> ...` (test/status/failure-codes.test.ts
 * holds every one of them, and every code the function throws, to these lists). Rewording a message
 * changes nothing that depends on it.
 */

/**
 * Failures of a host's bootstrap, signalled to CloudFormation in the signal's unique id (64
 * characters, so the codes are short) and written to the console.
 */
export const HOST_FAILURES = {
  /** A command failed where the script expected none: a defect, the console names the line. */
  unexpected: 'unexpected',
  /** The instance metadata service did not answer. */
  noMetadata: 'no-metadata',
  /** CaCertificates holds no certificate the host can install. */
  caInvalid: 'ca-invalid',
  /** A server's TLS certificate is signed by no CA the host trusts. */
  untrustedTls: 'untrusted-tls',
  /** An endpoint the host needs is unreachable. */
  noNetwork: 'no-network',
  /** The AWS CLI could not be installed. */
  noAwsCli: 'no-aws-cli',
  /** No release of altinitycloud-connect exists for the host's architecture. */
  unsupportedArch: 'unsupported-arch',
  /** The release could not be downloaded. */
  downloadFailed: 'download-failed',
  /** The release downloaded does not have ConnectSha256. */
  checksumMismatch: 'checksum-mismatch',
  /** The token parameter does not exist. */
  tokenMissing: 'token-missing',
  /** The token or certificate parameter is not a SecureString the stack wrote. */
  notStackOwned: 'not-stack-owned',
  /** SSM or its KMS key refused to read or write a parameter. */
  ssmDenied: 'ssm-denied',
  /** `altinitycloud-connect login` failed, or wrote no certificate. */
  loginFailed: 'login-failed',
  /** ExistingCertificateParameter names no parameter. */
  certNotFound: 'cert-not-found',
  /** Another host claimed the login and stored no certificate in time. */
  claimStuck: 'claim-stuck',
  /** The altinitycloud-connect service or the watch timer did not start or stay up. */
  serviceFailed: 'service-failed',
  /** Altinity.Cloud did not see the environment connected within ConnectionTimeout. */
  notConnected: 'not-connected',
  /** The whole bootstrap did not finish within its deadline. */
  deadline: 'deadline',
} as const;

export type HostFailure = (typeof HOST_FAILURES)[keyof typeof HOST_FAILURES];

/** Failures of the functions (the secret store, and the one that calls Altinity.Cloud), reported to CloudFormation as a custom resource's reason. */
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

/**
 * Failures of the function that calls Altinity.Cloud, besides the ones it shares with the secret
 * store (FUNCTION_FAILURES). Declared apart so that the secret store's inlined bundle, which esbuild
 * leaves them out of, does not carry them.
 */
export const ENVIRONMENT_FAILURES = {
  /** The cloud stack has no Altinity.Cloud API token: none stored, none given. */
  apiTokenMissing: 'api-token-missing',
  /** The stored API token was given for another Altinity.Cloud URL than the function's, and no new token came for it. */
  apiUrlChanged: 'api-url-changed-without-token',
  /** The environment's specification is not one the stacks accept; the reason names each field. */
  specInvalid: 'environment-spec-invalid',
  /** An update changes a field fixed when the environment was created; nothing was sent to Altinity.Cloud. */
  immutableChange: 'environment-field-fixed',
  /** An environment of the name exists in Altinity.Cloud for another AWS account or region. */
  environmentElsewhere: 'environment-elsewhere',
  /** Altinity.Cloud reports an error on the environment; the reason carries its code and message. */
  environmentFailed: 'environment-failed',
  /** The environment did not apply its specification within the ready stack's wait. */
  environmentNotReady: 'environment-not-ready',
  /** Altinity.Cloud asked for MFA confirmation of the deletion, and none came. */
  deletionUnconfirmed: 'environment-deletion-unconfirmed',
  /** Deprovisioning goes on after the ready stack's wait. */
  stillDeprovisioning: 'environment-still-deprovisioning',
  /** A ready stack of the environment is not named as the cloud stack expects it, so the function cannot tell it from a stranger's. */
  readyStackMisnamed: 'ready-stack-misnamed',
} as const;

export type EnvironmentFailure = (typeof ENVIRONMENT_FAILURES)[keyof typeof ENVIRONMENT_FAILURES];

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

/**
 * The code of a reported reason: at its start (a host's signal, the function's own reason) or where
 * CloudFormation quotes a custom resource's reason (`... Message returned: [code] ...`).
 */
export function codeOf(reason: string): string | undefined {
  return /(?:^|Message returned: )\[([a-z0-9-]+)\] /.exec(reason)?.[1];
}
