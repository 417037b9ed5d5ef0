import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { LambdaContext, SecretStoreEvent, SecretStoreProperties } from '../lambda/secret-store/index';
import { HANDLER_RUNTIME } from '../lib/constructs/secret-store';
import { bundleHandler } from '../lib/constructs/inline-handler';
import { certificateParameterName, ENV_TAG_KEY, tokenParameterName } from '../lib/shared/names';
import { storeConnectionToken } from '../lib/deploy/stored-token';
import { MotoServer, startMotoServer } from './support/moto-server';

/**
 * The secret-store custom resource handler, run in-process as Lambda would run it, against
 * moto_server's SSM, with a local HTTP server standing in for CloudFormation's presigned response URL.
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

function propertiesFor(envName: string, tokenSource: { Token: string } | { StoredTokenVersion: string }): SecretStoreProperties {
  return {
    EnvName: envName,
    TokenParameterName: tokenParameterName(envName),
    CertificateParameterName: certificateParameterName(envName),
    ...tokenSource,
  };
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
      isolated = (require('../lambda/secret-store/index') as { handler: Handler }).handler;
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
let handler: Handler;
const responses = new ResponseEndpoint();
let logged: string[] = [];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  [moto] = await Promise.all([startMotoServer(), responses.start()]);
  Object.assign(process.env, moto.env);
  // Only now, with the endpoint set, may the handler's module-level SSM client be built.
  handler = (require('../lambda/secret-store/index') as { handler: Handler }).handler;
  ssm = new SSMClient(moto.clientConfig);
});

afterAll(async () => {
  ssm?.destroy();
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

/**
 * Sends one CloudFormation event to `run` and returns what it PUT to the response URL, after checking
 * that no token reached the response or anything the handler logged.
 */
async function invoke(
  requestType: SecretStoreEvent['RequestType'],
  properties: SecretStoreProperties,
  options: { physicalResourceId?: string; context?: LambdaContext; run?: Handler } = {},
): Promise<ReceivedResponse> {
  const requestId = randomUUID();
  const event: SecretStoreEvent = {
    RequestType: requestType,
    ResponseURL: responses.urlFor(requestId),
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: LOGICAL_ID,
    ...(options.physicalResourceId ? { PhysicalResourceId: options.physicalResourceId } : {}),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:secret-store', ...properties },
  };
  await (options.run ?? handler)(event, options.context ?? lambdaContext());
  const response = responses.take(requestId);
  expect(response.raw).not.toContain(TOKEN_MARK);
  expect(logged.join('\n')).not.toContain(TOKEN_MARK);
  expect(response.body).toMatchObject({ StackId: STACK_ID, RequestId: requestId, LogicalResourceId: LOGICAL_ID });
  return response;
}

async function storedParameter(name: string) {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return Parameter!;
}

async function expectAbsent(name: string): Promise<void> {
  await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
}

/** What the host does after login: keeps its certificate as the certificate SecureString. */
async function hostStoresCertificate(envName: string): Promise<void> {
  await ssm.send(
    new PutParameterCommand({ Name: certificateParameterName(envName), Value: '-----BEGIN CERTIFICATE-----', Type: 'SecureString', Overwrite: true }),
  );
}

describe('with the token given (console mode)', () => {
  test('Create stores the token as a tagged SecureString and reports SUCCESS with the parameter names', async () => {
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
    const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: tokenParameterName(envName) }));
    expect(TagList).toContainEqual({ Key: ENV_TAG_KEY, Value: envName });
  });

  test('Update with a new token rotates it: the parameter holds the new token as a new version', async () => {
    const envName = newEnvName();
    const created = await invoke('Create', propertiesFor(envName, { Token: newToken() }));
    const rotated = newToken();

    const response = await invoke('Update', propertiesFor(envName, { Token: rotated }), {
      physicalResourceId: created.body.PhysicalResourceId,
    });

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Type: 'SecureString', Value: rotated, Version: 2 });
  });

  test('Update to another environment name replaces the resource: new physical id, and the cleanup Delete removes only the old parameters', async () => {
    const oldEnv = newEnvName();
    const newEnv = newEnvName();
    const token = newToken();
    const created = await invoke('Create', propertiesFor(oldEnv, { Token: token }));
    await hostStoresCertificate(oldEnv);

    const updated = await invoke('Update', propertiesFor(newEnv, { Token: token }), { physicalResourceId: created.body.PhysicalResourceId });

    expect(updated.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(newEnv) });
    expect(await storedParameter(tokenParameterName(newEnv))).toMatchObject({ Value: token });

    // A changed physical id makes CloudFormation delete the old resource once the update completes.
    const cleanup = await invoke('Delete', propertiesFor(oldEnv, { Token: token }), { physicalResourceId: created.body.PhysicalResourceId });

    expect(cleanup.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.body.PhysicalResourceId });
    await expectAbsent(tokenParameterName(oldEnv));
    await expectAbsent(certificateParameterName(oldEnv));
    expect(await storedParameter(tokenParameterName(newEnv))).toMatchObject({ Value: token });
  });

  test('a request SSM rejects is reported FAILED with SSM\'s reason and the log stream, not left to time out', async () => {
    const envName = newEnvName();
    const properties = { ...propertiesFor(envName, { Token: newToken() }), TokenParameterName: `/ssm/${envName}/token` };

    const response = await invoke('Create', properties);

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toMatch(/^ValidationException: Parameter name: can't be prefixed with "ssm"/);
    expect(response.body.Reason).toContain(LOG_STREAM);
    expect(logged.join('\n')).toContain(response.body.Reason);
  });
});

