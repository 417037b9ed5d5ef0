import { type CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { parse } from 'yaml';
import { CLOUD_RESOURCE_TYPES, cloudFunctionRolePath, stagedApiTokenPrefix } from '../shared/cloud-stack-contract';
import { cloudStackNameFor, ENV_TAG_KEY, stackNameFor } from '../shared/conventions';
import { PARAMETER_KEYS, SECRET_STORE_RESOURCE_TYPE, secretStoreRolePath } from '../shared/names';
import { stagedTokenDigest, stagedTokenPrefix } from '../shared/secret-store-contract';

/** A token that the app stages for a stack before synthesis, and the stack whose function takes it. */
export interface StagedTokenKind {
  /** What the token is, in the secret's description. */
  readonly what: string;
  readonly stackName: (envName: string) => string;
  /** The custom resource that names the staged copy in its `StagedToken` property. */
  readonly resourceType: string;
  readonly prefix: (envName: string) => string;
  /** The IAM path of the only roles that may read the staged copy: the taking function's. */
  readonly rolePath: (envName: string) => string;
}

export const STAGED_TOKEN_KINDS = {
  /** The connection token, taken by the connect stack's secret store. */
  connection: {
    what: 'connection token',
    stackName: stackNameFor,
    resourceType: SECRET_STORE_RESOURCE_TYPE,
    prefix: stagedTokenPrefix,
    rolePath: secretStoreRolePath,
  },
  /** The Altinity.Cloud API token, taken by the cloud stack's function. */
  api: {
    what: 'Altinity.Cloud API token',
    stackName: cloudStackNameFor,
    resourceType: CLOUD_RESOURCE_TYPES.access,
    prefix: stagedApiTokenPrefix,
    rolePath: cloudFunctionRolePath,
  },
} as const satisfies Record<string, StagedTokenKind>;

/** Why the app stores nothing; the message says what to do instead. */
export class StagingRefused extends Error {
  override readonly name = 'StagingRefused';
}

/** The account and partition the app's credentials act in. */
export interface TargetAccount {
  readonly account: string;
  readonly partition: string;
}

/**
 * Stops unless the app's own AWS credentials belong to the account that `cdk deploy` deploys to
 * (`CDK_DEFAULT_ACCOUNT`): the CDK CLI resolves `--profile` for its own calls only, and starts the
 * app with the default credential chain, which may be another account's.
 */
export async function checkTargetAccount(sts: STSClient, cliAccount: string | undefined): Promise<TargetAccount> {
  const instead =
    'The CDK CLI does not hand --profile to the app: choose the profile with AWS_PROFILE instead (AWS_PROFILE=<profile> npx cdk deploy -c env=...), ' +
    `or give the token as a stack parameter (npx cdk deploy -c env=... --parameters ${PARAMETER_KEYS.token}=...). Nothing was stored.`;
  if (!cliAccount) {
    throw new StagingRefused(`cannot tell which AWS account cdk deploy targets, so the token was not stored: the CDK CLI found no credentials. ${instead}`);
  }
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new StagingRefused(
      `cdk deploy targets account ${cliAccount}, but the app has no AWS credentials of its own to store the token with (${detail}). ${instead}`,
    );
  }
  if (identity.Account !== cliAccount) {
    throw new StagingRefused(
      `cdk deploy targets account ${cliAccount}, but the app's AWS credentials are for account ${identity.Account}, where the token would be stored. ${instead}`,
    );
  }
  return { account: cliAccount, partition: identity.Arn?.split(':')[1] ?? 'aws' };
}

/** What staging did: the name the template carries, and whether a copy was written for it. */
export interface StagedToken {
  readonly name: string;
  readonly written: boolean;
}

/** Secrets Manager refuses a name for a few seconds after the secret of that name was deleted. */
const NAME_REUSE_ATTEMPTS = 10;
const NAME_REUSE_PAUSE_MS = 3_000;

/**
 * Stages the token given to `cdk deploy -c token=...` before synthesis, so that it never enters the
 * template (the CDK CLI passes no parameter values from the app, and a parameter default would be
 * readable with GetTemplate). The copy is a Secrets Manager secret whose resource policy lets nobody
 * read it but the roles on the stack's own IAM path (its function's), since the stack and its key may
 * not exist yet; the function moves it under the stack's key and deletes it. Its name is a digest of
 * the token: one copy per token, and none at all when the deployed stack already holds this token.
 */
