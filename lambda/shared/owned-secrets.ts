import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteSecretCommand,
  GetSecretValueCommand,
  paginateListSecrets,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ENV_TAG_KEY, OWNER_TAG_KEY } from '../../lib/shared/conventions';
import { CodedFailure, FUNCTION_FAILURES as FAILURE } from '../../lib/shared/failures';
import { digestInStagedName, stagedTokenDigest } from '../../lib/shared/secret-store-contract';
import type { Masker } from './custom-resource';
import { createSecureString, deleteParameter, factsOf, readParameter, overwriteSecureString, tag, tagsOf } from './parameters';

/**
 * SecureStrings that belong to one stack: written under the stack's own key and tagged with its id,
 * so that no two live stacks share one, and a parameter a deleted stack left is taken over. Also the
 * tokens `cdk deploy` stages in Secrets Manager before the stack exists, which the owner takes and
 * then deletes.
 */

/** The AWS clients these calls use. */
export interface SecretClients {
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
  readonly cloudFormation: CloudFormationClient;
}

/** The stack a parameter belongs to, and the key it is encrypted with. */
export interface ParameterOwner {
  readonly stackId: string;
  readonly envName: string;
  readonly keyArn: string;
}

/**
 * Creates `name` with `value` as the owner's, atomically: of two stacks created together, one gets
 * it and the other is refused. A parameter left by a deleted stack, or by a version that recorded no
 * owner, is taken over by deleting it and creating it again, atomically too.
 */
export async function claim(name: string, value: string, owner: ParameterOwner, aws: SecretClients): Promise<void> {
  const write = { name, value, keyId: owner.keyArn, description: descriptionFor(owner), tags: ownerTags(owner) };
  for (let attempt = 1; ; attempt++) {
    if (await createSecureString(aws.ssm, write)) return;
    const holder = await ownerOf(name, aws);
    if (holder === owner.stackId) return store(name, value, owner, aws);
    if (holder && (await stackExists(aws.cloudFormation, holder))) throw ownedByAnother(name, holder);
    if (attempt === 2) throw new CodedFailure(FAILURE.ownedByAnotherStack, `${name} was taken over by another stack at the same moment`);
    console.log(`taking over ${name}, left by ${holder || 'no stack on record'}`);
    await deleteParameter(aws.ssm, name);
  }
}

/** Writes `value` to the owner's parameter `name` unless it already holds it, encrypted with the owner's key. */
export async function store(name: string, value: string, owner: ParameterOwner, aws: SecretClients): Promise<void> {
  const facts = await factsOf(aws.ssm, name);
  if (facts?.type === 'SecureString' && facts.keyId === owner.keyArn && (await readParameter(aws.ssm, name)) === value) return;
  await overwriteSecureString(aws.ssm, { name, value, keyId: owner.keyArn, description: descriptionFor(owner) });
}

/** On Update: refuses a parameter another live stack owns; takes over one a deleted stack or an older version left. */
export async function ensureOwned(name: string, owner: ParameterOwner, aws: SecretClients): Promise<void> {
  const tags = await tagsOf(aws.ssm, name);
  if (tags === undefined || tags[OWNER_TAG_KEY] === owner.stackId) return;
  const holder = tags[OWNER_TAG_KEY];
  if (holder && (await stackExists(aws.cloudFormation, holder))) throw ownedByAnother(name, holder);
  await tag(aws.ssm, name, ownerTags(owner));
}

/** Deletes the parameters among `names` that the owner holds; the others stay. */
export async function deleteOwned(names: readonly string[], owner: ParameterOwner, aws: SecretClients): Promise<void> {
  for (const name of names) {
    if ((await ownerOf(name, aws)) === owner.stackId) await deleteParameter(aws.ssm, name);
  }
}

export async function ownerOf(name: string, aws: SecretClients): Promise<string | undefined> {
  return (await tagsOf(aws.ssm, name))?.[OWNER_TAG_KEY] || undefined;
}

export function ownedByAnother(name: string, owner: string): CodedFailure {
  return new CodedFailure(
    FAILURE.ownedByAnotherStack,
    `${name} belongs to stack ${owner.split('/')[1]} (${owner}), which still exists: update or delete that stack instead.`,
  );
}

export async function stackExists(cloudFormation: CloudFormationClient, stackId: string): Promise<boolean> {
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
    return Stacks?.some((stack) => stack.StackStatus !== 'DELETE_COMPLETE') ?? false;
  } catch (error) {
    if (/does not exist/.test(String(error))) return false;
    throw error;
  }
}

/** Where a token staged by `cdk deploy` is, and what to tell the user when it is gone. */
export interface StagedToken {
  /** Its Secrets Manager name, as the template gives it. */
  readonly name: string;
  /** The prefix of the names staged for this environment, from the function's settings. */
  readonly prefix: string;
  /** The command that stages it again. */
  readonly stageAgain: string;
}

/**
 * The token staged under `staged.name`, checked against the digest its name carries. A token that
 * `current` (the stored token's parameter) already holds is not read again: its copy was taken and
 * deleted before, by this very request's first try or an earlier one.
 */
export async function stagedTokenValue(staged: StagedToken, current: string | undefined, aws: SecretClients, secrets: Masker): Promise<string> {
  const digest = digestInStagedName(staged.name, staged.prefix);
  if (!digest) throw new CodedFailure(FAILURE.stagedTokenMismatch, `StagedToken ${staged.name} is not a name below ${staged.prefix}`);
  if (current !== undefined) {
    const stored = await readParameter(aws.ssm, current);
    secrets.add(stored);
    if (stored && stagedTokenDigest(stored) === digest) return stored;
  }
  let value: string | undefined;
  try {
    value = (await aws.secrets.send(new GetSecretValueCommand({ SecretId: staged.name }))).SecretString;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  secrets.add(value);
  if (value === undefined) {
    throw new CodedFailure(
      FAILURE.stagedTokenMissing,
      `the staged token ${staged.name} does not exist, so the token was not changed. Run cdk deploy again with the token (${staged.stageAgain}).`,
    );
  }
  if (stagedTokenDigest(value) !== digest) {
    throw new CodedFailure(
      FAILURE.stagedTokenMismatch,
      `the staged copy ${staged.name} does not hold the token it is named after: delete it, and run cdk deploy again with the token.`,
    );
  }
  return value;
}

/**
 * Deletes every token staged below `prefix`: the one just taken, and any that a `cdk synth`, `cdk diff`
 * or declined deployment left.
 */
export async function sweepStagedTokens(prefix: string, aws: SecretClients): Promise<void> {
  for await (const page of paginateListSecrets({ client: aws.secrets }, { Filters: [{ Key: 'name', Values: [prefix] }] })) {
    for (const { Name } of page.SecretList ?? []) {
      if (Name?.startsWith(prefix)) await aws.secrets.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    }
  }
}

function ownerTags(owner: ParameterOwner): Record<string, string> {
  return { [ENV_TAG_KEY]: owner.envName, [OWNER_TAG_KEY]: owner.stackId };
}

export function descriptionFor(owner: ParameterOwner): string {
  return `altinity-connect secret of stack ${owner.stackId}`;
}
