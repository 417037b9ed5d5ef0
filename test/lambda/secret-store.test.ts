import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, ListSecretsCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AddTagsToResourceCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import type { SecretStoreEvent } from '../../lambda/secret-store/index';
import { bundleHandler, inlineHandlerCode } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { ENV_TAG_KEY, OWNER_TAG_KEY } from '../../lib/shared/conventions';
import { certificateParameterName, SECRET_STORE_LOGICAL_IDS, tokenParameterName } from '../../lib/shared/names';
import { FUNCTION_FAILURES } from '../../lib/shared/failures';
import {
  SECRET_STORE_VARIABLES,
  type SecretStoreProperties,
  type SecretStoreSettings,
  stagedTokenName,
  stagedTokenPrefix,
} from '../../lib/shared/secret-store-contract';
import { CloudFormationStandIn } from '../support/cloudformation-standin';
import { type MotoServer, startMotoServer } from '../support/moto-server';

/**
 * The secret-store custom resource's handler, run in-process as Lambda would run it, against
 * moto_server's SSM, Secrets Manager and CloudFormation. Stand-ins: a local HTTP server for
 * CloudFormation's presigned response URL; cloudformation-standin.ts for what CloudFormation says of
 * the resource while it awaits the answer (moto cannot say UPDATE_IN_PROGRESS); and, for failures moto
 * cannot produce, a fake SSM endpoint. moto enforces no KMS key policy and no IAM: what the key and
 * the roles allow is checked on the template (test/constructs/secret-store.test.ts); here, which key
 * each parameter names.
 */

type Handler = (event: SecretStoreEvent, context: Pick<Context, 'logStreamName' | 'getRemainingTimeInMillis'>) => Promise<void>;

interface CloudFormationResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

interface ReceivedResponse {
  method: string;
  contentType: string | undefined;
  raw: string;
  body: CloudFormationResponse;
}

/** Every test token carries this mark, so that a leak of even part of one is caught. */
const TOKEN_MARK = 'tok3nmark';
const ACCOUNT = '123456789012';
const LOGICAL_ID = SECRET_STORE_LOGICAL_IDS.resource;
const LOG_STREAM = '2026/11/25/[$LATEST]0123456789abcdef';
/** Lambda's own timeout for the function; the handler must answer before it. */
const LAMBDA_TIMEOUT_MS = 60_000;

function newToken(): string {
  return `${TOKEN_MARK}-${randomUUID()}-${randomUUID()}`;
}

/** A stack of its own for each test, as its function's settings describe it. */
interface TestStack {
  readonly envName: string;
  readonly stackId: string;
  readonly settings: SecretStoreSettings;
}

