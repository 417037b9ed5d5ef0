import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';

/** The SSM Parameter Store calls the secret-store function makes, each with the answers it handles. */

export interface SecureStringWrite {
  readonly name: string;
  readonly value: string;
  readonly description: string;
  readonly keyId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a parameter is, besides its value: its type and the key that encrypts it. */
export interface ParameterFacts {
  readonly type: string;
  readonly keyId: string | undefined;
}

// A certificate is longer than a Standard parameter holds; Intelligent-Tiering picks Advanced when needed.
const TIER = 'Intelligent-Tiering';

/**
 * Creates a SecureString with its tags in one call, which is atomic: of two writers, exactly one
 * creates it. Returns false, writing nothing, when the parameter exists.
 */
export async function createSecureString(ssm: SSMClient, write: SecureStringWrite): Promise<boolean> {
  try {
    await ssm.send(
      new PutParameterCommand({
        Name: write.name,
        Value: write.value,
        Type: 'SecureString',
        KeyId: write.keyId,
        Description: write.description,
        Tier: TIER,
        Tags: Object.entries(write.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ParameterAlreadyExists) return false;
    throw error;
  }
}

/** Overwrites an existing SecureString's value and key (PutParameter refuses tags with Overwrite). */
export async function overwriteSecureString(ssm: SSMClient, write: Omit<SecureStringWrite, 'tags'>): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: write.name,
      Value: write.value,
      Type: 'SecureString',
      KeyId: write.keyId,
      Overwrite: true,
      Description: write.description,
      Tier: TIER,
    }),
  );
}

/** A parameter's value (decrypted), or undefined when it does not exist. */
export async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value ?? '';
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

/** A parameter's type and key, or undefined when it does not exist. */
export async function factsOf(ssm: SSMClient, name: string): Promise<ParameterFacts | undefined> {
  // SSM filters after it pages: a page may come back empty with a NextToken before the one that matches.
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }], NextToken }));
    const found = page.Parameters?.find((parameter) => parameter.Name === name);
    if (found) return { type: found.Type ?? '', keyId: found.KeyId };
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
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

export async function tag(ssm: SSMClient, name: string, tags: Readonly<Record<string, string>>): Promise<void> {
  await ssm.send(
    new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
}

/** Deletes a parameter; one already gone is not an error. */
export async function deleteParameter(ssm: SSMClient, name: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if (!(error instanceof ParameterNotFound)) throw error;
  }
}
