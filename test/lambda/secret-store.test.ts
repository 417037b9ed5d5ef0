import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import {
  AddTagsToResourceCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { LambdaContext, SecretStoreEvent, SecretStoreProperties } from '../../lambda/secret-store/index';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { bundleHandler, inlineHandlerCode } from '../../lib/constructs/inline-handler';
import { stageConnectionToken } from '../../lib/deploy/staged-token';
import { certificateParameterName, ENV_TAG_KEY, OWNER_TAG_KEY, tokenParameterName } from '../../lib/shared/names';
import { MotoServer, startMotoServer } from '../support/moto-server';

/**
 * The secret-store custom resource handler, run in-process as Lambda would run it, against
 * moto_server's SSM and CloudFormation, with a local HTTP server standing in for CloudFormation's
 * presigned response URL. moto does not enforce KMS key policies or IAM: what the key allows is
 * checked on the template (connect-stack tests); here, which key each parameter names.
 */

type Handler = (event: SecretStoreEvent, context: LambdaContext) => Promise<void>;

interface CloudFormationResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data: Record<string, string>;
}

interface ReceivedResponse {
  method: string;
  contentType: string | undefined;
  raw: string;
  body: CloudFormationResponse;
}

/** Every test token carries this mark, so that a leak of even part of one is caught. */
const TOKEN_MARK = 'tok3nmark';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/altinity-connect-test/0f0e4a70-0000-11f0-8000-0a1b2c3d4e5f';
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b';
const LOGICAL_ID = 'SecretsParametersA1B2C3D4';
const LOG_STREAM = '2026/11/25/[$LATEST]0123456789abcdef';
/** Lambda's own timeout for the function; the handler must answer before it. */
const LAMBDA_TIMEOUT_MS = 60_000;

function newToken(): string {
  return `${TOKEN_MARK}-${randomUUID()}-${randomUUID()}`;
}

function newEnvName(): string {
  return `env-${randomUUID().slice(0, 8)}`;
}

function propertiesFor(envName: string, tokenSource: { Token: string } | { StagedTokenParameter: string }, keyId = KEY_ARN): SecretStoreProperties {
  return { EnvName: envName, KeyId: keyId, ...tokenSource };
}

function lambdaContext(remainingMs = LAMBDA_TIMEOUT_MS): LambdaContext {
  const killedAt = Date.now() + remainingMs;
  return { logStreamName: LOG_STREAM, getRemainingTimeInMillis: () => killedAt - Date.now() };
}

/** Plays CloudFormation's side of the presigned response URL: records each PUT by request id. */
class ResponseEndpoint {
  private readonly received = new Map<string, ReceivedResponse>();
  private readonly server = http.createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      const requestId = new URL(request.url ?? '/', 'http://localhost').searchParams.get('request') ?? '';
      this.received.set(requestId, {
        method: request.method ?? '',
        contentType: request.headers['content-type'],
        raw,
        body: JSON.parse(raw) as CloudFormationResponse,
      });
      response.end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  urlFor(requestId: string): string {
    const { port } = this.server.address() as net.AddressInfo;
    return `http://127.0.0.1:${port}/cloudformation-response?request=${requestId}`;
  }