function stackFor(
  envName: string,
  stackId = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/altinity-connect-${envName}/${randomUUID()}`,
  keyArn = newKeyArn(),
): TestStack {
  return {
    envName,
    stackId,
    settings: {
      stackId,
      resourceId: LOGICAL_ID,
      envName,
      keyArn,
      tokenParameter: tokenParameterName(envName),
      certificateParameter: certificateParameterName(envName),
      stagedTokenPrefix: stagedTokenPrefix(envName),
      existingCertificateParameter: '',
    },
  };
}

function newStack(): TestStack {
  return stackFor(`env-${randomUUID().slice(0, 8)}`);
}

function newKeyArn(): string {
  return `arn:aws:kms:us-east-1:${ACCOUNT}:key/${randomUUID()}`;
}

function propertiesFor(stack: TestStack, tokenSource: { Token: string } | { StagedToken: string }): SecretStoreProperties {
  return { EnvName: stack.envName, KeyArn: stack.settings.keyArn, ...tokenSource };
}

function lambdaContext(remainingMs = LAMBDA_TIMEOUT_MS) {
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

/** Runs `use` with `environment` in effect (for the handler's settings, or a module's clients built under it). */
async function withEnvironment<T>(environment: Record<string, string>, use: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  try {
    return await use();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The function's environment as its stack sets it. */
function environmentOf(settings: SecretStoreSettings): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([setting, value]) => [SECRET_STORE_VARIABLES[setting as keyof SecretStoreSettings], value]));
}

/**
 * A fresh instance of the handler module whose clients see `environment` (the SDK reads the endpoint
 * variables when a client first sends, so they stay in effect for every call).
 */
function isolatedHandler(environment: Record<string, string>): Handler {
  let isolated: Handler | undefined;
  jest.isolateModules(() => {
    isolated = (require('../../lambda/secret-store/index') as { handler: Handler }).handler;
  });
  return (event, context) => withEnvironment(environment, () => isolated!(event, context));
}

let moto: MotoServer;
let cloudFormationStandIn: CloudFormationStandIn;
let ssm: SSMClient;
let secretsManager: SecretsManagerClient;
let cloudFormation: CloudFormationClient;
let handler: Handler;
const responses = new ResponseEndpoint();
let logged: string[] = [];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  [moto] = await Promise.all([startMotoServer(), responses.start()]);
  cloudFormationStandIn = await CloudFormationStandIn.start(moto.endpoint);
  Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationStandIn.endpoint });
  // Only now, with the endpoints set, may the handler's module-level clients be built.
  handler = (require('../../lambda/secret-store/index') as { handler: Handler }).handler;
  ssm = new SSMClient(moto.clientConfig);
  secretsManager = new SecretsManagerClient(moto.clientConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
});

afterAll(async () => {
  ssm?.destroy();
  secretsManager?.destroy();
  cloudFormation?.destroy();
  await Promise.all([moto?.stop(), responses.stop(), cloudFormationStandIn?.stop()]);
  process.env = savedEnvironment;
});

beforeEach(() => {
  logged = [];
  const record = (...args: unknown[]) => {
    logged.push(args.map((arg) => (typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? String(arg)))).join(' '));
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
  context?: ReturnType<typeof lambdaContext>;
  run?: Handler;
  /** The function's settings, when they differ from the stack's (while CloudFormation changes them). */
  settings?: SecretStoreSettings;
}

/** The CloudFormation event for one request of `stack`'s resource. */
function eventFor(
  requestType: SecretStoreEvent['RequestType'],
  stack: TestStack,
  properties: SecretStoreProperties,
  options: InvokeOptions,
  requestId: string,
): SecretStoreEvent {
  return {
    RequestType: requestType,
    ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:secret-store`,
    ResponseURL: responses.urlFor(requestId),
    StackId: stack.stackId,
    RequestId: requestId,
    LogicalResourceId: LOGICAL_ID,
    ResourceType: 'Custom::ConnectSecrets',
    ...(options.physicalResourceId ? { PhysicalResourceId: options.physicalResourceId } : {}),
    ResourceProperties: { ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:secret-store`, ...properties },
    ...(options.oldProperties ? { OldResourceProperties: options.oldProperties } : {}),
  } as SecretStoreEvent;
}

/**
 * Sends `event` to the handler with `settings` as its environment and returns what it PUT to the
 * response URL, after checking that no token reached the response or anything the handler logged.
 */
async function deliver(
  event: SecretStoreEvent,
  settings: SecretStoreSettings,
  options: Pick<InvokeOptions, 'run' | 'context'> = {},
): Promise<ReceivedResponse> {
  await withEnvironment(environmentOf(settings), () => (options.run ?? handler)(event, options.context ?? lambdaContext()));
  const response = responses.take(event.RequestId);
  expect(response.raw).not.toContain(TOKEN_MARK);
  expect(logged.join('\n')).not.toContain(TOKEN_MARK);
  expect(response.body).toMatchObject({ StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
  return response;
}

/**
 * One request as CloudFormation sends it: the resource is `<TYPE>_IN_PROGRESS` (with its physical id
 * once created) while the function handles it, then complete or failed as the answer says.
 */
async function invoke(
  requestType: SecretStoreEvent['RequestType'],
  stack: TestStack,
  properties: SecretStoreProperties,
  options: InvokeOptions = {},
): Promise<ReceivedResponse> {
  const event = eventFor(requestType, stack, properties, options, randomUUID());
  const type = requestType.toUpperCase();
  cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: `${type}_IN_PROGRESS`, physicalId: options.physicalResourceId });
  const response = await deliver(event, options.settings ?? stack.settings, options);
  const done = response.body.Status === 'SUCCESS' ? 'COMPLETE' : 'FAILED';
  cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: `${type}_${done}`, physicalId: response.body.PhysicalResourceId });
  return response;
}

/** A request CloudFormation did not send: the resource stays as CloudFormation reports it. */
async function sendAsAnyone(
  requestType: SecretStoreEvent['RequestType'],
  stack: TestStack,
  properties: SecretStoreProperties,
  options: InvokeOptions & { stackId?: string; logicalId?: string } = {},
): Promise<ReceivedResponse> {
  const event = {
    ...eventFor(requestType, stack, properties, options, randomUUID()),
    ...(options.stackId ? { StackId: options.stackId } : {}),
    ...(options.logicalId ? { LogicalResourceId: options.logicalId } : {}),
  };
  return deliver(event as SecretStoreEvent, stack.settings);
}

async function storedParameter(name: string) {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return Parameter!;
}

async function exists(name: string): Promise<boolean> {
  const { Parameters } = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
  return (Parameters ?? []).length > 0;
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
async function hostStoresCertificate(stack: TestStack): Promise<void> {
  const name = stack.settings.certificateParameter;
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: 'login claimed by i-0 at 1',
      Type: 'SecureString',
      KeyId: stack.settings.keyArn,
      Tags: [{ Key: OWNER_TAG_KEY, Value: stack.stackId }],
    }),
  );
  await ssm.send(
    new PutParameterCommand({ Name: name, Value: '-----BEGIN CERTIFICATE-----', Type: 'SecureString', KeyId: stack.settings.keyArn, Overwrite: true }),
  );
}

/** A stack that exists in moto's CloudFormation, to own parameters: its id. */
async function liveStackId(name: string): Promise<string> {
  const template = { Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } };
  const { StackId } = await cloudFormation.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
  return StackId!;
}

/** Stages `token` as `cdk deploy` does (lib/deploy/staged-token.ts writes it with a policy; moto ignores policies). */
async function stage(stack: TestStack, token: string): Promise<string> {
  const name = stagedTokenName(stack.envName, token);
  await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: token }));
  return name;
}

async function stagedNames(stack: TestStack): Promise<string[]> {
  const { SecretList } = await secretsManager.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stack.settings.stagedTokenPrefix] }] }));
  return (SecretList ?? []).map((secret) => secret.Name ?? '');
}

describe('with the token given (console mode)', () => {
  test("Create stores the token under the stack's key, tagged with its owner, and reports SUCCESS with the parameter names", async () => {
    const stack = newStack();
    const token = newToken();

    const response = await invoke('Create', stack, propertiesFor(stack, { Token: token }));

    expect(response.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: tokenParameterName(stack.envName),
      Data: { TokenParameterName: tokenParameterName(stack.envName), CertificateParameterName: certificateParameterName(stack.envName) },
    });
    // The presigned URL's signature covers an empty content type: any other value is rejected.
    expect(response).toMatchObject({ method: 'PUT', contentType: '' });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Type: 'SecureString', Value: token, Version: 1 });
    expect(await keyOf(tokenParameterName(stack.envName))).toBe(stack.settings.keyArn);
    expect(await tagsOf(tokenParameterName(stack.envName))).toEqual({ [ENV_TAG_KEY]: stack.envName, [OWNER_TAG_KEY]: stack.stackId });
    // It asked CloudFormation whether the request was real, about its own stack and resource.
    expect(cloudFormationStandIn.asked).toContainEqual({ stackName: stack.stackId, logicalId: LOGICAL_ID });
  });

  test('Update with a new token rotates it; with the same token it writes nothing', async () => {
    const stack = newStack();
    const first = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: first }));
    const physicalResourceId = created.body.PhysicalResourceId;
    const same = await invoke('Update', stack, propertiesFor(stack, { Token: first }), {
      physicalResourceId,
      oldProperties: propertiesFor(stack, { Token: first }),
    });
    expect(same.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalResourceId });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Version: 1 });

    const rotated = newToken();
    const response = await invoke('Update', stack, propertiesFor(stack, { Token: rotated }), {
      physicalResourceId,
      oldProperties: propertiesFor(stack, { Token: first }),
    });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalResourceId });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Type: 'SecureString', Value: rotated, Version: 2 });
    expect(await keyOf(tokenParameterName(stack.envName))).toBe(stack.settings.keyArn);
  });

  test("a change of EnvName is refused with what to do instead, and CloudFormation's rollback of it succeeds, changing nothing", async () => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    await hostStoresCertificate(stack);
    const renamed = stackFor(`env-${randomUUID().slice(0, 8)}`, stack.stackId, stack.settings.keyArn);
    const physicalResourceId = created.body.PhysicalResourceId;

    // CloudFormation has updated the function's settings to the new name, then sends the resource its Update.
    const refused = await invoke('Update', stack, propertiesFor(renamed, { Token: newToken() }), {
      physicalResourceId,
      oldProperties: propertiesFor(stack, { Token: token }),
      settings: renamed.settings,
    });
    expect(refused.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: physicalResourceId });
    expect(refused.body.Reason).toContain(
      `[${FUNCTION_FAILURES.environmentRenamed}] EnvName cannot change on an existing stack (${stack.envName} to ${renamed.envName})`,
    );
    expect(refused.body.Reason).toContain(`create a stack for ${renamed.envName} (altinity-connect-${renamed.envName}) and delete this one`);

    // Rolling back, CloudFormation sends the resource the old properties first, while the function still has the new settings.
    const rollback = await invoke('Update', stack, propertiesFor(stack, { Token: token }), {
      physicalResourceId,
      oldProperties: propertiesFor(renamed, { Token: newToken() }),
      settings: renamed.settings,
    });
    expect(rollback.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalResourceId });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token, Version: 1 });
    expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----' });
    await expectAbsent(tokenParameterName(renamed.envName));
  });
});

describe('Delete', () => {
  test('deletes the token and the certificate this stack owns, and echoes the physical id', async () => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    await hostStoresCertificate(stack);

    const response = await invoke('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId: created.body.PhysicalResourceId });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    await expectAbsent(tokenParameterName(stack.envName));
    await expectAbsent(certificateParameterName(stack.envName));
  });

  test('succeeds when the parameters are already gone, so the stack can always be deleted', async () => {
    const stack = newStack();

    const response = await invoke('Delete', stack, propertiesFor(stack, { Token: '' }), { physicalResourceId: tokenParameterName(stack.envName) });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(stack.envName) });
  });

  test('with a physical id this function never issued (a Create that failed early), deletes nothing and echoes that id', async () => {
    const stack = newStack();
    const token = newToken();
    await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    const bogus = `${LOGICAL_ID}-invalid`;

    const response = await invoke('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId: bogus });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: bogus });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token });
  });
});

describe('two stacks for one environment in one account and region', () => {
  test("neither can take or damage the other's secrets or staged token, and once the first is deleted the second may take over", async () => {
    const envName = `env-${randomUUID().slice(0, 8)}`;
    const first = stackFor(envName, await liveStackId(`first-${envName}`));
    const second = stackFor(envName, await liveStackId(`second-${envName}`));
    const firstToken = newToken();
    await invoke('Create', first, propertiesFor(first, { Token: firstToken }));
    await hostStoresCertificate(first);
    // The first stack's next deployment has staged a token that it has not taken yet.
    const pending = await stage(first, newToken());

    // The second stack's Create is refused, naming the first; its rollback Delete removes nothing.
    const refused = await invoke('Create', second, propertiesFor(second, { Token: newToken() }));
    expect(refused.body.Status).toBe('FAILED');
    expect(refused.body.Reason).toContain(
      `[${FUNCTION_FAILURES.ownedByAnotherStack}] ${tokenParameterName(envName)} belongs to stack first-${envName} (${first.stackId}), which still exists`,
    );
    const rollback = await invoke('Delete', second, propertiesFor(second, { Token: newToken() }), { physicalResourceId: refused.body.PhysicalResourceId });
    expect(rollback.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: firstToken, Version: 1 });
    expect(await storedParameter(certificateParameterName(envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----' });
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: first.stackId });
    expect(await stagedNames(first)).toEqual([pending]);

    // The first stack goes (its Delete never ran: say it failed), and the second is created again.
    await cloudFormation.send(new DeleteStackCommand({ StackName: first.stackId }));
    const secondToken = newToken();
    const takenOver = await invoke('Create', second, propertiesFor(second, { Token: secondToken }));

    expect(takenOver.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: secondToken });
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: second.stackId });
    // The dead stack's certificate is not reused: the new stack's hosts log in with its own token.
    await expectAbsent(certificateParameterName(envName));
  });

  test('created at the same moment, exactly one gets the secrets and the other is refused', async () => {
    const envName = `env-${randomUUID().slice(0, 8)}`;
    const stacks = [stackFor(envName, await liveStackId(`one-${envName}`)), stackFor(envName, await liveStackId(`two-${envName}`))];
    const tokens = [newToken(), newToken()];

    const responses = await Promise.all(stacks.map((stack, index) => invoke('Create', stack, propertiesFor(stack, { Token: tokens[index] }))));

    const statuses = responses.map((response) => response.body.Status).sort();
    expect(statuses).toEqual(['FAILED', 'SUCCESS']);
    const winner = responses.findIndex((response) => response.body.Status === 'SUCCESS');
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: tokens[winner], Version: 1 });
    expect(await tagsOf(tokenParameterName(envName))).toMatchObject({ [OWNER_TAG_KEY]: stacks[winner].stackId });
    expect(responses[1 - winner].body.Reason).toContain(`[${FUNCTION_FAILURES.ownedByAnotherStack}]`);
  });
});

describe('with the token staged by cdk deploy -c token=...', () => {
  test("Create moves it under the stack's key, owned by the stack, and deletes the staged copy", async () => {
    const stack = newStack();
    const token = newToken();
    const staged = await stage(stack, token);

    const response = await invoke('Create', stack, propertiesFor(stack, { StagedToken: staged }));

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(stack.envName) });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token });
    expect(await keyOf(tokenParameterName(stack.envName))).toBe(stack.settings.keyArn);
    expect(await tagsOf(tokenParameterName(stack.envName))).toMatchObject({ [OWNER_TAG_KEY]: stack.stackId });
    expect(await stagedNames(stack)).toEqual([]);
  });

  test('Update with a newly staged token rotates it; with the token the stack holds, it reads no staged copy', async () => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { StagedToken: await stage(stack, token) }));
    const physicalResourceId = created.body.PhysicalResourceId;
    const old = propertiesFor(stack, { StagedToken: stagedTokenName(stack.envName, token) });

    // The same token names the same copy, which the Create took: an update of anything else keeps it.
    const kept = await invoke('Update', stack, propertiesFor(stack, { StagedToken: stagedTokenName(stack.envName, token) }), {
      physicalResourceId,
      oldProperties: old,
    });
    expect(kept.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token, Version: 1 });

    const rotated = newToken();
    const response = await invoke('Update', stack, propertiesFor(stack, { StagedToken: await stage(stack, rotated) }), {
      physicalResourceId,
      oldProperties: old,
    });
    expect(response.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: rotated, Version: 2 });
    expect(await stagedNames(stack)).toEqual([]);
  });

  test("every other token staged for the environment goes too: a cdk synth's, a declined deployment's", async () => {
    const stack = newStack();
    const leftover = await stage(stack, newToken());
    const token = newToken();
    const staged = await stage(stack, token);

    const response = await invoke('Create', stack, propertiesFor(stack, { StagedToken: staged }));

    expect(response.body.Status).toBe('SUCCESS');
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token });
    expect(await stagedNames(stack)).not.toContain(leftover);
    expect(await stagedNames(stack)).toEqual([]);
  });

  test('Create without the staged copy fails, naming it and saying what to run', async () => {
    const stack = newStack();
    const missing = stagedTokenName(stack.envName, newToken());

    const response = await invoke('Create', stack, propertiesFor(stack, { StagedToken: missing }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`[${FUNCTION_FAILURES.stagedTokenMissing}] the staged token ${missing} does not exist`);
    expect(response.body.Reason).toContain('Run cdk deploy again with the token (ALTINITY_CONNECT_TOKEN=... npx cdk deploy -c env=...)');
    await expectAbsent(tokenParameterName(stack.envName));
  });

  test('a rotation whose staged copy is gone fails, saying so and what to run, instead of keeping the old token silently', async () => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { StagedToken: await stage(stack, token) }));
    const gone = stagedTokenName(stack.envName, newToken());

    const response = await invoke('Update', stack, propertiesFor(stack, { StagedToken: gone }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(stack, { StagedToken: stagedTokenName(stack.envName, token) }),
    });

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`the staged token ${gone} does not exist, so the token was not changed`);
    expect(response.body.Reason).toContain('Run cdk deploy again with the token');
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token, Version: 1 });
  });

  test('a staged copy that someone replaced (it no longer holds the token it is named after) is refused; the token stays', async () => {
    const stack = newStack();
    const token = newToken();
    const staged = await stage(stack, token);
    await secretsManager.send(new PutSecretValueCommand({ SecretId: staged, SecretString: `${TOKEN_MARK}-planted` }));

    const response = await invoke('Create', stack, propertiesFor(stack, { StagedToken: staged }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`[${FUNCTION_FAILURES.stagedTokenMismatch}] the staged copy ${staged} does not hold the token it is named after`);
    await expectAbsent(tokenParameterName(stack.envName));
  });
});

describe('a stack created by 0.1.0 (parameters under aws/ssm, no owner tag), updated to this version', () => {
  test("Update takes ownership of the token under the stack's new key, and deletes the certificate it cannot tell from a planted one", async () => {
    const stack = newStack();
    const token = newToken();
    await ssm.send(new PutParameterCommand({ Name: tokenParameterName(stack.envName), Value: token, Type: 'SecureString' }));
    await ssm.send(
      new AddTagsToResourceCommand({
        ResourceType: 'Parameter',
        ResourceId: tokenParameterName(stack.envName),
        Tags: [{ Key: ENV_TAG_KEY, Value: stack.envName }],
      }),
    );
    await ssm.send(new PutParameterCommand({ Name: certificateParameterName(stack.envName), Value: '-----BEGIN CERTIFICATE-----', Type: 'SecureString' }));

    const response = await invoke('Update', stack, propertiesFor(stack, { Token: token }), {
      physicalResourceId: tokenParameterName(stack.envName),
      oldProperties: { EnvName: stack.envName, Token: token } as SecretStoreProperties,
    });

    expect(response.body.Status).toBe('SUCCESS');
    const name = tokenParameterName(stack.envName);
    expect({ key: await keyOf(name), owner: (await tagsOf(name))[OWNER_TAG_KEY] }).toEqual({ key: stack.settings.keyArn, owner: stack.stackId });
    expect(await storedParameter(name)).toMatchObject({ Value: token });
    // The running hosts keep theirs; the next new host logs in again with the token.
    expect(await exists(certificateParameterName(stack.envName))).toBe(false);
    expect(logged.join('\n')).toContain(`deleted ${certificateParameterName(stack.envName)}: not written by this stack`);
  });
});

describe('a certificate planted by someone who may only write parameters', () => {
  // Tags outlive an overwrite, so a planted value may sit under this stack's owner tag.
  test.each([
    ['a String, over the owned parameter', { Type: 'String' as const, Overwrite: true }],
    ['a SecureString under aws/ssm, over the owned parameter', { Type: 'SecureString' as const, KeyId: 'alias/aws/ssm', Overwrite: true }],
  ])("%s: an Update deletes it instead of taking it under the stack's key", async (_, planted) => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    await hostStoresCertificate(stack);
    await ssm.send(new PutParameterCommand({ Name: certificateParameterName(stack.envName), Value: 'PLANTED CERTIFICATE', ...planted }));

    const rotated = newToken();
    const response = await invoke('Update', stack, propertiesFor(stack, { Token: rotated }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(stack, { Token: token }),
    });

    expect(response.body.Status).toBe('SUCCESS');
    expect(await exists(certificateParameterName(stack.envName))).toBe(false);
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: rotated });
  });

  test("the certificate this stack's host stored stays as it is through an Update", async () => {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    await hostStoresCertificate(stack);

    const response = await invoke('Update', stack, propertiesFor(stack, { Token: newToken() }), {
      physicalResourceId: created.body.PhysicalResourceId,
      oldProperties: propertiesFor(stack, { Token: token }),
    });

    expect(response.body.Status).toBe('SUCCESS');
    expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----', Version: 2 });
  });
});

describe('SSM that pages its answers', () => {
  /** moto's SSM behind a proxy that answers a first DescribeParameters as AWS may: an empty page and a NextToken. */
  async function startPagingSsm(): Promise<{ endpoint: string; stop(): Promise<void> }> {
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const parsed = JSON.parse(body.toString() || '{}') as { NextToken?: string };
        if (request.headers['x-amz-target'] === 'AmazonSSM.DescribeParameters' && parsed.NextToken === undefined) {
          response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          return void response.end(JSON.stringify({ Parameters: [], NextToken: 'page-2' }));
        }
        const forwarded = parsed.NextToken === 'page-2' ? Buffer.from(JSON.stringify({ ...parsed, NextToken: undefined })) : body;
        const upstream = http.request(
          `${moto.endpoint}${request.url}`,
          { method: request.method, headers: { ...request.headers, 'content-length': forwarded.length } },
          (answer) => {
            response.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(response);
          },
        );
        upstream.end(forwarded);
      });
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

  test("the certificate this stack's host stored is found on a later page, and stays through an Update", async () => {
    const paging = await startPagingSsm();
    try {
      const run = isolatedHandler({ AWS_ENDPOINT_URL_SSM: paging.endpoint });
      const stack = newStack();
      const token = newToken();
      const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }), { run });
      await hostStoresCertificate(stack);

      const response = await invoke('Update', stack, propertiesFor(stack, { Token: newToken() }), {
        run,
        physicalResourceId: created.body.PhysicalResourceId,
        oldProperties: propertiesFor(stack, { Token: token }),
      });

      expect(response.body.Status).toBe('SUCCESS');
      expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----', Version: 2 });
    } finally {
      await paging.stop();
    }
  });
});

describe('with an existing certificate instead of a token', () => {
  test('Create with an empty token writes nothing and succeeds: the hosts read the given certificate', async () => {
    const stack = newStack();

    const response = await invoke('Create', stack, propertiesFor(stack, { Token: '' }));

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(stack.envName) });
    await expectAbsent(tokenParameterName(stack.envName));
  });

  test("ExistingCertificateParameter below the stack's own path is refused at Create, and the certificate given is left as it is", async () => {
    const base = newStack();
    const stack = { ...base, settings: { ...base.settings, existingCertificateParameter: certificateParameterName(base.envName) } };
    await ssm.send(
      new PutParameterCommand({ Name: certificateParameterName(stack.envName), Value: '-----BEGIN CERTIFICATE----- given', Type: 'SecureString' }),
    );

    const response = await invoke('Create', stack, propertiesFor(stack, { Token: '' }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(
      `[${FUNCTION_FAILURES.existingCertificateInStackPath}] ExistingCertificateParameter ${certificateParameterName(stack.envName)} is below /altinity-connect/${stack.envName}/`,
    );
    expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE----- given', Version: 1 });
  });

  test('a certificate that no stack owns, where the new stack keeps its own, is refused at Create and left alone', async () => {
    const stack = newStack();
    await ssm.send(new PutParameterCommand({ Name: certificateParameterName(stack.envName), Value: '-----BEGIN CERTIFICATE----- kept', Type: 'SecureString' }));

    const response = await invoke('Create', stack, propertiesFor(stack, { Token: newToken() }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`[${FUNCTION_FAILURES.certificateNotOwned}] ${certificateParameterName(stack.envName)} exists and no stack owns it`);
    expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE----- kept' });
  });
});

describe('events CloudFormation did not send (anyone who may invoke the function can send them)', () => {
  /** A created stack whose host stored its certificate: what an attacker would aim at. */
  async function createdStack() {
    const stack = newStack();
    const token = newToken();
    const created = await invoke('Create', stack, propertiesFor(stack, { Token: token }));
    await hostStoresCertificate(stack);
    return { stack, token, physicalResourceId: created.body.PhysicalResourceId };
  }

  async function expectUntouched(stack: TestStack, token: string): Promise<void> {
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Value: token, Version: 1 });
    expect(await keyOf(tokenParameterName(stack.envName))).toBe(stack.settings.keyArn);
    expect(await storedParameter(certificateParameterName(stack.envName))).toMatchObject({ Value: '-----BEGIN CERTIFICATE-----', Version: 2 });
    expect(await keyOf(certificateParameterName(stack.envName))).toBe(stack.settings.keyArn);
  }

  test("an Update naming the account-wide aws/ssm key re-encrypts nothing, and the function's log says it refused", async () => {
    const { stack, token, physicalResourceId } = await createdStack();

    const response = await sendAsAnyone(
      'Update',
      stack,
      { ...propertiesFor(stack, { Token: token }), KeyArn: 'alias/aws/ssm' },
      { physicalResourceId, oldProperties: propertiesFor(stack, { Token: token }) },
    );

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(
      `[${FUNCTION_FAILURES.requestRefused}] not sent by CloudFormation for this resource: CloudFormation reports ${LOGICAL_ID} CREATE_COMPLETE, not UPDATE_IN_PROGRESS`,
    );
    expect(logged.join('\n')).toMatch(/refused Update request .*; nothing was changed/);
    await expectUntouched(stack, token);
  });

  test('a Delete with the real stack id and physical id deletes nothing', async () => {
    const { stack, token, physicalResourceId } = await createdStack();

    const response = await sendAsAnyone('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId });

    expect(response.body.Status).toBe('FAILED');
    expect(logged.join('\n')).toMatch(/refused Delete request .*; nothing was changed/);
    await expectUntouched(stack, token);
  });

  test("while CloudFormation really updates the resource, a forged Update still encrypts with the stack's own key only", async () => {
    const { stack, token, physicalResourceId } = await createdStack();
    cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: 'UPDATE_IN_PROGRESS', physicalId: physicalResourceId });

    const response = await sendAsAnyone('Update', stack, { ...propertiesFor(stack, { Token: token }), KeyArn: 'alias/aws/ssm' }, { physicalResourceId });

    expect(response.body.Status).toBe('SUCCESS');
    await expectUntouched(stack, token);
  });

  test('events for another stack, another resource or another physical id are refused without touching anything', async () => {
    const { stack, token, physicalResourceId } = await createdStack();
    cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: 'DELETE_IN_PROGRESS', physicalId: physicalResourceId });
    const otherStack = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/altinity-connect-other/${randomUUID()}`;
    cloudFormationStandIn.declare(otherStack, LOGICAL_ID, { status: 'DELETE_IN_PROGRESS', physicalId: physicalResourceId });

    const forOtherStack = await sendAsAnyone('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId, stackId: otherStack });
    const forOtherResource = await sendAsAnyone('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId, logicalId: 'Elsewhere' });
    const forOtherId = await sendAsAnyone('Delete', stack, propertiesFor(stack, { Token: token }), { physicalResourceId: '/altinity-connect/other/token' });

    expect(forOtherStack.body.Reason).toContain(`it names stack ${otherStack}, not ${stack.stackId}`);
    expect(forOtherResource.body.Reason).toContain(`it names resource Elsewhere, not ${LOGICAL_ID}`);
    expect(forOtherId.body.Reason).toContain(`CloudFormation knows ${LOGICAL_ID} as ${physicalResourceId}, not /altinity-connect/other/token`);
    for (const response of [forOtherStack, forOtherResource, forOtherId]) expect(response.body.Status).toBe('FAILED');
    await expectUntouched(stack, token);
  });
});

