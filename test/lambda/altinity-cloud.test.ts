import { randomUUID, X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import type * as net from 'node:net';
import { CreateSecretCommand, ListSecretsCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { AltinityApi, type AwsEnvCreateSpec } from '../../lambda/altinity-api/client';
import type { CloudEvent, Dependencies } from '../../lambda/altinity-cloud/index';
import { deleteEnvironment as deleteEnvironmentOf } from '../../lambda/altinity-cloud/environment';
import { POLL_INTERVAL_MS } from '../../lambda/altinity-cloud/ready';
import { Masker, physicalIdOf } from '../../lambda/shared/custom-resource';
import {
  API_TOKEN_PARAMETER,
  API_URL_TAG_KEY,
  type AccessProperties,
  apiTokenParameterName,
  apiUrlDigest,
  CLOUD_FUNCTION_VARIABLES,
  CLOUD_LOGICAL_IDS,
  CLOUD_RESOURCE_TYPES,
  type CloudFunctionSettings,
  cloudCertificateParameterName,
  ON_STACK_DELETE,
  type OnStackDelete,
  readySliceId,
  specDigest,
  stagedApiTokenPrefix,
} from '../../lib/shared/cloud-stack-contract';
import { cloudStackNameFor, ENV_TAG_KEY, OWNER_TAG_KEY, readyStackNameFor } from '../../lib/shared/conventions';
import { validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { stagedTokenDigest } from '../../lib/shared/secret-store-contract';
import { AltinityCloudApi, ManualClock } from '../support/altinity-cloud-api';
import { CloudFormationStandIn } from '../support/cloudformation-standin';
import { type MotoServer, startMotoServer } from '../support/moto-server';
import { EXAMPLE_ENVIRONMENT_FILE } from '../support/environment-file';
import { createTestCa, type TestCa } from '../support/test-ca';

/**
 * The function that holds the Altinity.Cloud API token (lambda/altinity-cloud), run in-process: its
 * three resources (the access, the environment, the ready stack's slices) and its refusals. Stand-ins:
 * moto_server for SSM, Secrets Manager and CloudFormation; cloudformation-standin.ts for what
 * CloudFormation says of a resource and a stack while it awaits the answer; support/altinity-cloud-api.ts
 * for Altinity.Cloud over real TLS (its `/sign` issuing from the test CA, its GraphQL schema, its
 * environments on a manual clock, which the function's waits advance instead of sleeping); a local
 * server for CloudFormation's response URL. moto enforces no KMS key policy and no IAM: what the key
 * and the role allow is tested on the template (test/constructs/cloud-access.test.ts).
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ALTINITY_ACCOUNT = 'acme';
/** How long one run of the function waits, as Lambda's 15 minutes less the margins. */
const RUN_MS = 14 * 60_000;

const FILE = EXAMPLE_ENVIRONMENT_FILE;
const specJson = (file: object = FILE) => JSON.stringify(validateEnvironmentSpec(file, { region: REGION }));

interface TestStacks {
  readonly envName: string;
  readonly settings: CloudFunctionSettings;
  readonly readyStackId: string;
}

function newStacks(options: { staged?: boolean } = {}): TestStacks {
  const envName = `${ALTINITY_ACCOUNT}-${randomUUID().slice(0, 8)}`;
  const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${cloudStackNameFor(envName)}/${randomUUID()}`;
  const readyStackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${readyStackNameFor(envName)}/${randomUUID()}`;
  cloudFormationStandIn.declareStack(stackId, 'CREATE_IN_PROGRESS');
  cloudFormationStandIn.declareStack(readyStackId, 'CREATE_IN_PROGRESS');
  return {
    envName,
    readyStackId,
    settings: {
      stackId,
      readyStackName: readyStackNameFor(envName),
      envName,
      keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${randomUUID()}`,
      apiTokenParameter: apiTokenParameterName(envName),
      certificateParameter: cloudCertificateParameterName(envName),
      stagedTokenPrefix: options.staged ? stagedApiTokenPrefix(envName) : '',
      apiUrl: api.url,
    },
  };
}

let moto: MotoServer;
let cloudFormationStandIn: CloudFormationStandIn;
let ca: TestCa;
let api: AltinityCloudApi;
let clock: ManualClock;
let ssm: SSMClient;
let secretsManager: SecretsManagerClient;
let act: typeof import('../../lambda/altinity-cloud/index').act;
let handler: typeof import('../../lambda/altinity-cloud/index').handler;
let dependencies: Omit<Dependencies, 'deadline'>;
let logged: string[] = [];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  ca = createTestCa();
  clock = new ManualClock();
  [moto, api] = await Promise.all([startMotoServer(), AltinityCloudApi.start({ ca, clock })]);
  cloudFormationStandIn = await CloudFormationStandIn.start(moto.endpoint);
  Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationStandIn.endpoint });
  // Only now, with the endpoints set, may the handler's module-level clients be built.
  ({ act, handler } = require('../../lambda/altinity-cloud/index') as typeof import('../../lambda/altinity-cloud/index'));
  ssm = new SSMClient(moto.clientConfig);
  secretsManager = new SecretsManagerClient(moto.clientConfig);
  dependencies = {
    ssm,
    secrets: secretsManager,
    cloudFormation: new CloudFormationClient({ ...moto.clientConfig, endpoint: cloudFormationStandIn.endpoint }),
    altinity: (token) => new AltinityApi({ token, baseUrl: api.url, fetch: api.fetch, delay: async () => undefined }),
    now: () => clock.now(),
    sleep: async (ms) => clock.advance(ms),
  };
});

afterAll(async () => {
  await Promise.all([moto?.stop(), api?.close(), cloudFormationStandIn?.stop()]);
  ca?.remove();
  process.env = savedEnvironment;
});

beforeEach(() => {
  logged = [];
  for (const method of ['log', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
});

afterEach(() => {
  jest.restoreAllMocks();
  expect(api.takeUnusedFaults()).toEqual([]);
});

type RequestType = CloudEvent['RequestType'];

interface Request {
  readonly stacks: TestStacks;
  readonly properties: Record<string, unknown>;
  /** An Update's old properties. @default - the same as `properties` */
  readonly oldProperties?: Record<string, unknown>;
  readonly logicalId?: string;
  readonly physicalId?: string;
  readonly stackId?: string;
  readonly type?: string;
}

function eventOf(requestType: RequestType, request: Request): CloudEvent {
  const logicalId = request.logicalId ?? CLOUD_LOGICAL_IDS.access;
  const type = request.type ?? typeOf(logicalId);
  return {
    RequestType: requestType,
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:cloud`,
    ResponseURL: responses.urlFor(randomUUID()),
    StackId: request.stackId ?? (logicalId.startsWith('Ready') ? request.stacks.readyStackId : request.stacks.settings.stackId),
    RequestId: randomUUID(),
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceProperties: { ServiceToken: 'x', ...request.properties },
    ...(request.physicalId ? { PhysicalResourceId: request.physicalId } : {}),
    ...(requestType === 'Update' ? { OldResourceProperties: request.oldProperties ?? request.properties } : {}),
  } as CloudEvent;
}

function typeOf(logicalId: string): string {
  if (logicalId === CLOUD_LOGICAL_IDS.access) return CLOUD_RESOURCE_TYPES.access;
  if (logicalId === CLOUD_LOGICAL_IDS.environment) return CLOUD_RESOURCE_TYPES.environment;
  return CLOUD_RESOURCE_TYPES.ready;
}

/** One request as CloudFormation sends it: the resource in `<TYPE>_IN_PROGRESS` while the function works. */
async function run(requestType: RequestType, request: Request, runMs = RUN_MS): Promise<object | undefined> {
  const event = eventOf(requestType, request);
  cloudFormationStandIn.declare(event.StackId, event.LogicalResourceId, {
    status: `${requestType.toUpperCase()}_IN_PROGRESS`,
    physicalId: request.physicalId,
    type: event.ResourceType,
  });
  const secrets = new Masker();
  secrets.add(request.properties.Token);
  return act(event, request.stacks.settings, { ...dependencies, deadline: clock.now() + runMs }, secrets);
}

async function failureOf(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error) || !('reason' in error)) throw new Error(`expected a coded failure, got ${String(error)}`);
  return String(error.reason);
}

const accessProperties = (stacks: TestStacks, source: Partial<AccessProperties>) => ({
  EnvName: stacks.envName,
  KeyArn: stacks.settings.keyArn,
  ApiUrl: stacks.settings.apiUrl,
  ...source,
});
const environmentProperties = (stacks: TestStacks, file: object = FILE) => ({ EnvName: stacks.envName, Spec: specJson(file) });
const readyProperties = (stacks: TestStacks, onStackDelete: OnStackDelete = ON_STACK_DELETE.keep, slices = 3) => ({
  EnvName: stacks.envName,
  SpecDigest: specDigest(specJson()),
  OnStackDelete: onStackDelete,
  Slices: String(slices),
});

async function parameter(name: string): Promise<{ value?: string; keyId?: string; tags: Record<string, string> } | undefined> {
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
    const described = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
    const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    return { value, keyId: described.Parameters?.[0]?.KeyId, tags: Object.fromEntries((TagList ?? []).map((tag) => [tag.Key, tag.Value])) };
  } catch (error) {
    if (String(error).includes('ParameterNotFound')) return undefined;
    throw error;
  }
}

/** The stacks of an environment whose access is created: a token stored, a certificate signed. */
async function withAccess(options: { staged?: boolean } = {}): Promise<TestStacks & { token: string }> {
  const stacks = newStacks(options);
  const token = api.issueToken(ALTINITY_ACCOUNT);
  await run('Create', { stacks, properties: accessProperties(stacks, { Token: token }) });
  return { ...stacks, token };
}

/**
 * The stacks of an environment whose API token is stored as the access stores it (a SecureString
 * under the stack's key, tagged with its environment, owner and URL), without a certificate: what
 * the environment's and the ready stack's tests need, without the 4096-bit key, a second or more of
 * CPU, that the access makes for each (its own tests above make them).
 */
async function withStoredToken(): Promise<TestStacks & { token: string }> {
  const stacks = newStacks();
  const token = api.issueToken(ALTINITY_ACCOUNT);
  const tags = { [ENV_TAG_KEY]: stacks.envName, [OWNER_TAG_KEY]: stacks.settings.stackId, [API_URL_TAG_KEY]: apiUrlDigest(stacks.settings.apiUrl) };
  await ssm.send(
    new PutParameterCommand({
      Name: stacks.settings.apiTokenParameter,
      Value: token,
      Type: 'SecureString',
      KeyId: stacks.settings.keyArn,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return { ...stacks, token };
}

/** ... and whose environment Altinity.Cloud holds. */
async function withEnvironment(): Promise<TestStacks & { token: string }> {
  const stacks = await withStoredToken();
  await run('Create', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks) });
  return stacks;
}

/** Plays CloudFormation's side of the presigned response URL. */
const responses = new (class {
  private readonly received = new Map<string, { Status: string; Reason: string; PhysicalResourceId: string; Data?: object }>();
  private readonly server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      this.received.set(new URL(request.url ?? '/', 'http://x').searchParams.get('request') ?? '', JSON.parse(raw));
      response.end();
    });
  });
  started = new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  urlFor(requestId: string): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/response?request=${requestId}`;
  }
  take(url: string) {
    return this.received.get(new URL(url).searchParams.get('request') ?? '');
  }
  stop = () => new Promise((resolve) => this.server.close(resolve));
})();
afterAll(() => responses.stop());

/** Runs the handler as Lambda would, with the function's settings in its environment, and returns CloudFormation's answer. */
async function answerTo(event: CloudEvent, stacks: TestStacks) {
  await responses.started;
  cloudFormationStandIn.declare(event.StackId, event.LogicalResourceId, {
    status: `${event.RequestType.toUpperCase()}_IN_PROGRESS`,
    physicalId: physicalIdOf(event),
    type: event.ResourceType,
  });
  Object.assign(
    process.env,
    Object.fromEntries(Object.entries(stacks.settings).map(([setting, value]) => [CLOUD_FUNCTION_VARIABLES[setting as keyof CloudFunctionSettings], value])),
  );
  await handler(event, { logStreamName: 'stream', getRemainingTimeInMillis: () => 60_000 });
  return responses.take(event.ResponseURL);
}

describe('the access: the API token and the certificate signed with it', () => {
  test('Create keeps the token under the stack key, owned by the stack, and stores a certificate for a key made here', async () => {
    const stacks = await withAccess();
    const token = await parameter(stacks.settings.apiTokenParameter);
    expect(token).toEqual({
      value: stacks.token,
      keyId: stacks.settings.keyArn,
      tags: { [ENV_TAG_KEY]: stacks.envName, [OWNER_TAG_KEY]: stacks.settings.stackId, [API_URL_TAG_KEY]: apiUrlDigest(stacks.settings.apiUrl) },
    });
    const certificate = await parameter(stacks.settings.certificateParameter);
    expect(certificate).toMatchObject({ keyId: stacks.settings.keyArn, tags: { [OWNER_TAG_KEY]: stacks.settings.stackId } });
    const bundle = certificate?.value ?? '';
    const issued = new X509Certificate(bundle);
    expect(issued.subject).toBe(`CN=${stacks.envName}`);
    expect(issued.checkIssued(new X509Certificate(ca.caPem()))).toBe(true);
    expect(bundle).toMatch(/-----BEGIN RSA PRIVATE KEY-----/);
    // The request Altinity.Cloud saw held the public key only.
    const signing = api.requests.filter((request) => request.path === '/sign' && request.body.includes('CERTIFICATE REQUEST'));
    expect(signing.length).toBeGreaterThan(0);
    expect(signing.every((request) => !request.body.includes('PRIVATE KEY'))).toBe(true);
    expect(logged.join('\n')).not.toContain(stacks.token);
  });

  test('a token staged by cdk deploy is taken, checked against its name, and every staged copy deleted', async () => {
    const stacks = newStacks({ staged: true });
    const token = api.issueToken(ALTINITY_ACCOUNT);
    const name = `${stagedApiTokenPrefix(stacks.envName)}${stagedTokenDigest(token)}`;
    await secretsManager.send(new CreateSecretCommand({ Name: name }));
    await secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: token }));
    await run('Create', { stacks, properties: accessProperties(stacks, { StagedToken: name }) });
    expect((await parameter(stacks.settings.apiTokenParameter))?.value).toBe(token);
    const left = await secretsManager.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedApiTokenPrefix(stacks.envName)] }] }));
    expect(left.SecretList ?? []).toEqual([]);
  });

  test.each([
    ['the token parameter (the console, or cdk deploy without the variable)', false, [API_TOKEN_PARAMETER, 'ALTINITYCLOUD_API_TOKEN']],
    ['a staged token', true, ['ALTINITYCLOUD_API_TOKEN']],
  ])('Create without a token, in a stack with %s, names what gives one, and stores nothing', async (_, staged, named) => {
    const stacks = newStacks({ staged });
    const reason = await failureOf(run('Create', { stacks, properties: accessProperties(stacks, { Token: '' }) }));
    expect(reason).toMatch(/^\[api-token-missing\] /);
    for (const way of named) expect(reason).toContain(way);
    if (staged) expect(reason).not.toContain(`${API_TOKEN_PARAMETER} parameter`);
    expect(await parameter(stacks.settings.apiTokenParameter)).toBeUndefined();
  });

  describe('the stored token goes only to the Altinity.Cloud URL it was given for', () => {
    const ELSEWHERE = 'https://api.elsewhere.example';
    /** The stacks once the function's settings name another URL, as an update of AltinityApiUrl makes them. */
    const movedTo = (stacks: TestStacks & { token: string }, apiUrl: string) => ({ ...stacks, settings: { ...stacks.settings, apiUrl } });

    test.each([
      ['no token', () => ''],
      ["the stored token again, as the console resends a NoEcho parameter's previous value", (stacks: { token: string }) => stacks.token],
    ])('an update to a new URL with %s is refused, naming the URL, and sends the token nowhere', async (_, tokenOf) => {
      const stacks = await withAccess();
      const sent = api.requests.length;
      const reason = await failureOf(
        run('Update', {
          stacks: movedTo(stacks, ELSEWHERE),
          physicalId: stacks.settings.apiTokenParameter,
          properties: accessProperties(stacks, { ApiUrl: ELSEWHERE, Token: tokenOf(stacks) }),
          oldProperties: accessProperties(stacks, { Token: stacks.token }),
        }),
      );
      expect(reason).toMatch(
        new RegExp(
          `^\\[api-url-changed-without-token\\] the stored API token was given for another Altinity\\.Cloud URL than ${ELSEWHERE} \\(.*give a new API token, made for ${ELSEWHERE}, in the stack's ${API_TOKEN_PARAMETER} parameter`,
        ),
      );
      expect(api.requests.length).toBe(sent);
      const stored = await parameter(stacks.settings.apiTokenParameter);
      expect(stored).toMatchObject({ value: stacks.token, tags: { [API_URL_TAG_KEY]: apiUrlDigest(stacks.settings.apiUrl) } });
    });

    test("the rollback of a move to a new URL stores the console's earlier token again, for the earlier URL; trying the move again with it is refused", async () => {
      const stacks = await withAccess();
      const fresh = api.issueToken(ALTINITY_ACCOUNT);
      const [before, after] = [accessProperties(stacks, { Token: stacks.token }), accessProperties(stacks, { ApiUrl: ELSEWHERE, Token: fresh })];
      const physicalId = stacks.settings.apiTokenParameter;
      await run('Update', { stacks: movedTo(stacks, ELSEWHERE), physicalId, properties: after, oldProperties: before });
      // A later resource fails; the function's settings may still name the new URL while the access rolls back.
      cloudFormationStandIn.declareStack(stacks.settings.stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
      await run('Update', { stacks: movedTo(stacks, ELSEWHERE), physicalId, properties: before, oldProperties: after });
      expect(await parameter(physicalId)).toMatchObject({ value: stacks.token, tags: { [API_URL_TAG_KEY]: apiUrlDigest(stacks.settings.apiUrl) } });
      cloudFormationStandIn.declareStack(stacks.settings.stackId, 'UPDATE_IN_PROGRESS');
      // The console's "use existing value" resends the earlier token with the new URL: not a token made for it.
      const sent = api.requests.length;
      const retried = accessProperties(stacks, { ApiUrl: ELSEWHERE, Token: stacks.token });
      expect(await failureOf(run('Update', { stacks: movedTo(stacks, ELSEWHERE), physicalId, properties: retried, oldProperties: before }))).toMatch(
        /^\[api-url-changed-without-token\] .*giving the same token again changes nothing/,
      );
      expect(api.requests.length).toBe(sent);
    });

    test('a new token is stored bound to the new URL, and the function then refuses to send it to the old one', async () => {
      const stacks = await withAccess();
      const fresh = api.issueToken(ALTINITY_ACCOUNT);
      await run('Update', {
        stacks: movedTo(stacks, ELSEWHERE),
        physicalId: stacks.settings.apiTokenParameter,
        properties: accessProperties(stacks, { ApiUrl: ELSEWHERE, Token: fresh }),
        oldProperties: accessProperties(stacks, { Token: stacks.token }),
      });
      expect(await parameter(stacks.settings.apiTokenParameter)).toMatchObject({ value: fresh, tags: { [API_URL_TAG_KEY]: apiUrlDigest(ELSEWHERE) } });
      // The function's settings back at the old URL (a rollback of the function, or a hand edit): the token stays home.
      const sent = api.requests.length;
      const reason = await failureOf(run('Create', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks) }));
      expect(reason).toMatch(new RegExp(`^\\[api-url-changed-without-token\\] .*than ${stacks.settings.apiUrl} \\(`));
      expect(api.requests.length).toBe(sent);
    });
  });

  test('the rollback of an update leaves the stored token as the update left it, though the staged copy of the earlier one is gone', async () => {
    const stacks = newStacks({ staged: true });
    const staged = async (token: string) => {
      const name = `${stagedApiTokenPrefix(stacks.envName)}${stagedTokenDigest(token)}`;
      await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: token }));
      return name;
    };
    const [first, second] = [api.issueToken(ALTINITY_ACCOUNT), api.issueToken(ALTINITY_ACCOUNT)];
    const firstName = await staged(first);
    await run('Create', { stacks, properties: accessProperties(stacks, { StagedToken: firstName }) });
    const physicalId = stacks.settings.apiTokenParameter;
    const secondName = await staged(second);
    await run('Update', {
      stacks,
      physicalId,
      properties: accessProperties(stacks, { StagedToken: secondName }),
      oldProperties: accessProperties(stacks, { StagedToken: firstName }),
    });
    // A later resource fails: CloudFormation sends the old properties back, naming a staged copy swept long ago.
    cloudFormationStandIn.declareStack(stacks.settings.stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run('Update', {
      stacks,
      physicalId,
      properties: accessProperties(stacks, { StagedToken: firstName }),
      oldProperties: accessProperties(stacks, { StagedToken: secondName }),
    });
    expect((await parameter(physicalId))?.value).toBe(second);
    expect(logged).toContain('rolling back: the stored API token stays as the update left it, for the URL it was given for');
  });

  test('a token Altinity.Cloud refuses fails the Create with its code, and no certificate is stored', async () => {
    const stacks = newStacks();
    const reason = await failureOf(run('Create', { stacks, properties: accessProperties(stacks, { Token: 'anywhere-revoked' }) }));
    expect(reason).toMatch(/^\[altinity-token-refused\] /);
    expect(reason).not.toContain('anywhere-revoked');
    expect(await parameter(stacks.settings.certificateParameter)).toBeUndefined();
  });

  test('Update without a token keeps the stored one and the certificate; a new token replaces the stored one', async () => {
    const stacks = await withAccess();
    const signed = api.requests.filter((request) => request.path === '/sign').length;
    const before = (await parameter(stacks.settings.certificateParameter))?.value;
    const physicalId = stacks.settings.apiTokenParameter;
    await run('Update', { stacks, physicalId, properties: accessProperties(stacks, { Token: '' }) });
    expect((await parameter(stacks.settings.apiTokenParameter))?.value).toBe(stacks.token);
    expect((await parameter(stacks.settings.certificateParameter))?.value).toBe(before);
    const rotated = api.issueToken(ALTINITY_ACCOUNT);
    await run('Update', { stacks, physicalId, properties: accessProperties(stacks, { Token: rotated }) });
    expect((await parameter(stacks.settings.apiTokenParameter))?.value).toBe(rotated);
    expect(api.requests.filter((request) => request.path === '/sign')).toHaveLength(signed);
  });

  test('a certificate planted by someone who may write parameters is replaced, on Update, by one signed anew', async () => {
    const stacks = await withAccess();
    await ssm.send(
      new PutParameterCommand({ Name: stacks.settings.certificateParameter, Value: 'planted', Type: 'SecureString', KeyId: 'alias/aws/ssm', Overwrite: true }),
    );
    await run('Update', { stacks, physicalId: stacks.settings.apiTokenParameter, properties: accessProperties(stacks, { Token: '' }) });
    const certificate = await parameter(stacks.settings.certificateParameter);
    expect(certificate?.keyId).toBe(stacks.settings.keyArn);
    expect(new X509Certificate(certificate?.value ?? '').subject).toBe(`CN=${stacks.envName}`);
  });

  test('Delete removes the token and the certificate the stack owns', async () => {
    const stacks = await withAccess();
    await run('Delete', { stacks, physicalId: stacks.settings.apiTokenParameter, properties: accessProperties(stacks, {}) });
    expect(await parameter(stacks.settings.apiTokenParameter)).toBeUndefined();
    expect(await parameter(stacks.settings.certificateParameter)).toBeUndefined();
  });
});

