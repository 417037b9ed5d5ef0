import {
  type AccessData,
  type AccessProperties,
  API_TOKEN_ENVIRONMENT_VARIABLE,
  API_TOKEN_PARAMETER,
  API_URL_TAG_KEY,
  apiUrlDigest,
  type CloudFunctionSettings,
} from '../../lib/shared/cloud-stack-contract';
import { cloudStackNameFor, OWNER_TAG_KEY } from '../../lib/shared/conventions';
import { CodedFailure, ENVIRONMENT_FAILURES, FUNCTION_FAILURES as FAILURE } from '../../lib/shared/failures';
import { certificateBundle, certificateRequest } from '../altinity-api/csr';
import type { Masker } from '../shared/custom-resource';
import {
  claim,
  deleteOwned,
  ensureOwned,
  ownedByAnother,
  type ParameterOwner,
  type SecretClients,
  stackExists,
  stagedTokenValue,
  store,
  sweepStagedTokens,
} from '../shared/owned-secrets';
import { deleteParameter, factsOf, readParameter, tag, tagsOf } from '../shared/parameters';
import type { Dependencies } from './index';

/**
 * The access resource: the API token, kept as a SecureString under the cloud stack's key that only
 * this function may use, and the environment's certificate, signed by Altinity.Cloud for a key made
 * here, in the function, and never sent anywhere. The hosts read the certificate as an existing one;
 * nothing but this function ever reads the token.
 */

const STAGE_AGAIN = `${API_TOKEN_ENVIRONMENT_VARIABLE}=... npx cdk deploy --all -c env=... -c environment=...`;

export async function createAccess(
  properties: Partial<AccessProperties>,
  settings: CloudFunctionSettings,
  aws: Dependencies,
  secrets: Masker,
): Promise<AccessData> {
  const token = await tokenOf(properties, undefined, settings, aws, secrets);
  if (!token) {
    throw new CodedFailure(ENVIRONMENT_FAILURES.apiTokenMissing, `no Altinity.Cloud API token was given: give one ${howToGiveToken(settings)}.`);
  }
  await claim(settings.apiTokenParameter, token, ownerOf(settings), aws);
  await bindToUrl(settings.apiUrl, settings, aws);
  await ensureCertificate(token, settings, aws, secrets);
  await sweep(settings, aws);
  return dataOf(settings);
}

export async function updateAccess(
  physicalId: string,
  properties: Partial<AccessProperties>,
  old: Partial<AccessProperties> | undefined,
  rollingBack: boolean,
  settings: CloudFunctionSettings,
  aws: Dependencies,
  secrets: Masker,
): Promise<AccessData> {
  if (physicalId !== settings.apiTokenParameter) {
    // The function's settings name another environment than the resource's parameters: the stack's
    // environment is changing (CloudFormation updates the function first, and rolls it back last).
    if (properties.EnvName === settings.envName) {
      throw new CodedFailure(
        FAILURE.environmentRenamed,
        `the environment of a cloud stack cannot change (${old?.EnvName} to ${properties.EnvName}): deploy ${cloudStackNameFor(properties.EnvName ?? '')} for it.`,
      );
    }
    console.log(`rolling back the refused change of environment to ${settings.envName}: nothing to undo`);
    return dataOf(settings);
  }
  if (rollingBack) return rollBack(properties, settings, aws);
  await ensureOwned(settings.apiTokenParameter, ownerOf(settings), aws);
  const given = await tokenOf(properties, settings.apiTokenParameter, settings, aws, secrets);
  if (given && !(await boundToUrl(settings, aws))) {
    // Only a token this update gives anew, and not the stored one, was made for the new URL: the console resends a NoEcho parameter's previous value.
    const stored = await readParameter(aws.ssm, settings.apiTokenParameter);
    secrets.add(stored);
    const resent = properties.StagedToken ? properties.StagedToken === old?.StagedToken : properties.Token === old?.Token;
    if (given === stored || resent) throw urlChanged(settings);
  }
  if (given) await storeBound(given, settings.apiUrl, settings, aws);
  // Without a token given, the stored one serves only if it was given for the settings' URL: storedApiToken checks.
  const token = given ?? (await storedApiToken(settings, aws, secrets));
  await ensureCertificate(token, settings, aws, secrets);
  await sweep(settings, aws);
  return dataOf(settings);
}

export async function deleteAccess(physicalId: string, settings: CloudFunctionSettings, aws: Dependencies): Promise<undefined> {
  if (physicalId !== settings.apiTokenParameter) return void console.log(`nothing deleted: this function did not create ${physicalId}`);
  await deleteOwned([settings.apiTokenParameter, settings.certificateParameter], ownerOf(settings), aws);
  await sweep(settings, aws);
}

/**
 * The certificate stays when this stack wrote it: a SecureString under the stack's key, tagged as the
 * stack's. Anything else there (a deleted stack's, or one planted by someone who may merely write
 * parameters) is replaced by a new one, signed for a new key; a parameter another live stack owns,
 * or that no stack owns (it may be the customer's), is left alone and the request refused.
 */
