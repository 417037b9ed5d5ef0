import {
  AddTagsToResourceCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';

/**
 * Writes `value` as an SSM SecureString (encrypted with the account's `aws/ssm` key), creating or
 * overwriting it, and tags it. Returns the parameter's new version.
 */
export async function putSecureString(
  ssm: SSMClient,
  name: string,
  value: string,
  tags: Record<string, string>,
): Promise<number> {
  const put = await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: 'SecureString',
      Overwrite: true,
      Description: 'Altinity.Cloud connection token, written by the altinity-connect stack',
    }),
  );
  // PutParameter refuses Tags together with Overwrite, so tagging is a call of its own.
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  if (Tags.length > 0) {
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags }));
  }
  return put.Version ?? 0;
}

/** True when the parameter exists; its value is not decrypted. */
export async function parameterExists(ssm: SSMClient, name: string): Promise<boolean> {
  try {
    await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: false }));
    return true;
  } catch (error) {
    if (error instanceof ParameterNotFound) return false;
    throw error;
  }
}

/** Deletes the parameters that exist; names already gone are not an error. */
export async function deleteParameters(ssm: SSMClient, names: string[]): Promise<void> {
  await ssm.send(new DeleteParametersCommand({ Names: names }));
}
