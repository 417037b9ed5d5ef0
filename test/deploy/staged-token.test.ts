import { randomUUID } from 'node:crypto';
import { DescribeParametersCommand, GetParameterCommand, ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { checkTargetAccount, deploymentId, STAGED_TOKEN_LIFETIME_MINUTES, stageConnectionToken } from '../../lib/deploy/staged-token';
import { ENV_TAG_KEY, secretParameterPrefix } from '../../lib/shared/names';
import { MotoServer, startMotoServer } from '../support/moto-server';

/**
 * `cdk deploy -c token=...` stages the token before synthesis, in the account `cdk deploy` targets and
 * nowhere else. moto stands in for SSM and STS, with two accounts: its default credentials land in
 * 123456789012, credentials from assuming a role in 111111111111 land there.
 */

let moto: MotoServer;
let ssm: SSMClient;

beforeAll(async () => {
  moto = await startMotoServer();
  ssm = new SSMClient(moto.clientConfig);
});

afterAll(async () => {
  ssm?.destroy();
  await moto?.stop();
});

const newEnvName = () => `env-${randomUUID().slice(0, 8)}`;

describe('stageConnectionToken', () => {
  test('writes the token as a SecureString under a name of its own below the environment\'s prefix, tagged, with an expiry', async () => {
    const envName = newEnvName();
    const now = new Date('2026-11-26T02:15:30.123Z');

    const sent: Record<string, unknown>[] = [];
    const recording = new SSMClient(moto.clientConfig);
    recording.middlewareStack.add((next) => async (args) => {
      sent.push(args.input as Record<string, unknown>);
      return next(args);
    });

    const name = await stageConnectionToken(recording, envName, 'the-token', now);

    expect(name).toMatch(new RegExp(`^${secretParameterPrefix(envName)}/staged/20261126T021530Z-[0-9a-f]{6}$`));
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    expect(Parameter).toMatchObject({ Type: 'SecureString', Value: 'the-token' });
    const { Parameters } = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
    // The account's aws/ssm key: the stack's own key does not exist yet.
    expect(Parameters?.[0]).toMatchObject({ Tier: 'Advanced', KeyId: 'alias/aws/ssm' });
    // moto keeps the policy but returns its text mangled: read it as sent.
    const put = sent.find((input) => input.Name === name && 'Policies' in input);
    expect(JSON.parse(String(put?.Policies))).toEqual([{ Type: 'Expiration', Version: '1.0', Attributes: { Timestamp: '2026-11-26T03:15:30Z' } }]);
    expect(STAGED_TOKEN_LIFETIME_MINUTES).toBe(60);
    const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    expect(TagList).toEqual([{ Key: ENV_TAG_KEY, Value: envName }]);
  });

  test('gives every deployment a name of its own, so that the stack sees a change and moves the token', async () => {
    const envName = newEnvName();
    const first = await stageConnectionToken(ssm, envName, 'same-token');
    const second = await stageConnectionToken(ssm, envName, 'same-token');
    expect(first).not.toBe(second);
  });

  test('deploymentId is the time and a random suffix', () => {
    expect(deploymentId(new Date('2026-01-02T03:04:05.678Z'), () => 0.5)).toBe('20260102T030405Z-7fffff');
  });
});

describe('checkTargetAccount', () => {
  const stsFor = (credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new STSClient({ ...moto.clientConfig, ...(credentials ? { credentials } : {}) });

  test('passes when the app\'s credentials are for the account cdk deploy targets', async () => {
    await expect(checkTargetAccount(stsFor(), '123456789012')).resolves.toBeUndefined();
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
