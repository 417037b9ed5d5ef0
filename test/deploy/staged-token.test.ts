import { randomUUID } from 'node:crypto';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { checkTargetAccount, stageToken, stagedTokenPolicy } from '../../lib/deploy/staged-token';
import { ENV_TAG_KEY } from '../../lib/shared/conventions';
import { SECRET_STORE_RESOURCE_TYPE, secretStoreRolePath } from '../../lib/shared/names';
import { stagedTokenDigest, stagedTokenName, stagedTokenPrefix } from '../../lib/shared/secret-store-contract';
import { type MotoServer, startMotoServer } from '../support/moto-server';

/**
 * `cdk deploy -c token=...` stages the token before synthesis, in the account `cdk deploy` targets and
 * nowhere else, where only the stack's function may read it. moto stands in for Secrets Manager,
 * CloudFormation and STS, with two accounts: its default credentials land in 123456789012,
 * credentials from assuming a role in 111111111111 land there. moto keeps a secret's resource policy
 * but enforces none: who may read the copy is evaluated here from the policy as AWS would evaluate
 * its one statement (an explicit deny unless the caller's role is on the function's IAM path).
 */

let moto: MotoServer;
let secrets: SecretsManagerClient;
let cloudFormation: CloudFormationClient;
const TARGET = { account: '123456789012', partition: 'aws' };