describe('every event gets an answer', () => {
  test('a function whose environment lacks its settings answers FAILED, naming them', async () => {
    const stack = newStack();
    const event = eventFor('Create', stack, propertiesFor(stack, { Token: newToken() }), {}, randomUUID());

    const response = await deliver(event, { ...stack.settings, keyArn: '', stackId: '' });

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toMatch(/^\[function-misconfigured\] the function's environment lacks STACK_ID, KEY_ARN/);
    expect(response.body.PhysicalResourceId).toBe(`${LOGICAL_ID}-invalid`);
  });

  test('an event without a response URL is logged, and the function ends without throwing', async () => {
    await expect(handler({ RequestType: 'Create' } as unknown as SecretStoreEvent, lambdaContext())).resolves.toBeUndefined();
    expect(logged.join('\n')).toContain('FAILED: no ResponseURL to answer');
  });

  test('a response URL that cannot be reached is tried a few times and logged; the function does not throw', async () => {
    const stack = newStack();
    const event = {
      ...eventFor('Create', stack, propertiesFor(stack, { Token: newToken() }), {}, randomUUID()),
      ResponseURL: 'http://127.0.0.1:1/unreachable',
    };
    cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: 'CREATE_IN_PROGRESS' });

    await expect(withEnvironment(environmentOf(stack.settings), () => handler(event, lambdaContext()))).resolves.toBeUndefined();

    expect(logged.filter((line) => line.includes('cannot reach the response URL'))).toHaveLength(3);
    expect(logged.join('\n')).toContain('gave up answering');
  });
});

