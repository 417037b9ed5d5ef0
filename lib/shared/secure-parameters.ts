import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  paginateGetParametersByPath,
  ListTagsForResourceCommand,
  ParameterNotFound,
  PutParameterCommand,
  type PutParameterCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';

/**
 * SSM SecureString helpers shared by the secret-store handler (in Lambda) and the app (which stages
 * the token given to `cdk deploy`). Only the SDK's SSM client: the handler's bundle stays small.
 */

export interface SecureStringWrite {
  readonly name: string;
  readonly value: string;
  readonly description: string;
  /** KMS key to encrypt with. @default - the account's `aws/ssm` key */
  readonly keyId?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** @default Standard */
  readonly tier?: PutParameterCommandInput['Tier'];
  /** Parameter policies (JSON), such as an expiration. Need the Advanced tier. */
  readonly policies?: string;
}

/** Writes a SecureString, creating or overwriting it, then tags it. Returns the new version. */
export async function putSecureString(ssm: SSMClient, write: SecureStringWrite): Promise<number> {
  const put = await ssm.send(
    new PutParameterCommand({
      Name: write.name,
      Value: write.value,
      Type: 'SecureString',
      KeyId: write.keyId,
      Overwrite: true,
      Description: write.description,
      Tier: write.tier,
      Policies: write.policies,
    }),
  );
  // PutParameter refuses Tags together with Overwrite, so tagging is a call of its own.
  const Tags = Object.entries(write.tags).map(([Key, Value]) => ({ Key, Value }));
  if (Tags.length > 0) await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: write.name, Tags }));
  return put.Version ?? 0;
}

/** A parameter's value (decrypted) and version, or undefined when it does not exist. */
export async function readParameter(ssm: SSMClient, name: string): Promise<{ value: string; version: number } | undefined> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return { value: Parameter?.Value ?? '', version: Parameter?.Version ?? 0 };
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

/** A parameter's tags, or undefined when it does not exist. */
export async function tagsOf(ssm: SSMClient, name: string): Promise<Record<string, string> | undefined> {
  try {
    const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    return Object.fromEntries((TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  } catch (error) {
    if (error instanceof Error && /InvalidResourceId|ParameterNotFound/.test(error.name)) return undefined;
    throw error;
  }
}

/** Deletes a parameter; one already gone is not an error. */
export async function deleteParameter(ssm: SSMClient, name: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if (!(error instanceof ParameterNotFound)) throw error;
  }
}

/** The names of the parameters right below `path`. */
export async function namesBelow(ssm: SSMClient, path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: path })) names.push(...(page.Parameters ?? []).map((parameter) => parameter.Name ?? ''));
  return names;
}