describe("the environment's specification in Altinity.Cloud", () => {
  test("Create makes the environment for the stack's own account and region, reached through altinitycloud-connect", async () => {
    const stacks = await withStoredToken();
    const data = await run('Create', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks) });
    expect(data).toEqual({ SpecRevision: '1' });
    expect(api.environment(stacks.envName)?.spec).toMatchObject({
      awsAccountID: ACCOUNT,
      region: REGION,
      cidr: FILE.cidr,
      zones: FILE.zones,
      cloudConnect: true,
      nodeGroups: [expect.objectContaining({ nodeType: 't4g.large', capacityPerZone: 3 }), expect.objectContaining({ nodeType: 'm6i.large' })],
    });
  });

  test('Update changes what may change and answers the new revision', async () => {
    const stacks = await withEnvironment();
    const grown = { ...FILE, nodeGroups: [FILE.nodeGroups[0], { ...FILE.nodeGroups[1], capacityPerZone: 6 }] };
    const data = await run('Update', {
      stacks,
      logicalId: CLOUD_LOGICAL_IDS.environment,
      physicalId: stacks.envName,
      properties: environmentProperties(stacks, grown),
    });
    expect(data).toEqual({ SpecRevision: '2' });
    expect(api.environment(stacks.envName)?.spec.nodeGroups[1].capacityPerZone).toBe(6);
  });

  /** A file that gives nested objects and lists of objects, besides fields Altinity.Cloud fills in itself. */
  const RICH = {
    ...FILE,
    loadBalancers: { internal: { enabled: true, endpointServiceAllowedPrincipals: [`arn:aws:iam::${ACCOUNT}:root`] } },
    tags: [{ key: 'team', value: 'data' }],
  };
  const operationsSince = (from: number) => api.requests.slice(from).map((request) => /^(?:query|mutation) (\w+)/.exec(JSON.parse(request.body).query)?.[1]);

  test("an Update to what Altinity.Cloud holds already (a rollback's, say) sends nothing and answers the revision held", async () => {
    const stacks = await withStoredToken();
    const environment = { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks, RICH) };
    await run('Create', environment);
    const sent = api.requests.length;
    expect(await run('Update', { ...environment, physicalId: stacks.envName })).toEqual({ SpecRevision: '1' });
    expect(operationsSince(sent)).toEqual(['GetAWSEnv']);
    expect(api.environment(stacks.envName)?.specRevision).toBe(1);
    expect(logged).toContain(`${stacks.envName} in Altinity.Cloud holds the file's specification already: nothing sent, revision 1 stays`);
  });

  test.each([
    ['a tag', { ...RICH, tags: [{ key: 'team', value: 'ops' }] }],
    ['a field of a nested object', { ...RICH, loadBalancers: { ...RICH.loadBalancers, public: { sourceIPRanges: ['203.0.113.0/24'] } } }],
    ['a list grown', { ...RICH, tags: [...RICH.tags, { key: 'cost', value: 'ch' }] }],
  ])('an Update that changes %s sends it', async (_, changed) => {
    const stacks = await withStoredToken();
    const environment = { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks, RICH) };
    await run('Create', environment);
    const sent = api.requests.length;
    expect(await run('Update', { ...environment, physicalId: stacks.envName, properties: environmentProperties(stacks, changed) })).toEqual({
      SpecRevision: '2',
    });
    expect(operationsSince(sent)).toEqual(['GetAWSEnv', 'UpdateAWSEnv']);
  });

  test('a change to a field fixed at creation is refused, naming it, before anything is sent', async () => {
    const stacks = await withEnvironment();
    const sent = api.requests.length;
    const reason = await failureOf(
      run('Update', {
        stacks,
        logicalId: CLOUD_LOGICAL_IDS.environment,
        physicalId: stacks.envName,
        properties: environmentProperties(stacks, { ...FILE, cidr: '10.99.0.0/21' }),
      }),
    );
    expect(reason).toMatch(/^\[environment-field-fixed\] cidr \(Altinity\.Cloud holds "10\.67\.0\.0\/21"\) cannot change/);
    expect(api.requests.slice(sent).map((request) => JSON.parse(request.body).query)).toEqual([expect.stringMatching(/^query GetAWSEnv\(/)]);
    expect(api.environment(stacks.envName)?.specRevision).toBe(1);
  });

  test('a specification the stacks would not accept is refused with every problem, naming the fields', async () => {
    const stacks = await withStoredToken();
    const reason = await failureOf(
      run('Create', {
        stacks,
        logicalId: CLOUD_LOGICAL_IDS.environment,
        properties: { EnvName: stacks.envName, Spec: JSON.stringify({ ...FILE, cidr: '8.8.8.0/21', zones: ['eu-west-1a', 'eu-west-1b'] }) },
      }),
    );
    expect(reason).toMatch(/^\[environment-spec-invalid\] /);
    expect(reason).toContain('cidr');
    expect(reason).toContain('zones');
    expect(api.environment(stacks.envName)).toBeUndefined();
  });

  test("the console's parameters are set in its specification and judged with it; one given for a field the JSON sets too is refused before anything is sent", async () => {
    const stacks = await withStoredToken();
    const sent = api.requests.length;
    const conflicting = {
      EnvName: stacks.envName,
      Spec: JSON.stringify({ zones: ['us-east-1a', 'us-east-1b'] }),
      Fields: { Zones: 'us-east-1c,us-east-1d', Cidr: '' },
    };
    const reason = await failureOf(run('Create', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: conflicting }));
    expect(reason).toBe("[environment-spec-invalid] the console's parameters: Zones: EnvironmentSpec sets zones too; give it in one place only");
    expect(api.requests.length).toBe(sent);

    const combined = {
      EnvName: stacks.envName,
      Spec: JSON.stringify({ NAT: true }),
      Fields: { Zones: 'us-east-1c, us-east-1d', ClickHouseNodeType: 'm6i.xlarge' },
    };
    await run('Create', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: combined });
    expect(api.environment(stacks.envName)?.spec).toMatchObject({
      NAT: true,
      zones: ['us-east-1c', 'us-east-1d'],
      nodeGroups: [expect.anything(), expect.objectContaining({ nodeType: 'm6i.xlarge' })],
    });
  });

  const deleteEnvironment = (stacks: TestStacks) =>
    run('Delete', { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, physicalId: stacks.envName, properties: environmentProperties(stacks) });

  test('Delete leaves the environment to the ready stack', async () => {
    const stacks = await withEnvironment();
    await deleteEnvironment(stacks);
    expect(api.environment(stacks.envName)).toBeDefined();
    expect(logged).toContain(
      `${stacks.envName} stays in Altinity.Cloud: the environment resource leaves it to ${stacks.settings.readyStackName}, whose deletion deletes it only when its OnStackDelete says so`,
    );
  });

  test('Delete after the ready stack deleted the environment says that it is gone, not that it stays', async () => {
    const stacks = await withEnvironment();
    api.connect(stacks.envName);
    const sliceRequest = { stacks, logicalId: readySliceId(1), properties: readyProperties(stacks, ON_STACK_DELETE.delete, 1) };
    await run('Create', sliceRequest);
    cloudFormationStandIn.declareStack(stacks.readyStackId, 'DELETE_IN_PROGRESS');
    await run('Delete', { ...sliceRequest, physicalId: `${stacks.envName}-${readySliceId(1)}` });
    expect(api.environment(stacks.envName)).toBeUndefined();
    logged = [];
    await deleteEnvironment(stacks);
    expect(logged).toContain(`${stacks.envName} is not in Altinity.Cloud any more: the environment resource has nothing to leave`);
    expect(logged.join('\n')).not.toContain('stays');
  });

  test('Delete with a token Altinity.Cloud no longer takes succeeds, saying what it could not look up', async () => {
    const stacks = await withEnvironment();
    api.revokeToken(stacks.token);
    await deleteEnvironment(stacks);
    expect(api.environment(stacks.envName)).toBeDefined();
    expect(logged).toContainEqual(
      expect.stringMatching(
        `^the environment resource leaves ${stacks.envName} to ${stacks.settings.readyStackName}, whose deletion deleted it or left it as its OnStackDelete said ` +
          String.raw`\(not looked up in Altinity\.Cloud: \[altinity-token-refused\] `,
      ),
    );
  });

  test('an environment of the name for another AWS account is refused at Create, and its rollback leaves it alone, saying whose it is', async () => {
    const stacks = await withStoredToken();
    const theirs = await dependencies
      .altinity(stacks.token)
      .createAwsEnv(stacks.envName, { ...validateEnvironmentSpec(FILE, { region: REGION }), awsAccountID: '999999999999', region: REGION } as AwsEnvCreateSpec);
    const environment = { stacks, logicalId: CLOUD_LOGICAL_IDS.environment, properties: environmentProperties(stacks) };
    const reason = await failureOf(run('Create', environment));
    expect(reason).toMatch(
      /^\[environment-elsewhere\] .* exists in Altinity\.Cloud for account 999999999999, us-east-1, not for this stack's 123456789012, us-east-1/,
    );
    await run('Delete', { ...environment, physicalId: stacks.envName });
    expect(logged).toContain(
      `${stacks.envName} in Altinity.Cloud is for account 999999999999, ${REGION}, not this stack's: the stack never had it, and left it alone`,
    );
    expect(logged.join('\n')).not.toContain('stays');
    expect(api.environment(stacks.envName)?.specRevision).toBe(theirs.specRevision);
  });

  test("Delete's look at Altinity.Cloud is bounded in time: an Altinity.Cloud that does not answer does not hold up the stack", async () => {
    const stacks = await withEnvironment();
    api.failNext('hang');
    const started = Date.now();
    await deleteEnvironmentOf(stacks.settings, async () => dependencies.altinity(stacks.token), 500);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(logged).toContainEqual(expect.stringMatching(/\(not looked up in Altinity\.Cloud: .*no answer from Altinity\.Cloud within 1 s\)$/));
  });
});