  take(requestId: string): ReceivedResponse {
    const response = this.received.get(requestId);
    if (!response) throw new Error(`the handler sent no response for request ${requestId}`);
    this.received.delete(requestId);
    return response;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** An SSM endpoint that is not moto: for the failures moto cannot produce (a hung call, an error echoing input). */
async function startFakeSsm(answer: (requestBody: string, response: http.ServerResponse) => void): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => answer(body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fresh instance of the handler module, whose SSM client is built with `environment` in effect. */
async function withIsolatedHandler<T>(environment: Record<string, string>, use: (handler: Handler) => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  try {
    let isolated: Handler | undefined;
    jest.isolateModules(() => {
      isolated = (require('../../lambda/secret-store/index') as { handler: Handler }).handler;
    });
    return await use(isolated!);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

let moto: MotoServer;
let ssm: SSMClient;
let cloudFormation: CloudFormationClient;
let handler: Handler;
const responses = new ResponseEndpoint();
let logged: string[] = [];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  [moto] = await Promise.all([startMotoServer(), responses.start()]);
  Object.assign(process.env, moto.env);
  // Only now, with the endpoint set, may the handler's module-level clients be built.
  handler = (require('../../lambda/secret-store/index') as { handler: Handler }).handler;
  ssm = new SSMClient(moto.clientConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
});

afterAll(async () => {
  ssm?.destroy();
  cloudFormation?.destroy();
  await Promise.all([moto?.stop(), responses.stop()]);
  process.env = savedEnvironment;
});

beforeEach(() => {
  logged = [];
  const record = (...args: unknown[]) => {
    logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg) ?? String(arg))).join(' '));
  };
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation(record);
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});

interface InvokeOptions {
  physicalResourceId?: string;
  oldProperties?: SecretStoreProperties;
  stackId?: string;
  context?: LambdaContext;
  run?: Handler;
}

/** The CloudFormation event for one request. */
function eventFor(requestType: SecretStoreEvent['RequestType'], properties: SecretStoreProperties, options: InvokeOptions, requestId: string): SecretStoreEvent {
  return {
    RequestType: requestType,
    ResponseURL: responses.urlFor(requestId),
    StackId: options.stackId ?? STACK_ID,
    RequestId: requestId,
    LogicalResourceId: LOGICAL_ID,
    ...(options.physicalResourceId ? { PhysicalResourceId: options.physicalResourceId } : {}),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:secret-store', ...properties },
    ...(options.oldProperties ? { OldResourceProperties: options.oldProperties } : {}),
  };
}

/**
 * Sends one CloudFormation event to the handler and returns what it PUT to the response URL, after
 * checking that no token reached the response or anything the handler logged.
 */
async function invoke(requestType: SecretStoreEvent['RequestType'], properties: SecretStoreProperties, options: InvokeOptions = {}): Promise<ReceivedResponse> {
  const requestId = randomUUID();
  const event = eventFor(requestType, properties, options, requestId);
  await (options.run ?? handler)(event, options.context ?? lambdaContext());
  const response = responses.take(requestId);
  expect(response.raw).not.toContain(TOKEN_MARK);
  expect(logged.join('\n')).not.toContain(TOKEN_MARK);
  expect(response.body).toMatchObject({ StackId: event.StackId, RequestId: requestId, LogicalResourceId: LOGICAL_ID });
  return response;
}

async function storedParameter(name: string) {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return Parameter!;
}

async function keyOf(name: string): Promise<string | undefined> {
  const { Parameters } = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
  return Parameters?.[0]?.KeyId;
}

async function tagsOf(name: string): Promise<Record<string, string>> {
  const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
  return Object.fromEntries((TagList ?? []).map((tag) => [tag.Key, tag.Value]));
}

async function expectAbsent(name: string): Promise<void> {
  await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
}

/** What the host does after login: claims the certificate parameter for its stack, then stores the certificate over the claim. */
async function hostStoresCertificate(envName: string, stackId = STACK_ID): Promise<void> {
  const name = certificateParameterName(envName);
  await ssm.send(new PutParameterCommand({ Name: name, Value: 'login claimed by i-0 at 1', Type: 'SecureString', KeyId: KEY_ARN, Tags: [{ Key: OWNER_TAG_KEY, Value: stackId }] }));
  await ssm.send(new PutParameterCommand({ Name: name, Value: '-----BEGIN CERTIFICATE-----', Type: 'SecureString', KeyId: KEY_ARN, Overwrite: true }));
}

/** A stack that exists in moto's CloudFormation, to own parameters: its id. */
async function liveStack(name: string): Promise<string> {
  const template = { Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } };
  const { StackId } = await cloudFormation.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
  return StackId!;
}