beforeAll(async () => {
  moto = await startMotoServer();
  secrets = new SecretsManagerClient(moto.clientConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
});

afterAll(async () => {
  secrets?.destroy();
  cloudFormation?.destroy();
  await moto?.stop();
});

const newEnvName = () => `env-${randomUUID().slice(0, 8)}`;

/** Whether the policy's explicit deny spares `principalArn` (an `ArnNotLike` with `*` wildcards): AWS's verdict on its one statement. */
function mayRead(
  policy: { Statement: { Effect: string; Action: string; Condition: { ArnNotLike: Record<string, string> } }[] },
  principalArn: string,
): boolean {
  return policy.Statement.every((statement) => {
    if (statement.Effect !== 'Deny' || statement.Action !== 'secretsmanager:GetSecretValue') return true;
    const pattern = statement.Condition.ArnNotLike['aws:PrincipalArn'];
    const spared = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
        .join('.*')}$`,
    ).test(principalArn);
    return spared;
  });
}

/** A live stack whose template says it holds the token staged as `stagedToken`. */
async function deployedStackHolding(envName: string, stagedToken: string): Promise<void> {
  const iam = new IAMClient(moto.clientConfig);
  // moto creates a stack's custom resource only when its function exists; it cannot run it (no Docker), so it stays pending.
  const role = await iam.send(new CreateRoleCommand({ RoleName: `fn-${envName}`, AssumeRolePolicyDocument: '{}' }));
  const template = {
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: { Runtime: 'nodejs24.x', Handler: 'index.handler', Role: role.Role!.Arn, Code: { ZipFile: 'exports.handler=()=>{}' } },
      },
      ConnectSecrets: {
        Type: SECRET_STORE_RESOURCE_TYPE,
        Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] }, EnvName: envName, StagedToken: stagedToken },
      },
    },
  };
  await cloudFormation.send(new CreateStackCommand({ StackName: `altinity-connect-${envName}`, TemplateBody: JSON.stringify(template) }));
}

describe('stageToken', () => {
  test("writes the token as a secret named by its digest, tagged, readable only by roles on the stack function's IAM path, its value last", async () => {
    const envName = newEnvName();
    const sent: string[] = [];
    const recording = new SecretsManagerClient(moto.clientConfig);
    recording.middlewareStack.add((next, context) => async (args) => {
      sent.push(`${context.commandName} ${JSON.stringify(args.input).includes('the-token') ? 'with the token' : 'without it'}`);
      return next(args);
    });

    const staged = await stageToken({ secrets: recording, cloudFormation }, TARGET, envName, 'the-token');

    expect(staged).toEqual({ name: `${stagedTokenPrefix(envName)}${stagedTokenDigest('the-token')}`, written: true });
    expect(sent).toEqual(['CreateSecretCommand without it', 'PutResourcePolicyCommand without it', 'PutSecretValueCommand with the token']);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: staged.name }))).SecretString).toBe('the-token');
    expect((await secrets.send(new DescribeSecretCommand({ SecretId: staged.name }))).Tags).toEqual([{ Key: ENV_TAG_KEY, Value: envName }]);
    const policy = JSON.parse((await secrets.send(new GetResourcePolicyCommand({ SecretId: staged.name }))).ResourcePolicy!);
    expect(policy).toEqual(stagedTokenPolicy(TARGET, envName));
    expect(mayRead(policy, `arn:aws:iam::123456789012:role${secretStoreRolePath(envName)}altinity-connect-acme-SecretsHandlerRole-1A2B3C`)).toBe(true);
    for (const other of [
      'arn:aws:iam::123456789012:role/Administrator',
      'arn:aws:iam::123456789012:role/altinity-connect-acme-HostRole-1A2B3C',
      `arn:aws:iam::123456789012:role${secretStoreRolePath(`${envName}-other`)}x`,
      'arn:aws:iam::123456789012:user/deployer',
    ]) {
      expect({ other, mayRead: mayRead(policy, other) }).toEqual({ other, mayRead: false });
    }
  });

  test('the same token, staged again (a second cdk synth or diff), is the same copy: one per token', async () => {
    const envName = newEnvName();
    const first = await stageToken({ secrets, cloudFormation }, TARGET, envName, 'same-token');
    const second = await stageToken({ secrets, cloudFormation }, TARGET, envName, 'same-token');
    expect(second).toEqual(first);
    const { SecretList } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedTokenPrefix(envName)] }] }));
    expect(SecretList?.map((secret) => secret.Name)).toEqual([first.name]);
  });

  describe('a secret of the staged name that someone set up to keep a copy elsewhere is refused, and holds no token', () => {
    const setUps = {
      'under a key of their own': { KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/0b7c3c2e-7a51-4c2f-9d7e-3f1f6a0c9d11' },
      'replicated to another region': { AddReplicaRegions: [{ Region: 'eu-west-1' }] },
    };
    test.each(Object.keys(setUps) as (keyof typeof setUps)[])('%s', async (setUp) => {
      const envName = newEnvName();
      const name = stagedTokenName(envName, 'watched-token');
      await secrets.send(new CreateSecretCommand({ Name: name, ...setUps[setUp] }));

      const staging = stageToken({ secrets, cloudFormation }, TARGET, envName, 'watched-token');

      await expect(staging).rejects.toThrow(
        new RegExp(
          `^the secret ${name}, where the token is staged, exists and is not as this app creates it: it is (encrypted with arn:aws:kms:|replicated to eu-west-1).*Nothing was stored\\.$`,
        ),
      );
      await expect(secrets.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(/can't find the specified secret value|ResourceNotFound/i);
    });
  });

  test('nothing is written when the deployed stack already holds this token', async () => {
    const envName = newEnvName();
    await deployedStackHolding(envName, stagedTokenName(envName, 'kept-token'));

    const staged = await stageToken({ secrets, cloudFormation }, TARGET, envName, 'kept-token');

    expect(staged).toEqual({ name: stagedTokenName(envName, 'kept-token'), written: false });
    const { SecretList } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedTokenPrefix(envName)] }] }));
    expect(SecretList).toEqual([]);
  });

  test('a new token for a deployed stack is staged', async () => {
    const envName = newEnvName();
    await deployedStackHolding(envName, stagedTokenName(envName, 'old-token'));

    const staged = await stageToken({ secrets, cloudFormation }, TARGET, envName, 'new-token');

    expect(staged).toEqual({ name: stagedTokenName(envName, 'new-token'), written: true });
  });
});

describe('checkTargetAccount', () => {
  const stsFor = (credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new STSClient({ ...moto.clientConfig, ...(credentials ? { credentials } : {}) });

  test("passes, naming the account and its partition, when the app's credentials are for the account cdk deploy targets", async () => {
    await expect(checkTargetAccount(stsFor(), '123456789012')).resolves.toEqual({ account: '123456789012', partition: 'aws' });
  });

  test('stops, naming both accounts and what to do, when they belong to another account (cdk deploy --profile)', async () => {
    const assumed = await stsFor().send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/deployer', RoleSessionName: 'test' }));
    const other = stsFor({
      accessKeyId: assumed.Credentials!.AccessKeyId!,
      secretAccessKey: assumed.Credentials!.SecretAccessKey!,
      sessionToken: assumed.Credentials!.SessionToken,
    });

    const refusal = checkTargetAccount(other, '123456789012');

    await expect(refusal).rejects.toThrow(
      "cdk deploy targets account 123456789012, but the app's AWS credentials are for account 111111111111, where the token would be stored.",
    );
    await expect(refusal).rejects.toThrow(/with AWS_PROFILE instead .*--parameters Token=.*Nothing was stored\./);
  });

  test('stops when the CDK CLI found no account at all', async () => {
    await expect(checkTargetAccount(stsFor(), undefined)).rejects.toThrow(/cannot tell which AWS account cdk deploy targets/);
  });

  test('stops when the app has no credentials of its own', async () => {
    const refusal = checkTargetAccount(
      new STSClient({ ...moto.clientConfig, credentials: () => Promise.reject(new Error('Could not load credentials from any providers')) }),
      '123456789012',
    );
    await expect(refusal).rejects.toThrow(/cdk deploy targets account 123456789012, but the app has no AWS credentials of its own/);
  });
});
