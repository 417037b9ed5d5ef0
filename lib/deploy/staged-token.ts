import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { ENV_TAG_KEY, PARAMETER_KEYS, stackNameFor, stagedTokenParameterName } from '../shared/names';
import { putSecureString } from '../shared/secure-parameters';

/** How long a staged token may wait for its stack, for a deployment that is declined or fails first. */
export const STAGED_TOKEN_LIFETIME_MINUTES = 60;

/** Why the app stores nothing; the message says what to do instead. */
export class StagingRefused extends Error {
  override readonly name = 'StagingRefused';
}

/**
 * Stops unless the app's own AWS credentials belong to the account that `cdk deploy` deploys to
 * (`CDK_DEFAULT_ACCOUNT`): the CDK CLI resolves `--profile` for its own calls only, and starts the
 * app with the default credential chain, which may be another account's.
 */
export async function checkTargetAccount(sts: STSClient, cliAccount: string | undefined): Promise<void> {
  const instead =
    'The CDK CLI does not hand --profile to the app: choose the profile with AWS_PROFILE instead (AWS_PROFILE=<profile> npx cdk deploy -c env=...), ' +
    `or give the token as a stack parameter (npx cdk deploy -c env=... --parameters ${PARAMETER_KEYS.token}=...). Nothing was stored.`;
  if (!cliAccount) {
    throw new StagingRefused(`cannot tell which AWS account cdk deploy targets, so the token was not stored: the CDK CLI found no credentials. ${instead}`);
  }
  let appAccount: string | undefined;
  try {
    appAccount = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new StagingRefused(`cdk deploy targets account ${cliAccount}, but the app has no AWS credentials of its own to store the token with (${detail}). ${instead}`);
  }
  if (appAccount !== cliAccount) {
    throw new StagingRefused(
      `cdk deploy targets account ${cliAccount}, but the app's AWS credentials are for account ${appAccount}, where the token would be stored. ${instead}`,
    );
  }
}

/** A name for this deployment's staged token: the time, and a random suffix against collisions. */
export function deploymentId(now: Date, random = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(random() * 0xffffff).toString(16).padStart(6, '0')}`;
}

/**
 * Stages the token given to `cdk deploy -c token=...` as an SSM SecureString before synthesis, so that
 * it never enters the template (the CDK CLI passes no parameter values from the app, and a parameter
 * default would be readable with GetTemplate). The stack does not exist yet, nor its key: the copy is
 * encrypted with the account's `aws/ssm` key, and the stack's custom resource moves it under the
 * stack's own key and deletes it. An expiration policy deletes a copy that no stack ever takes (the
 * deployment was declined or failed). Returns its name, which the template carries.
 */
export async function stageConnectionToken(ssm: SSMClient, envName: string, token: string, now = new Date()): Promise<string> {
  const name = stagedTokenParameterName(envName, deploymentId(now));
  const expires = new Date(now.getTime() + STAGED_TOKEN_LIFETIME_MINUTES * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await putSecureString(ssm, {
    name,
    value: token,
    description: `Connection token staged by cdk deploy for stack ${stackNameFor(envName)}, which moves it and deletes this copy`,
    tags: { [ENV_TAG_KEY]: envName },
    // Parameter policies need the Advanced tier (USD 0.05 a month, prorated: a fraction of a cent here).
    tier: 'Advanced',
    policies: JSON.stringify([{ Type: 'Expiration', Version: '1.0', Attributes: { Timestamp: expires } }]),
  });
  return name;
}