describe('with the token given (console mode)', () => {
  test('Create stores the token under the stack\'s key, tagged with its owner, and reports SUCCESS with the parameter names', async () => {
    const envName = newEnvName();
    const token = newToken();

    const response = await invoke('Create', propertiesFor(envName, { Token: token }));

    expect(response.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: tokenParameterName(envName),
      Data: { TokenParameterName: tokenParameterName(envName), CertificateParameterName: certificateParameterName(envName) },
    });
    // The presigned URL's signature covers an empty content type: any other value is rejected.
    expect(response).toMatchObject({ method: 'PUT', contentType: '' });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Type: 'SecureString', Value: token, Version: 1 });
    expect(await keyOf(tokenParameterName(envName))).toBe(KEY_ARN);
    expect(await tagsOf(tokenParameterName(envName))).toEqual({ [ENV_TAG_KEY]: envName, [OWNER_TAG_KEY]: STACK_ID });
  });

  test('Update with a new token rotates it; with the same token it writes nothing', async () => {
    const envName = newEnvName();
    const first = newToken();
    const created = await invoke('Create', propertiesFor(envName, { Token: first }));
    const same = await invoke('Update', propertiesFor(envName, { Token: first }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(envName, { Token: first }),
    });
    expect(same.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Version: 1 });

    const rotated = newToken();
    const response = await invoke('Update', propertiesFor(envName, { Token: rotated }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(envName, { Token: first }),
    });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Type: 'SecureString', Value: rotated, Version: 2 });
    expect(await keyOf(tokenParameterName(envName))).toBe(KEY_ARN);
  });

  test('Update to another environment name is refused with what to do instead; the parameters stay as they are', async () => {
    const oldEnv = newEnvName();
    const newEnv = newEnvName();
    const token = newToken();
    const created = await invoke('Create', propertiesFor(oldEnv, { Token: token }));
    await hostStoresCertificate(oldEnv);

    const updated = await invoke('Update', propertiesFor(newEnv, { Token: newToken() }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(oldEnv, { Token: token }),
    });

    expect(updated.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: created.body.PhysicalResourceId });
    expect(updated.body.Reason).toContain(`EnvName cannot change on an existing stack (${oldEnv} to ${newEnv})`);
    expect(updated.body.Reason).toContain(`Create a stack for ${newEnv} (altinity-connect-${newEnv}) and delete this one`);
    expect(updated.body.Reason).toContain(`its token and certificate belong to ${oldEnv}`);
    expect(await storedParameter(tokenParameterName(oldEnv))).toMatchObject({ Value: token, Version: 1 });
    expect(await storedParameter(certificateParameterName(oldEnv))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----' });
    await expectAbsent(tokenParameterName(newEnv));
  });

});

describe('Delete', () => {
  test('deletes the token and the certificate this stack owns, and echoes the physical id', async () => {
    const envName = newEnvName();
    const token = newToken();
    const created = await invoke('Create', propertiesFor(envName, { Token: token }));
    await hostStoresCertificate(envName);

    const response = await invoke('Delete', propertiesFor(envName, { Token: token }), { physicalResourceId: created.body.PhysicalResourceId });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    await expectAbsent(tokenParameterName(envName));
    await expectAbsent(certificateParameterName(envName));
  });

  test('succeeds when the parameters are already gone, so the stack can always be deleted', async () => {
    const envName = newEnvName();

    const response = await invoke('Delete', propertiesFor(envName, { Token: '' }), { physicalResourceId: tokenParameterName(envName) });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
  });

  test('with a physical id this function never issued, deletes nothing and echoes that id', async () => {
    const envName = newEnvName();
    const token = newToken();
    await invoke('Create', propertiesFor(envName, { Token: token }));
    const bogus = `${LOGICAL_ID}-invalid`;

    const response = await invoke('Delete', propertiesFor(envName, { Token: token }), { physicalResourceId: bogus });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: bogus });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token });
  });
});

