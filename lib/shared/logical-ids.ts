/**
 * Readable logical ids of the stack's resources that code outside the stack's wiring names. (The
 * host's and the host group's are in names.ts, with the names the secret-store handler shares.)
 */

/** The hosts' role: the README documents its grants, and the status command's hints name it. */
export const HOST_ROLE_LOGICAL_ID = 'HostRole';

/** The stack's KMS key, which the hosts' user data names (`${SecretsKey.Arn}`). */
export const SECRETS_KEY_LOGICAL_ID = 'SecretsKey';
