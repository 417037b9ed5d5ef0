import { randomUUID } from 'node:crypto';
import { GetParameterCommand, GetParameterHistoryCommand, ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ENV_TAG_KEY, tokenParameterName } from '../lib/shared/names';
import { storeConnectionToken } from '../lib/deploy/stored-token';
import { MotoServer, startMotoServer } from './support/moto-server';

/** `cdk deploy -c token=...` stores the token before synthesis; a repeated deploy must not churn versions. */

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

function newEnvName(): string {
  return `env-${randomUUID().slice(0, 8)}`;
}

async function versionsOf(name: string): Promise<number> {
  const { Parameters } = await ssm.send(new GetParameterHistoryCommand({ Name: name }));
  return Parameters?.length ?? 0;
}

test('the first store writes the token as a tagged SecureString, version 1', async () => {
  const envName = newEnvName();

  const version = await storeConnectionToken(ssm, envName, 'first-token');

  expect(version).toBe(1);
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: tokenParameterName(envName), WithDecryption: true }));
  expect(Parameter).toMatchObject({ Type: 'SecureString', Value: 'first-token', Version: 1 });
  const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: tokenParameterName(envName) }));
  expect(TagList).toContainEqual({ Key: ENV_TAG_KEY, Value: envName });
});

test('storing the same token again writes nothing and returns the same version, so the stack sees no change', async () => {
  const envName = newEnvName();
  const first = await storeConnectionToken(ssm, envName, 'same-token');

  const again = await storeConnectionToken(ssm, envName, 'same-token');

  expect(again).toBe(first);
  expect(await versionsOf(tokenParameterName(envName))).toBe(1);
});

test('a different token is written as a new version, which makes the stack update', async () => {
  const envName = newEnvName();
  await storeConnectionToken(ssm, envName, 'old-token');

  const version = await storeConnectionToken(ssm, envName, 'new-token');

  expect(version).toBe(2);
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: tokenParameterName(envName), WithDecryption: true }));
  expect(Parameter).toMatchObject({ Value: 'new-token', Version: 2 });
  expect(await versionsOf(tokenParameterName(envName))).toBe(2);
});