describe('two stacks for one environment in one account and region', () => {
  test('neither can take or damage the other\'s secrets, and once the first is deleted the second may take over', async () => {
    const envName = newEnvName();
    const firstStack = await liveStack(`first-${envName}`);
    const secondStack = await liveStack(`second-${envName}`);
    const firstToken = newToken();
    await invoke('Create', propertiesFor(envName, { Token: firstToken }), { stackId: firstStack });
    await hostStoresCertificate(envName, firstStack);

    // The second stack's Create is refused, naming the first; its rollback Delete removes nothing.
    const refused = await invoke('Create', propertiesFor(envName, { Token: newToken() }), { stackId: secondStack });
    expect(refused.body.Status).toBe('FAILED');
    expect(refused.body.Reason).toContain(`${tokenParameterName(envName)} belongs to stack first-${envName} (${firstStack}), which still exists`);
    const rollback = await invoke('Delete', propertiesFor(envName, { Token: newToken() }), { stackId: secondStack, physicalResourceId: refused.body.PhysicalResourceId });
    expect(rollback.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: firstToken, Version: 1 });
    expect(await storedParameter(certificateParameterName(envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----' });
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: firstStack });

    // The first stack goes (its Delete never ran: say it failed), and the second is created again.
    await cloudFormation.send(new DeleteStackCommand({ StackName: firstStack }));
    const secondToken = newToken();
    const takenOver = await invoke('Create', propertiesFor(envName, { Token: secondToken }), { stackId: secondStack });

    expect(takenOver.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: secondToken });
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: secondStack });
    // The dead stack's certificate is not reused: the new stack's hosts log in with its own token.
    await expectAbsent(certificateParameterName(envName));
  });
});

describe('with the token staged by cdk deploy -c token=...', () => {
  test('Create moves it under the stack\'s key, owned by the stack, and deletes the staged copy', async () => {
    const envName = newEnvName();
    const token = newToken();
    const staged = await stageConnectionToken(ssm, envName, token);

    const response = await invoke('Create', propertiesFor(envName, { StagedTokenParameter: staged }));

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token });
    expect(await keyOf(tokenParameterName(envName))).toBe(KEY_ARN);
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: STACK_ID });
    await expectAbsent(staged);
  });

  test('Update with a newly staged token rotates it; with the same token it only deletes the staged copy', async () => {
    const envName = newEnvName();
    const token = newToken();
    const created = await invoke('Create', propertiesFor(envName, { StagedTokenParameter: await stageConnectionToken(ssm, envName, token) }));
    const old = propertiesFor(envName, { StagedTokenParameter: 'earlier' });

    const again = await stageConnectionToken(ssm, envName, token);
    await invoke('Update', propertiesFor(envName, { StagedTokenParameter: again }), { physicalResourceId: created.body.PhysicalResourceId, oldProperties: old });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token, Version: 1 });
    await expectAbsent(again);

    const rotated = newToken();
    const next = await stageConnectionToken(ssm, envName, rotated);
    const response = await invoke('Update', propertiesFor(envName, { StagedTokenParameter: next }), { physicalResourceId: created.body.PhysicalResourceId, oldProperties: old });
    expect(response.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: rotated, Version: 2 });
    await expectAbsent(next);
  });

  test('every other token staged for the environment goes too: a lookup pass\'s, a declined deployment\'s', async () => {
    const envName = newEnvName();
    const leftover = await stageConnectionToken(ssm, envName, newToken());
    const token = newToken();
    const staged = await stageConnectionToken(ssm, envName, token);

    const response = await invoke('Create', propertiesFor(envName, { StagedTokenParameter: staged }));

    expect(response.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token });
    await expectAbsent(leftover);
    await expectAbsent(staged);
  });

  test('Create without the staged copy fails, naming it and saying what to do', async () => {
    const envName = newEnvName();
    const missing = `/altinity-connect/${envName}/staged/20261126T000000Z-000000`;

    const response = await invoke('Create', propertiesFor(envName, { StagedTokenParameter: missing }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`the staged token ${missing} does not exist`);
    expect(response.body.Reason).toContain('Run cdk deploy again with the token');
    await expectAbsent(tokenParameterName(envName));
  });

  test('an Update run again after the staged copy was moved succeeds, keeping the token', async () => {
    const envName = newEnvName();
    const token = newToken();
    const staged = await stageConnectionToken(ssm, envName, token);
    const created = await invoke('Create', propertiesFor(envName, { StagedTokenParameter: staged }));

    const retried = await invoke('Update', propertiesFor(envName, { StagedTokenParameter: staged }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(envName, { StagedTokenParameter: 'earlier' }),
    });

    expect(retried.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token });
  });
});

