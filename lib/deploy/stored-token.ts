import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { putSecureString } from '../shared/secure-parameters';
import { ENV_TAG_KEY, tokenParameterName } from '../shared/names';

/**
 * Stores the token given with `cdk deploy -c token=...` as the environment's SSM SecureString,
 * before synthesis, so that it never enters the template: the CDK CLI passes no parameter values
 * from the app, and a parameter default would be readable with GetTemplate.
 *
 * Idempotent: when the stored value already equals `token`, nothing is written and the current
 * version is returned, so a repeated deploy is a no-op. Returns the version the stack records.
 */
export async function storeConnectionToken(ssm: SSMClient, envName: string, token: string): Promise<number> {
  const name = tokenParameterName(envName);
  try {
    const current = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    if (current.Parameter?.Value === token && current.Parameter.Version !== undefined) return current.Parameter.Version;
  } catch (error) {
    if (!(error instanceof ParameterNotFound)) throw error;
  }
  return putSecureString(ssm, name, token, { [ENV_TAG_KEY]: envName });
}