async function ensureCertificate(token: string, settings: CloudFunctionSettings, aws: Dependencies, secrets: Masker): Promise<void> {
  const name = settings.certificateParameter;
  const tags = await tagsOf(aws.ssm, name);
  if (tags !== undefined) {
    const owner = tags[OWNER_TAG_KEY];
    const facts = await factsOf(aws.ssm, name);
    if (owner === settings.stackId && facts?.type === 'SecureString' && facts.keyId === settings.keyArn) return;
    if (!owner) {
      throw new CodedFailure(FAILURE.certificateNotOwned, `${name} exists and no stack owns it, so it was left alone: move it elsewhere or delete it.`);
    }
    if (owner !== settings.stackId && (await stackExists(aws.cloudFormation, owner))) throw ownedByAnother(name, owner);
    await deleteParameter(aws.ssm, name);
  }
  const { privateKey, csrPem } = await certificateRequest(settings.envName);
  const signed = await aws.altinity(token).sign(settings.envName, csrPem);
  const bundle = certificateBundle(settings.envName, signed, privateKey);
  secrets.add(bundle);
  await claim(name, bundle, ownerOf(settings), aws);
  console.log(`stored the certificate Altinity.Cloud signed for ${settings.envName} in ${name}; its key never left the function`);
}

/** The token the event gives: as `Token`, or staged by `cdk deploy`; undefined when it gives none. */
async function tokenOf(
  properties: Partial<AccessProperties>,
  current: string | undefined,
  settings: CloudFunctionSettings,
  aws: SecretClients,
  secrets: Masker,
): Promise<string | undefined> {
  if (!properties.StagedToken) return properties.Token || undefined;
  return stagedTokenValue({ name: properties.StagedToken, prefix: settings.stagedTokenPrefix, stageAgain: STAGE_AGAIN }, current, aws, secrets);
}

/** The stored API token; read for each event, so that a new one takes effect at once. */
export async function storedApiToken(settings: CloudFunctionSettings, aws: SecretClients, secrets: Masker): Promise<string> {
  const token = await readParameter(aws.ssm, settings.apiTokenParameter);
  secrets.add(token);
  if (!token)
    throw new CodedFailure(
      ENVIRONMENT_FAILURES.apiTokenMissing,
      `${settings.apiTokenParameter} holds no Altinity.Cloud API token: give it again ${howToGiveToken(settings)}.`,
    );
  if (!(await boundToUrl(settings, aws))) throw urlChanged(settings);
  return token;
}

/**
 * An update's rollback puts back the token the stack's template gives again, bound to the URL the
 * stack returns to; a token it cannot give again (staged, its copy swept since, or kept by an empty
 * parameter) stays as the update left it, bound to the URL it was given for.
 */
async function rollBack(properties: Partial<AccessProperties>, settings: CloudFunctionSettings, aws: Dependencies): Promise<AccessData> {
  if (!properties.StagedToken && properties.Token && properties.ApiUrl) {
    await ensureOwned(settings.apiTokenParameter, ownerOf(settings), aws);
    await storeBound(properties.Token, properties.ApiUrl, settings, aws);
    console.log('rolling back: the API token before the update is stored again, for the URL before the update');
  } else {
    console.log('rolling back: the stored API token stays as the update left it, for the URL it was given for');
  }
  return dataOf(settings);
}

/** Whether the stored token was given for the URL the function's settings name. */
async function boundToUrl(settings: CloudFunctionSettings, aws: SecretClients): Promise<boolean> {
  return (await tagsOf(aws.ssm, settings.apiTokenParameter))?.[API_URL_TAG_KEY] === apiUrlDigest(settings.apiUrl);
}

/** Stores `token` for `apiUrl`: unbound while it is written, so that no token is ever bound to a URL it was not given for. */
async function storeBound(token: string, apiUrl: string, settings: CloudFunctionSettings, aws: SecretClients): Promise<void> {
  await tag(aws.ssm, settings.apiTokenParameter, { [API_URL_TAG_KEY]: '' });
  await store(settings.apiTokenParameter, token, ownerOf(settings), aws);
  await bindToUrl(apiUrl, settings, aws);
}

async function bindToUrl(apiUrl: string, settings: CloudFunctionSettings, aws: SecretClients): Promise<void> {
  await tag(aws.ssm, settings.apiTokenParameter, { [API_URL_TAG_KEY]: apiUrlDigest(apiUrl) });
}

function urlChanged(settings: CloudFunctionSettings): CodedFailure {
  return new CodedFailure(
    ENVIRONMENT_FAILURES.apiUrlChanged,
    `the stored API token was given for another Altinity.Cloud URL than ${settings.apiUrl} (the URL changed, or a change of it was rolled back), ` +
      `and it goes to no other URL than its own; giving the same token again changes nothing: give a new API token, made for ${settings.apiUrl}, ${howToGiveToken(settings)}.`,
  );
}

/** A stack whose token `cdk deploy` staged takes a new one that way only; one with the parameter (the console's, or the app's without the variable) takes it either way. */
function howToGiveToken(settings: CloudFunctionSettings): string {
  const staged = `in ${API_TOKEN_ENVIRONMENT_VARIABLE} (${STAGE_AGAIN})`;
  return settings.stagedTokenPrefix ? staged : `in the stack's ${API_TOKEN_PARAMETER} parameter (in the console: Update stack), or ${staged}`;
}

async function sweep(settings: CloudFunctionSettings, aws: SecretClients): Promise<void> {
  if (settings.stagedTokenPrefix) await sweepStagedTokens(settings.stagedTokenPrefix, aws);
}

function ownerOf(settings: CloudFunctionSettings): ParameterOwner {
  return { stackId: settings.stackId, envName: settings.envName, keyArn: settings.keyArn };
}

function dataOf(settings: CloudFunctionSettings): AccessData {
  return { ApiTokenParameterName: settings.apiTokenParameter, CertificateParameterName: settings.certificateParameter };
}