describe('a stack created by 0.1.0 (parameters under aws/ssm, no owner tag), updated to this version', () => {
  test('Update takes ownership of both parameters and re-encrypts them under the stack\'s new key', async () => {
    const envName = newEnvName();
    const token = newToken();
    await ssm.send(new PutParameterCommand({ Name: tokenParameterName(envName), Value: token, Type: 'SecureString' }));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: tokenParameterName(envName), Tags: [{ Key: ENV_TAG_KEY, Value: envName }] }));
    await ssm.send(new PutParameterCommand({ Name: certificateParameterName(envName), Value: '-----BEGIN CERTIFICATE-----', Type: 'SecureString' }));

    const response = await invoke('Update', propertiesFor(envName, { Token: token }), {
      physicalResourceId: tokenParameterName(envName),
      oldProperties: { ...propertiesFor(envName, { Token: token }), KeyId: undefined as unknown as string },
    });

    expect(response.body.Status).toBe('SUCCESS');
    for (const name of [tokenParameterName(envName), certificateParameterName(envName)]) {
      expect({ name, key: await keyOf(name), owner: (await tagsOf(name))[OWNER_TAG_KEY] }).toEqual({ name, key: KEY_ARN, owner: STACK_ID });
    }
    expect(await storedParameter(certificateParameterName(envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----' });
  });
});

describe('with an existing certificate instead of a token', () => {
  test('Create with an empty token writes nothing and succeeds: the host reads the given certificate', async () => {
    const envName = newEnvName();

    const response = await invoke('Create', propertiesFor(envName, { Token: '' }));

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
    await expectAbsent(tokenParameterName(envName));
  });
});

describe('every event gets an answer', () => {
  test('a Create without its properties is answered FAILED, saying what it lacks', async () => {
    const requestId = randomUUID();
    const event = { ...eventFor('Create', propertiesFor(newEnvName(), { Token: '' }), {}, requestId), ResourceProperties: undefined } as unknown as SecretStoreEvent;

    await handler(event, lambdaContext());

    const response = responses.take(requestId);
    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toMatch(/^malformed event: no ResourceProperties\.EnvName and KeyId/);
    expect(response.body.PhysicalResourceId).toBe(`${LOGICAL_ID}-invalid`);
  });

  test('a malformed Delete is answered SUCCESS with its physical id, deleting nothing, so the stack can still be deleted', async () => {
    const requestId = randomUUID();
    const event = { ...eventFor('Delete', propertiesFor(newEnvName(), { Token: '' }), { physicalResourceId: 'something' }, requestId), ResourceProperties: {} } as unknown as SecretStoreEvent;

    await handler(event, lambdaContext());

    expect(responses.take(requestId).body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'something' });
  });

  test('an event without a response URL is logged, and the function ends without throwing', async () => {
    await expect(handler({ RequestType: 'Create' } as unknown as SecretStoreEvent, lambdaContext())).resolves.toBeUndefined();
    expect(logged.join('\n')).toContain('the event has no ResponseURL');
  });

  test('a response URL that cannot be reached is tried a few times and logged; the function does not throw', async () => {
    const envName = newEnvName();
    const event = { ...eventFor('Create', propertiesFor(envName, { Token: newToken() }), {}, randomUUID()), ResponseURL: 'http://127.0.0.1:1/unreachable' };

    await expect(handler(event, lambdaContext())).resolves.toBeUndefined();

    expect(logged.filter((line) => line.includes("cannot reach CloudFormation's response URL"))).toHaveLength(3);
    expect(logged.join('\n')).toContain('gave up answering CloudFormation');
  });
});