describe('failures moto cannot produce', () => {
  test('a request AWS refuses (a KMS key policy that denies the role) is reported FAILED with the reason and the log stream', async () => {
    const denying = await startFakeSsm((_requestBody, response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          __type: 'AccessDeniedException',
          message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/Handler/x is not authorized to perform: kms:Encrypt`,
        }),
      );
    });
    try {
      const run = isolatedHandler({ AWS_ENDPOINT_URL_SSM: denying.endpoint });
      const stack = newStack();
      const response = await invoke('Create', stack, propertiesFor(stack, { Token: newToken() }), { run });

      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toMatch(/^\[aws-error\] AccessDeniedException: User: .* is not authorized to perform: kms:Encrypt/);
      expect(response.body.Reason).toContain(LOG_STREAM);
      expect(logged.join('\n')).toContain(response.body.Reason);
    } finally {
      await denying.stop();
    }
  });

  test('an SSM call that hangs is reported FAILED before Lambda would kill the function', async () => {
    const hung = await startFakeSsm(() => undefined);
    try {
      const run = isolatedHandler({ AWS_ENDPOINT_URL_SSM: hung.endpoint });
      const remainingMs = 5_400;
      const started = Date.now();
      const stack = newStack();

      const response = await invoke('Create', stack, propertiesFor(stack, { Token: newToken() }), { context: lambdaContext(remainingMs), run });

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
      const run = isolatedHandler({ AWS_ENDPOINT_URL_SSM: echoing.endpoint });
      const token = newToken();
      const stack = newStack();
      const response = await invoke('Create', stack, propertiesFor(stack, { Token: token }), { run });

      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toMatch(/ValidationException: Value '(\*\*\*\*|undefined)' at 'value'/);
      expect(response.body.Reason).not.toContain(token);
    } finally {
      await echoing.stop();
    }
  });
});

describe('the handler exactly as each template inlines it (packed, behind its loader)', () => {
  async function runBundled(staged: boolean, stack: TestStack, properties: SecretStoreProperties): Promise<ReceivedResponse> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-store-bundle-'));
    try {
      const bundlePath = path.join(directory, 'index.js');
      fs.writeFileSync(bundlePath, inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: staged })));
      const requestId = randomUUID();
      const event = eventFor('Create', stack, properties, {}, requestId);
      cloudFormationStandIn.declare(stack.stackId, LOGICAL_ID, { status: 'CREATE_IN_PROGRESS' });
      const runAsLambda = `require(process.argv[1]).handler(JSON.parse(process.env.CFN_EVENT), {
        logStreamName: 'bundled', getRemainingTimeInMillis: () => ${LAMBDA_TIMEOUT_MS} })`;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', runAsLambda, bundlePath], {
        env: {
          ...process.env,
          ...moto.env,
          AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationStandIn.endpoint,
          ...environmentOf(stack.settings),
          NODE_PATH: path.join(__dirname, '..', '..', 'node_modules'),
          CFN_EVENT: JSON.stringify(event),
        },
      });
      expect(`${stdout}${stderr}`).not.toContain(TOKEN_MARK);
      return responses.take(requestId);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  }

  test("the console's build stores the token given, and knows nothing of staged tokens", async () => {
    const stack = newStack();
    const token = newToken();
    const response = await runBundled(false, { ...stack, settings: { ...stack.settings, stagedTokenPrefix: '' } }, propertiesFor(stack, { Token: token }));
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(stack.envName) });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Type: 'SecureString', Value: token });

    const other = newStack();
    const ignored = await runBundled(
      false,
      { ...other, settings: { ...other.settings, stagedTokenPrefix: '' } },
      propertiesFor(other, { StagedToken: await stage(other, newToken()) }),
    );
    expect(ignored.body.Status).toBe('SUCCESS');
    await expectAbsent(tokenParameterName(other.envName));
  });

  test("cdk deploy's build moves the token it staged", async () => {
    const stack = newStack();
    const token = newToken();
    const response = await runBundled(true, stack, propertiesFor(stack, { StagedToken: await stage(stack, token) }));
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(stack.envName) });
    expect(await storedParameter(tokenParameterName(stack.envName))).toMatchObject({ Type: 'SecureString', Value: token });
    expect(await stagedNames(stack)).toEqual([]);
  });
});
