import { createHash } from 'node:crypto';
import { CodedFailure, FUNCTION_FAILURES } from './failures';

/**
 * What the stack and the secret-store function agree on: the settings the stack puts in the
 * function's environment (which only the stack can change, so the function trusts them), the
 * properties CloudFormation sends with each event (which anyone who may invoke the function could
 * forge, so the function takes from them only what it cannot know otherwise), and the data it returns.
 */

/** The function's settings, by what they mean. */
export interface SecretStoreSettings {
  /** The stack the function serves: it acts on events for this stack only. */
  readonly stackId: string;
  /** The logical id of the custom resource it serves. */
  readonly resourceId: string;
  readonly envName: string;
  /** The stack's KMS key, which encrypts every parameter the function writes. */
  readonly keyArn: string;
  readonly tokenParameter: string;
  readonly certificateParameter: string;
  /** Secrets Manager names of the tokens `cdk deploy` staged for the environment start with this; empty for a stack whose token is a parameter. */
  readonly stagedTokenPrefix: string;
  /** A certificate parameter of the customer's, which the stack never writes or deletes; empty when none. */
  readonly existingCertificateParameter: string;
}

/** The environment variable that carries each setting. */
export const SECRET_STORE_VARIABLES: { readonly [Setting in keyof SecretStoreSettings]: string } = {
  stackId: 'STACK_ID',
  resourceId: 'RESOURCE_ID',
  envName: 'ENV_NAME',
  keyArn: 'KEY_ARN',
  tokenParameter: 'TOKEN_PARAMETER',
  certificateParameter: 'CERTIFICATE_PARAMETER',
  stagedTokenPrefix: 'STAGED_TOKEN_PREFIX',
  existingCertificateParameter: 'EXISTING_CERTIFICATE_PARAMETER',
};

/** The settings that may be empty. */
const OPTIONAL_SETTINGS: ReadonlySet<keyof SecretStoreSettings> = new Set(['existingCertificateParameter', 'stagedTokenPrefix']);

/** Reads the settings from the function's environment; throws, naming the variables, when one is missing. */
export function settingsFromEnvironment(environment: Record<string, string | undefined>): SecretStoreSettings {
  return settingsFrom<SecretStoreSettings>(SECRET_STORE_VARIABLES, OPTIONAL_SETTINGS, environment);
}

/**
 * A function's settings from its environment, by the variables that carry them; throws, naming the
 * variables, when one that is not optional is missing.
 */
export function settingsFrom<Settings>(
  variables: { readonly [Setting in keyof Settings]: string },
  optional: ReadonlySet<keyof Settings>,
  environment: Record<string, string | undefined>,
): Settings {
  const entries = Object.entries(variables) as [keyof Settings, string][];
  const missing = entries.filter(([setting, variable]) => !optional.has(setting) && !environment[variable]).map(([, variable]) => variable);
  if (missing.length > 0) {
    throw new CodedFailure(FUNCTION_FAILURES.functionMisconfigured, `the function's environment lacks ${missing.join(', ')}: it was not deployed by its stack`);
  }
  return Object.fromEntries(entries.map(([setting, variable]) => [setting, environment[variable] ?? ''])) as Settings;
}

/**
 * The custom resource's properties. `EnvName` and `KeyArn` repeat settings: CloudFormation sends an
 * Update only when a property changes, so that renaming the environment reaches the function (which
 * refuses it) and so does a new key (which it re-encrypts under); the function acts on its settings.
 */
export interface SecretStoreProperties {
  readonly EnvName: string;
  readonly KeyArn: string;
  /** The token itself (the console's NoEcho parameter); empty with an existing certificate. */
  readonly Token?: string;
  /** Where `cdk deploy` staged the token instead: a Secrets Manager name, see `stagedTokenName`. */
  readonly StagedToken?: string;
}

/** What the resource returns (`Fn::GetAtt`). */
export interface SecretStoreData {
  readonly TokenParameterName: string;
  readonly CertificateParameterName: string;
}

/** Secrets Manager names of the tokens staged for an environment start with this. */
export function stagedTokenPrefix(envName: string): string {
  return `altinity-connect/${envName}/staged/`;
}

/**
 * A digest of the token that names its staged copy. The same token always gets the same name, so a
 * deployment that keeps the token changes nothing; and whoever reads the copy can check that it holds
 * the token the template names, so that nobody who may merely create a secret can substitute another.
 */
export function stagedTokenDigest(token: string): string {
  return createHash('sha256').update(`altinity-connect staged token\n${token}`).digest('hex').slice(0, 32);
}

export function stagedTokenName(envName: string, token: string): string {
  return `${stagedTokenPrefix(envName)}${stagedTokenDigest(token)}`;
}

/** The digest a staged token's name carries, or undefined when the name is not one below `prefix`. */
export function digestInStagedName(name: string, prefix: string): string | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const digest = name.slice(prefix.length);
  return /^[0-9a-f]{32}$/.test(digest) ? digest : undefined;
}