describe('failures moto cannot produce', () => {
  test('a request AWS refuses (a KMS key policy that denies the role) is reported FAILED with the reason and the log stream', async () => {
    const denying = await startFakeSsm((_requestBody, response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/Handler/x is not authorized to perform: kms:Encrypt' }));
    });
    try {
      const response = await withIsolatedHandler({ AWS_ENDPOINT_URL: denying.endpoint }, (run) => invoke('Create', propertiesFor(newEnvName(), { Token: newToken() }), { run }));

      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toMatch(/^AccessDeniedException: User: .* is not authorized to perform: kms:Encrypt/);
      expect(response.body.Reason).toContain(LOG_STREAM);
      expect(logged.join('\n')).toContain(response.body.Reason);
    } finally {
      await denying.stop();
    }
  });

  test('an SSM call that hangs is reported FAILED before Lambda would kill the function', async () => {
    const hung = await startFakeSsm(() => undefined);
    try {
      const remainingMs = 5_400;
      const started = Date.now();

      const response = await withIsolatedHandler({ AWS_ENDPOINT_URL: hung.endpoint }, (run) =>
        invoke('Create', propertiesFor(newEnvName(), { Token: newToken() }), { context: lambdaContext(remainingMs), run }),
      );

      expect(Date.now() - started).toBeLessThan(remainingMs);
      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toMatch(/no answer from AWS/);
    } finally {
      await hung.stop();
    }
  }, 10_000 /* without the guard this hangs: fail soon after the simulated Lambda timeout */);

  test('an SSM error that echoes the token is reported with the token masked', async () => {
    const echoing = await startFakeSsm((requestBody, response) => {
      const { Value } = JSON.parse(requestBody) as { Value?: string };
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'ValidationException', message: `Value '${Value}' at 'value' failed to satisfy constraint` }));
    });
    try {
      const token = newToken();
      const response = await withIsolatedHandler({ AWS_ENDPOINT_URL: echoing.endpoint }, (run) => invoke('Create', propertiesFor(newEnvName(), { Token: token }), { run }));

      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toMatch(/ValidationException: Value '(\*\*\*\*|undefined)' at 'value'/);
      expect(response.body.Reason).not.toContain(token);
    } finally {
      await echoing.stop();
    }
  });
});

test('the handler exactly as the template inlines it (packed, behind its loader) stores the token and answers CloudFormation', async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-store-bundle-'));
  try {
    const bundlePath = path.join(directory, 'index.js');
    fs.writeFileSync(bundlePath, inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME)));
    const envName = newEnvName();
    const token = newToken();
    const requestId = randomUUID();
    const event = eventFor('Create', propertiesFor(envName, { Token: token }), {}, requestId);
    const runAsLambda = `require(process.argv[1]).handler(JSON.parse(process.env.CFN_EVENT), {
      logStreamName: 'bundled', getRemainingTimeInMillis: () => ${LAMBDA_TIMEOUT_MS} })`;

    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', runAsLambda, bundlePath], {
      env: { ...process.env, ...moto.env, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules'), CFN_EVENT: JSON.stringify(event) },
    });

    expect(`${stdout}${stderr}`).not.toContain(TOKEN_MARK);
    const response = responses.take(requestId);
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Type: 'SecureString', Value: token });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});