describe('the ready stack: complete means ready', () => {
  const slice = (stacks: TestStacks, n: number, requestType: RequestType = 'Create', onStackDelete?: OnStackDelete, slices = 3) =>
    run(requestType, {
      stacks,
      logicalId: readySliceId(n),
      physicalId: requestType === 'Create' ? undefined : `${stacks.envName}-${readySliceId(n)}`,
      properties: readyProperties(stacks, onStackDelete, slices),
    });

  test('a slice waits while the environment provisions, and completes once its revision is applied', async () => {
    const stacks = await withEnvironment();
    api.connect(stacks.envName);
    const started = clock.now();
    expect(await slice(stacks, 1)).toEqual({ Progress: `${stacks.envName} is ready: revision 1 applied` });
    // The stand-in applies a revision after 10 connected minutes; the function asks every 30 s.
    expect(clock.now() - started).toBeGreaterThanOrEqual(10 * 60_000);
    expect(clock.now() - started).toBeLessThanOrEqual(10 * 60_000 + POLL_INTERVAL_MS);
    const asked = api.requests.length;
    expect(await slice(stacks, 2)).toEqual({ Progress: expect.stringContaining('is ready') });
    expect(api.requests.length - asked).toBe(1);
  });

  test('DISCONNECTED is waited out during the first provisioning: a slice ends waiting, and the last one gives up', async () => {
    const stacks = await withEnvironment();
    expect(await slice(stacks, 1)).toEqual({ Progress: expect.stringContaining('DISCONNECTED') });
    const reason = await failureOf(slice(stacks, 3));
    expect(reason).toMatch(/^\[environment-not-ready\] .*DISCONNECTED/);
  });

  test("an error Altinity.Cloud reports fails the slice at its next look, with Altinity's code and message", async () => {
    const stacks = await withEnvironment();
    api.connect(stacks.envName);
    api.failWith(stacks.envName, 'CLOUD_PROVIDER_QUOTA_EXCEEDED', 'vCPU limit reached');
    const started = clock.now();
    const reason = await failureOf(slice(stacks, 1));
    expect(reason).toBe('[environment-failed] Altinity.Cloud reports CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached');
    expect(clock.now() - started).toBeLessThanOrEqual(POLL_INTERVAL_MS);
  });

  test('after the first provisioning, DISCONNECTED fails the wait', async () => {
    const stacks = await withEnvironment();
    api.connect(stacks.envName);
    await slice(stacks, 1);
    api.disconnect(stacks.envName);
    expect(await failureOf(slice(stacks, 2, 'Update'))).toMatch(/^\[environment-failed\] Altinity\.Cloud reports DISCONNECTED/);
  });

  test('a rollback waits for nothing', async () => {
    const stacks = await withEnvironment();
    cloudFormationStandIn.declareStack(stacks.readyStackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const asked = api.requests.length;
    expect(await slice(stacks, 1, 'Update')).toBeUndefined();
    expect(api.requests.length).toBe(asked);
  });

  describe('deletion', () => {
    /** What CloudFormation reports of the ready stack while DeleteStack deletes its slices. */
    const deleting = (stacks: TestStacks) => cloudFormationStandIn.declareStack(stacks.readyStackId, 'DELETE_IN_PROGRESS');

    test('by default the environment stays, and the first slice deleted says so and how to delete it', async () => {
      const stacks = await withEnvironment();
      deleting(stacks);
      const asked = api.requests.length;
      await slice(stacks, 3, 'Delete', ON_STACK_DELETE.keep);
      expect(api.requests.length).toBe(asked);
      expect(api.environment(stacks.envName)).toBeDefined();
      expect(logged.join('\n')).toContain(`${stacks.envName} stays in Altinity.Cloud`);
    });

    test('opted in, the slices ask for the deletion once and wait for the deprovisioning, the last one deleted giving up', async () => {
      const stacks = await withEnvironment();
      api.connect(stacks.envName);
      await slice(stacks, 1);
      deleting(stacks);
      const started = clock.now();
      await slice(stacks, 3, 'Delete', ON_STACK_DELETE.delete);
      expect(api.environment(stacks.envName)).toBeUndefined();
      expect(clock.now() - started).toBeGreaterThanOrEqual(10 * 60_000);
      const deletions = api.requests.filter((request) => request.body.includes('DeleteAWSEnv') && request.body.includes(stacks.envName));
      expect(deletions).toHaveLength(1);
      await slice(stacks, 2, 'Delete', ON_STACK_DELETE.delete);
    });

    test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])(
      'opted in, a slice deleted while the stack is %s, not being deleted, leaves the environment and succeeds',
      async (status) => {
        const stacks = await withEnvironment();
        cloudFormationStandIn.declareStack(stacks.readyStackId, status);
        const asked = api.requests.length;
        expect(await slice(stacks, 1, 'Delete', ON_STACK_DELETE.delete)).toBeUndefined();
        expect(api.requests.slice(asked)).toEqual([]);
        expect(api.environment(stacks.envName)).toMatchObject({ pendingDelete: false, specRevision: 1 });
        expect(logged).toContainEqual(
          expect.stringContaining(`${stacks.envName} stays in Altinity.Cloud: ${stacks.settings.readyStackName} is ${status}, not being deleted`),
        );
      },
    );

    test('refused while ClickHouse clusters exist, unless told to destroy them', async () => {
      const stacks = await withEnvironment();
      api.connect(stacks.envName);
      await slice(stacks, 1);
      deleting(stacks);
      api.addCluster(stacks.envName);
      expect(await failureOf(slice(stacks, 3, 'Delete', ON_STACK_DELETE.delete))).toMatch(/^\[altinity-clusters-exist\] /);
      expect(api.environment(stacks.envName)?.pendingDelete).toBe(false);
      await slice(stacks, 3, 'Delete', ON_STACK_DELETE.deleteWithClusters);
      expect(api.environment(stacks.envName)).toBeUndefined();
    });

    test('an MFA confirmation is awaited, and tells the user when none comes', async () => {
      const stacks = await withEnvironment();
      api.connect(stacks.envName);
      await slice(stacks, 1);
      deleting(stacks);
      api.requireMfa(true);
      try {
        const reason = await failureOf(slice(stacks, 3, 'Delete', ON_STACK_DELETE.delete));
        expect(reason).toMatch(/^\[environment-deletion-unconfirmed\] .*MFA/);
        expect(logged.join('\n')).toContain('waiting for the MFA confirmation in the Altinity Cloud Manager');
      } finally {
        api.requireMfa(false);
      }
    });

    test('a disconnected environment is not asked to delete itself: Altinity deprovisions through the hosts', async () => {
      const stacks = await withEnvironment();
      api.connect(stacks.envName);
      await slice(stacks, 1);
      deleting(stacks);
      api.disconnect(stacks.envName);
      expect(await failureOf(slice(stacks, 3, 'Delete', ON_STACK_DELETE.delete))).toMatch(/^\[environment-failed\] .*DISCONNECTED.*Bring the hosts back/);
      expect(api.environment(stacks.envName)?.pendingDelete).toBe(false);
    });

    test('deprovisioning longer than the wait fails the last slice deleted, saying to delete again', async () => {
      const stacks = await withEnvironment();
      api.connect(stacks.envName);
      await slice(stacks, 1);
      deleting(stacks);
      const reason = await failureOf(
        run(
          'Delete',
          {
            stacks,
            logicalId: readySliceId(1),
            physicalId: `${stacks.envName}-${readySliceId(1)}`,
            properties: readyProperties(stacks, ON_STACK_DELETE.delete),
          },
          2 * 60_000,
        ),
      );
      expect(reason).toMatch(/^\[environment-still-deprovisioning\] /);
      expect(api.environment(stacks.envName)?.pendingDelete).toBe(true);
    });
  });
});

