import { createHash } from 'node:crypto';
import type { ConsoleEnvironmentValues } from './console-environment';
import { cloudStackNameFor } from './conventions';
import { settingsFrom } from './secret-store-contract';

/**
 * What the cloud stack (`cloudStackNameFor`), the ready stack (`readyStackNameFor`) and the function
 * that calls Altinity.Cloud's API agree on: the function's settings, which only the cloud stack can
 * change and which the function trusts; the custom resources' types, ids and properties, which anyone
 * who may invoke the function could forge, so that the function takes from them only what it cannot
 * know otherwise; and what the resources return.
 */

/** The function's settings, by what they mean. */
export interface CloudFunctionSettings {
  /** The cloud stack: the function serves its access and environment resources. */
  readonly stackId: string;
  /** The ready stack's name: the function serves its slices too, whatever that stack's id. */
  readonly readyStackName: string;
  readonly envName: string;
  /** The cloud stack's KMS key, which encrypts the API token and the certificate. */
  readonly keyArn: string;
  readonly apiTokenParameter: string;
  readonly certificateParameter: string;
  /** Secrets Manager names of the API tokens `cdk deploy` staged start with this; empty when the token is a parameter. */
  readonly stagedTokenPrefix: string;
  /** Altinity.Cloud's API. */
  readonly apiUrl: string;
}

/** The cloud stack's parameter that carries the API token when the app did not stage it (the console's template, or an update that keeps the token). */
export const API_TOKEN_PARAMETER = 'ApiToken';

/** The environment variable that carries each setting. */
export const CLOUD_FUNCTION_VARIABLES: { readonly [Setting in keyof CloudFunctionSettings]: string } = {
  stackId: 'STACK_ID',
  readyStackName: 'READY_STACK_NAME',
  envName: 'ENV_NAME',
  keyArn: 'KEY_ARN',
  apiTokenParameter: 'API_TOKEN_PARAMETER',
  certificateParameter: 'CERTIFICATE_PARAMETER',
  stagedTokenPrefix: 'STAGED_TOKEN_PREFIX',
  apiUrl: 'ALTINITY_API_URL',
};

export function cloudSettingsFromEnvironment(environment: Record<string, string | undefined>): CloudFunctionSettings {
  return settingsFrom<CloudFunctionSettings>(CLOUD_FUNCTION_VARIABLES, new Set(['stagedTokenPrefix']), environment);
}

/** The custom resources' types, one per concern. */
export const CLOUD_RESOURCE_TYPES = {
  /** The API token, kept under the cloud stack's key, and the certificate signed with it. */
  access: 'Custom::AltinityCloudAccess',
  /** The environment's specification in Altinity.Cloud. */
  environment: 'Custom::AltinityEnvironment',
  /** One slice of the wait until the environment is ready, or of its deletion. */
  ready: 'Custom::AltinityEnvironmentReady',
} as const;

/** Logical ids in the cloud stack, on which the function checks what CloudFormation says. */
export const CLOUD_LOGICAL_IDS = { access: 'CloudAccess', environment: 'Environment', key: 'CloudKey', function: 'CloudFunction' } as const;

/** The ready stack's slices: `Ready01`, `Ready02`, ... in the order CloudFormation creates them. */
export function readySliceId(slice: number): string {
  return `Ready${String(slice).padStart(2, '0')}`;
}

export const READY_SLICE_ID = /^Ready(\d{2})$/;

export interface AccessProperties {
  readonly EnvName: string;
  readonly KeyArn: string;
  /** Altinity.Cloud's API, as the function's settings name it: a change makes the resource update, which binds a new token to it. */
  readonly ApiUrl: string;
  /** The API token itself (a NoEcho parameter); empty to keep the stored one. */
  readonly Token?: string;
  /** Where `cdk deploy` staged it instead. */
  readonly StagedToken?: string;
}

export interface AccessData {
  readonly ApiTokenParameterName: string;
  readonly CertificateParameterName: string;
}

export interface EnvironmentProperties {
  readonly EnvName: string;
  /** The environment file's content, validated by the app, as JSON; the function validates it again. */
  readonly Spec: string;
  /** The console template's common fields, set in `Spec` by the function (console-environment.ts); the app's stacks have none. */
  readonly Fields?: ConsoleEnvironmentValues;
}

export interface EnvironmentData {
  /** The revision Altinity.Cloud gave the specification this request set. */
  readonly SpecRevision: string;
}

/** What deleting the ready stack does to the environment in Altinity.Cloud. */
export const ON_STACK_DELETE = {
  /** Nothing: the environment stays, and the stack's deletion says so and how to delete it. */
  keep: 'keep',
  /** Altinity deprovisions it through the hosts; refused while it has ClickHouse clusters. */
  delete: 'delete',
  /** The same, destroying its ClickHouse clusters and their data too. */
  deleteWithClusters: 'delete-with-clusters',
} as const;
export type OnStackDelete = (typeof ON_STACK_DELETE)[keyof typeof ON_STACK_DELETE];

export interface ReadyProperties {
  readonly EnvName: string;
  /** A digest of the specification: a new one makes CloudFormation update, so wait again, every slice. */
  readonly SpecDigest: string;
  readonly OnStackDelete: OnStackDelete;
  /** How many slices the stack has: the first one created (and the last one deleted) gives up. */
  readonly Slices: string;
}

/**
 * The tag that binds the stored API token to the Altinity.Cloud URL it was given for, whose digest it
 * holds (a tag's value cannot hold every URL): the function sends the token to no other URL.
 */
export const API_URL_TAG_KEY = 'altinity:cloud/api-url-sha256';

export function apiUrlDigest(apiUrl: string): string {
  return createHash('sha256').update(apiUrl).digest('hex');
}

/** The export of the function's ARN, which the ready stack imports by the environment's name. */
export function cloudFunctionExportName(envName: string): string {
  return `${cloudStackNameFor(envName)}:FunctionArn`;
}

/** SSM parameter paths of the cloud stack: the API token and the certificate signed with it. */
export function cloudParameterPrefix(envName: string): string {
  return `/altinity-cloud/${envName}`;
}

export function apiTokenParameterName(envName: string): string {
  return `${cloudParameterPrefix(envName)}/api-token`;
}

export function cloudCertificateParameterName(envName: string): string {
  return `${cloudParameterPrefix(envName)}/certificate`;
}

/** The IAM path of the function's role: a staged API token's policy lets only roles on it read the token. */
export function cloudFunctionRolePath(envName: string): string {
  return `${cloudParameterPrefix(envName)}/`;
}

/** Secrets Manager names of the API tokens staged for an environment start with this. */
export function stagedApiTokenPrefix(envName: string): string {
  return `altinity-cloud/${envName}/staged/`;
}

/** The variable that carries the API token to `cdk deploy`, as Altinity's Terraform provider reads it. */
export const API_TOKEN_ENVIRONMENT_VARIABLE = 'ALTINITYCLOUD_API_TOKEN';

/** The variable that points the app, and the status command, at another Altinity.Cloud API, as the provider reads it. */
export const API_URL_ENVIRONMENT_VARIABLE = 'ALTINITYCLOUD_API_URL';

export function specDigest(specJson: string): string {
  return createHash('sha256').update(specJson).digest('hex').slice(0, 16);
}