export async function stageToken(
  clients: { readonly secrets: SecretsManagerClient; readonly cloudFormation: CloudFormationClient },
  target: TargetAccount,
  envName: string,
  token: string,
  kind: StagedTokenKind = STAGED_TOKEN_KINDS.connection,
): Promise<StagedToken> {
  const name = `${kind.prefix(envName)}${stagedTokenDigest(token)}`;
  if ((await deployedStagedToken(clients.cloudFormation, kind.stackName(envName), kind.resourceType)) === name) return { name, written: false };
  await createSecret(clients.secrets, envName, name, kind);
  await clients.secrets.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: JSON.stringify(stagedTokenPolicy(target, envName, kind)) }));
  await clients.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: token }));
  return { name, written: true };
}

/** Denies reading the staged token to every principal but the roles on the taking function's IAM path. */
export function stagedTokenPolicy(target: TargetAccount, envName: string, kind: StagedTokenKind = STAGED_TOKEN_KINDS.connection): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheStacksFunctionReads',
        Effect: 'Deny',
        Principal: '*',
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:${target.partition}:iam::${target.account}:role${kind.rolePath(envName)}*` } },
      },
    ],
  };
}

/** Creates the secret without a value, so that it holds the token only once its policy is in place. */
async function createSecret(secrets: SecretsManagerClient, envName: string, name: string, kind: StagedTokenKind): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await secrets.send(
        new CreateSecretCommand({
          Name: name,
          Description: `${kind.what[0].toUpperCase()}${kind.what.slice(1)} staged by cdk deploy for stack ${kind.stackName(envName)}, whose function moves it and deletes this copy`,
          Tags: [{ Key: ENV_TAG_KEY, Value: envName }],
        }),
      );
      return;
    } catch (error) {
      // Left by an earlier synthesis with the same token: its value is written again below, if the
      // secret is still as this app creates it.
      if (error instanceof ResourceExistsException) return refuseChangedSecret(secrets, name);
      const deletionPending = error instanceof Error && /scheduled for deletion/i.test(error.message);
      if (!deletionPending || attempt === NAME_REUSE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, NAME_REUSE_PAUSE_MS));
    }
  }
}

/**
 * Refuses a secret of the staged token's name that someone set up to keep a copy elsewhere: under a
 * key of their own, replicated to another region, or rotated by a function of theirs. The resource
 * policy written next would not stop any of those.
 */
async function refuseChangedSecret(secrets: SecretsManagerClient, name: string): Promise<void> {
  const secret = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
  const changes = [
    ...(secret.KmsKeyId && secret.KmsKeyId !== 'alias/aws/secretsmanager' ? [`it is encrypted with ${secret.KmsKeyId}`] : []),
    ...(secret.ReplicationStatus?.length ? [`it is replicated to ${secret.ReplicationStatus.map((replica) => replica.Region).join(', ')}`] : []),
    ...(secret.RotationEnabled ? [`it is rotated by ${secret.RotationLambdaARN ?? 'a function'}`] : []),
  ];
  if (changes.length > 0) {
    throw new StagingRefused(
      `the secret ${name}, where the token is staged, exists and is not as this app creates it: ${changes.join('; ')}. ` +
        'Delete it (aws secretsmanager delete-secret --force-delete-without-recovery --secret-id ' +
        `${name}) and run again. Nothing was stored.`,
    );
  }
}

/** The staged token's name that the deployed stack's template holds, if the stack exists and has one. */
async function deployedStagedToken(cloudFormation: CloudFormationClient, stackName: string, resourceType: string): Promise<string | undefined> {
  let body: string | undefined;
  try {
    body = (await cloudFormation.send(new GetTemplateCommand({ StackName: stackName }))).TemplateBody;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
  const template = (parse(body ?? '{}') ?? {}) as { Resources?: Record<string, { Type?: string; Properties?: { StagedToken?: unknown } }> };
  const resource = Object.values(template.Resources ?? {}).find((candidate) => candidate.Type === resourceType);
  const staged = resource?.Properties?.StagedToken;
  return typeof staged === 'string' ? staged : undefined;
}