describe('Delete', () => {
  test('deletes the token and the certificate the host stored', async () => {
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

    const response = await invoke('Delete', propertiesFor(envName, { StoredTokenVersion: '1' }), {
      physicalResourceId: tokenParameterName(envName),
    });

    expect(response.body.Status).toBe('SUCCESS');
  });
});

describe('with the token stored before deployment (cdk deploy -c token=...)', () => {
  test('Create succeeds and leaves the stored token as it is', async () => {
    const envName = newEnvName();
    const token = newToken();
    const version = await storeConnectionToken(ssm, envName, token);

    const response = await invoke('Create', propertiesFor(envName, { StoredTokenVersion: String(version) }));

    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Value: token, Version: version });
  });

  test('Create without the stored parameter fails, naming the parameter and how to provide the token', async () => {
    const envName = newEnvName();

    const response = await invoke('Create', propertiesFor(envName, { StoredTokenVersion: '1' }));

    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain(`the connection token parameter ${tokenParameterName(envName)} does not exist`);
    expect(response.body.Reason).toContain('cdk deploy -c token=');
    await expectAbsent(tokenParameterName(envName));
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

describe('failures moto cannot produce', () => {
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
      expect(response.body.Reason).toMatch(/no answer from SSM/);
    } finally {
      await hung.stop();
    }
  }, 10_000 /* without the guard this hangs: fail soon after the simulated Lambda timeout */);

  test('an SSM error that echoes the token is reported with the token masked', async () => {
    const echoing = await startFakeSsm((requestBody, response) => {
      const { Value } = JSON.parse(requestBody) as { Value: string };
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'ValidationException', message: `Value '${Value}' at 'value' failed to satisfy constraint` }));
    });
    try {
      const response = await withIsolatedHandler({ AWS_ENDPOINT_URL: echoing.endpoint }, (run) =>
        invoke('Create', propertiesFor(newEnvName(), { Token: newToken() }), { run }),
      );

      expect(response.body.Status).toBe('FAILED');
      expect(response.body.Reason).toContain("ValidationException: Value '****' at 'value'");
    } finally {
      await echoing.stop();
    }
  });
});

test('the bundled handler, exactly as the template inlines it, stores the token and answers CloudFormation', async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-store-bundle-'));
  try {
    const bundlePath = path.join(directory, 'index.js');
    fs.writeFileSync(bundlePath, bundleHandler('secret-store', HANDLER_RUNTIME));
    const envName = newEnvName();
    const token = newToken();
    const requestId = randomUUID();
    const event: SecretStoreEvent = {
      RequestType: 'Create',
      ResponseURL: responses.urlFor(requestId),
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: LOGICAL_ID,
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:secret-store', ...propertiesFor(envName, { Token: token }) },
    };
    const runAsLambda = `require(process.argv[1]).handler(JSON.parse(process.env.CFN_EVENT), {
      logStreamName: 'bundled', getRemainingTimeInMillis: () => ${LAMBDA_TIMEOUT_MS} })`;

    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', runAsLambda, bundlePath], {
      env: { ...process.env, ...moto.env, NODE_PATH: path.join(__dirname, '..', 'node_modules'), CFN_EVENT: JSON.stringify(event) },
    });

    expect(`${stdout}${stderr}`).not.toContain(TOKEN_MARK);
    const response = responses.take(requestId);
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: tokenParameterName(envName) });
    expect(await storedParameter(tokenParameterName(envName))).toMatchObject({ Type: 'SecureString', Value: token });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});