describe('refusals: only what CloudFormation sent for a resource of this function', () => {
  test.each([
    ['another stack', { stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/someone-else/1` }],
    ['a ready stack of another account', { stackId: `arn:aws:cloudformation:${REGION}:999999999999:stack/READY/1`, logicalId: readySliceId(1) }],
    ['a resource of another type', { type: 'Custom::Other' }],
    ['another environment', { envName: 'acme-other' }],
  ])('an event for %s', async (_, change: { stackId?: string; logicalId?: string; type?: string; envName?: string }) => {
    const stacks = await withEnvironment();
    const stackId = change.stackId?.replace('READY', stacks.settings.readyStackName);
    const properties = { ...accessProperties(stacks, { Token: 'anywhere-forged' }), ...(change.envName ? { EnvName: change.envName } : {}) };
    const sent = api.requests.length;
    const reason = await failureOf(
      run('Update', { stacks, stackId, logicalId: change.logicalId, type: change.type, physicalId: stacks.settings.apiTokenParameter, properties }),
    );
    expect(reason).toMatch(/^\[request-refused\] /);
    expect(api.requests.length).toBe(sent);
    expect((await parameter(stacks.settings.apiTokenParameter))?.value).toBe(stacks.token);
  });

  test('an event while CloudFormation is not working on the resource', async () => {
    const stacks = await withEnvironment();
    const event = eventOf('Delete', {
      stacks,
      logicalId: readySliceId(1),
      physicalId: `${stacks.envName}-${readySliceId(1)}`,
      properties: readyProperties(stacks, ON_STACK_DELETE.delete),
    });
    cloudFormationStandIn.declare(event.StackId, event.LogicalResourceId, {
      status: 'CREATE_COMPLETE',
      physicalId: `${stacks.envName}-${readySliceId(1)}`,
      type: event.ResourceType,
    });
    const reason = await failureOf(act(event, stacks.settings, { ...dependencies, deadline: clock.now() + RUN_MS }, new Masker()));
    expect(reason).toMatch(/^\[request-refused\] .*CREATE_COMPLETE, not DELETE_IN_PROGRESS/);
    expect(api.environment(stacks.envName)?.pendingDelete).toBe(false);
  });
});

describe('a ready stack under another name than the cloud stack expects', () => {
  test('its Create fails, saying which name to give it, and its rollback succeeds without touching the environment', async () => {
    const stacks = await withEnvironment();
    api.connect(stacks.envName);
    const misnamed = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/my-ready/${randomUUID()}`;
    cloudFormationStandIn.declareStack(misnamed, 'CREATE_IN_PROGRESS');
    const request = { stacks, stackId: misnamed, logicalId: readySliceId(1), properties: readyProperties(stacks, ON_STACK_DELETE.delete) };
    const sent = api.requests.length;

    const created = await answerTo(eventOf('Create', request), stacks);
    expect(created).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(
        new RegExp(`^\\[ready-stack-misnamed\\] ${readySliceId(1)} belongs to stack my-ready, .* create it as ${stacks.settings.readyStackName}\\.`),
      ),
      PhysicalResourceId: `${readySliceId(1)}-nothing-created`,
    });

    cloudFormationStandIn.declareStack(misnamed, 'ROLLBACK_IN_PROGRESS');
    const rolledBack = await answerTo(eventOf('Delete', { ...request, physicalId: created?.PhysicalResourceId }), stacks);
    expect(rolledBack).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${readySliceId(1)}-nothing-created` });
    cloudFormationStandIn.declareStack(misnamed, 'DELETE_IN_PROGRESS');
    const deleted = await answerTo(eventOf('Delete', { ...request, physicalId: created?.PhysicalResourceId }), stacks);
    expect(deleted).toMatchObject({ Status: 'SUCCESS' });
    expect(api.requests.length).toBe(sent);
    expect(api.environment(stacks.envName)?.pendingDelete).toBe(false);
  });

  test('the deletion of one of its slices succeeds and touches nothing, whatever physical id it carries', async () => {
    const stacks = await withEnvironment();
    const misnamed = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/my-ready/${randomUUID()}`;
    cloudFormationStandIn.declareStack(misnamed, 'DELETE_IN_PROGRESS');
    const sent = api.requests.length;
    const request = { stacks, stackId: misnamed, logicalId: readySliceId(1), physicalId: `${stacks.envName}-${readySliceId(1)}` };
    const deleted = await answerTo(eventOf('Delete', { ...request, properties: readyProperties(stacks, ON_STACK_DELETE.delete) }), stacks);
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: request.physicalId });
    expect(api.requests.length).toBe(sent);
    expect(api.environment(stacks.envName)?.pendingDelete).toBe(false);
  });
});

