/**
 * Readable logical ids of the stack's resources that code outside the stack's wiring names. (The
 * host's and the host group's are in names.ts, with the names the secret-store handler shares.)
 */

/** The hosts' role: the README documents its grants, and the status command's hints name it. */
export const HOST_ROLE_LOGICAL_ID = 'HostRole';

/** The hosts' instance profile, whose ARN the README's permission table names. */
export const HOST_INSTANCE_PROFILE_LOGICAL_ID = 'HostInstanceProfile';

/** The secret store's custom resource (its function acts for this resource only) and its key. */
export const SECRET_STORE_LOGICAL_IDS = { resource: 'ConnectSecrets', key: 'SecretsKey' } as const;
