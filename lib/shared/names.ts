/**
 * Names shared by the app entry, the stack, the CLIs and the tests, so that each is spelled once:
 * parameter and output keys, the SSM names of an environment's secrets, and the logical ids that
 * code outside the stack's wiring names. (What the secret-store handler also follows, the stack's
 * name and the tags, is in conventions.ts, which its bundle includes.)
 */

/** What Altinity accepts as an environment name: lowercase letters, digits and inner hyphens. */
export const ENV_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

export const ENV_NAME_DESCRIPTION = '1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen';

/** SSM parameter paths holding an environment's secrets; the stack owns and deletes both. */
export function secretParameterPrefix(envName: string): string {
  return `/altinity-connect/${envName}`;
}

export function tokenParameterName(envName: string): string {
  return `${secretParameterPrefix(envName)}/token`;
}

export function certificateParameterName(envName: string): string {
  return `${secretParameterPrefix(envName)}/certificate`;
}

/** The type of the custom resource that keeps the environment's secrets. */
export const SECRET_STORE_RESOURCE_TYPE = 'Custom::ConnectSecrets';

/**
 * The IAM path of the secret-store function's role: the policy of a token that `cdk deploy` staged
 * before the stack existed lets only roles on this path read it.
 */
export function secretStoreRolePath(envName: string): string {
  return `${secretParameterPrefix(envName)}/`;
}

/** Logical ids of the single host instance and of the group that holds several hosts. */
export const HOST_LOGICAL_ID = 'Host';
export const HOST_GROUP_LOGICAL_ID = 'HostGroup';

/** The template's parameter keys, each spelled once: the console form, the status command and the docs use them. */
export const PARAMETER_KEYS = {
  envName: 'EnvName',
  altinityUrl: 'AltinityCloudUrl',
  token: 'Token',
  existingCertificate: 'ExistingCertificateParameter',
  vpcId: 'VpcId',
  subnetIds: 'SubnetIds',
  assignPublicIp: 'AssignPublicIp',
  httpsProxy: 'HttpsProxy',
  noProxy: 'NoProxy',
  caCertificates: 'CaCertificates',
  hostAliases: 'HostAliases',
  replicas: 'Replicas',
  instanceType: 'InstanceType',
  amiParameter: 'AmiParameter',
  connectVersion: 'ConnectVersion',
  downloadUrl: 'ConnectDownloadUrl',
  connectSha256: 'ConnectSha256',
  connectionTimeout: 'ConnectionTimeout',
  permissionProfile: 'PermissionProfile',
  permissionsBoundary: 'PermissionsBoundaryArn',
  breakGlass: 'BreakGlass',
  breakGlassPrincipal: 'BreakGlassPrincipal',
  breakGlassExternalId: 'BreakGlassExternalId',
} as const;
export type ParameterName = keyof typeof PARAMETER_KEYS;

/** Output keys that the status command and the README rely on. */
export const OUTPUT_KEYS = {
  instanceId: 'InstanceId',
  instanceArn: 'InstanceArn',
  hostGroupName: 'HostGroupName',
  breakGlassRoleArn: 'BreakGlassRoleArn',
} as const;

/** The hosts' role: docs/permissions.md documents its grants, and the status command's hints name it. */
export const HOST_ROLE_LOGICAL_ID = 'HostRole';

/** The hosts' instance profile, whose ARN the permission table of docs/permissions.md names. */
export const HOST_INSTANCE_PROFILE_LOGICAL_ID = 'HostInstanceProfile';

/** The secret store's custom resource (its function acts for this resource only) and its key. */
export const SECRET_STORE_LOGICAL_IDS = { resource: 'ConnectSecrets', key: 'SecretsKey' } as const;