test("a failed Create's rollback succeeds even when the function's settings are unreadable", async () => {
  await responses.started;
  const stacks = newStacks();
  const event = eventOf('Delete', { stacks, physicalId: `${CLOUD_LOGICAL_IDS.access}-nothing-created`, properties: accessProperties(stacks, {}) });
  delete process.env[CLOUD_FUNCTION_VARIABLES.stackId];
  await handler(event, { logStreamName: 'stream', getRemainingTimeInMillis: () => 60_000 });
  expect(responses.take(event.ResponseURL)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${CLOUD_LOGICAL_IDS.access}-nothing-created` });
});

test('the handler answers CloudFormation, with the token masked in the reason and absent from its logs', async () => {
  const stacks = newStacks();
  const token = `anywhere-${randomUUID()}`;
  const event = eventOf('Create', { stacks, properties: accessProperties(stacks, { Token: token }) });
  Object.assign(event.ResourceProperties, { EnvName: 'acme-forged' });
  const response = await answerTo(event, stacks);
  expect(response).toMatchObject({
    Status: 'FAILED',
    Reason: expect.stringMatching(/^\[request-refused\] .*acme-forged/),
    PhysicalResourceId: `${CLOUD_LOGICAL_IDS.access}-nothing-created`,
  });
  expect(JSON.stringify(response)).not.toContain(token);
  expect(logged.join('\n')).not.toContain(token);
});
