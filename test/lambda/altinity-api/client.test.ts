import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { inspect, promisify } from 'node:util';
import { AltinityApi, type AwsEnvCreateSpec, type Fetch } from '../../../lambda/altinity-api/client';
import { certificateBundle, certificateRequest } from '../../../lambda/altinity-api/csr';
import { ALTINITY_API_FAILURES as FAILURE } from '../../../lambda/altinity-api/failures';
import { deletion, readiness } from '../../../lambda/altinity-api/status';
import { DEFAULT_ALTINITY_URL } from '../../../lib/shared/conventions';
import { validateEnvironmentSpec } from '../../../lib/shared/environment-spec';
import { AltinityCloudApi, ManualClock } from '../../support/altinity-cloud-api';
import { createTestCa, type TestCa } from '../../support/test-ca';

/**
 * The client of Altinity.Cloud's API (lambda/altinity-api/client.ts) over real TLS against the
 * stand-in of support/altinity-cloud-api.ts, which stands in for Altinity.Cloud (its `/sign`, its
 * GraphQL schema's names and rules, its environments on a clock of its own) and trusts only its
 * tokens; the test CA (support/test-ca.ts) stands in for the public CA of its certificate and signs
 * the environments' certificates. The client trusts that CA through the stand-in's fetch, and, in
 * one test, Node's own fetch in a child process through NODE_EXTRA_CA_CERTS, as a Lambda function
 * could. The waits between retries are recorded instead of waited.
 */

const ACCOUNT = 'acme';
const ENV = 'acme-prod';
const TEN_MINUTES = 10 * 60_000;

const SPEC: AwsEnvCreateSpec = {
  awsAccountID: '123456789012',
  region: 'us-east-1',
  cidr: '10.67.0.0/21',
  zones: ['us-east-1a', 'us-east-1b'],
  nodeGroups: [
    { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
    { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
  ],
  loadBalancers: { public: { enabled: true, sourceIPRanges: ['0.0.0.0/0'] } },
  tags: [{ key: 'team', value: 'data' }],
};

let ca: TestCa;
let api: AltinityCloudApi;
const clock = new ManualClock();
let token: string;
let client: AltinityApi;
/** The waits between attempts the client asked for. */
let delays: number[];
let request: { privateKey: KeyObject; csrPem: string };
let environments = 0;

/** A name no test used yet, so that each test has its environment to itself. */
const freshName = () => `${ACCOUNT}-env${++environments}`;

function clientWith(options: { token?: string; baseUrl?: string; fetch?: Fetch; timeoutMs?: number } = {}): AltinityApi {
  return new AltinityApi({ token, baseUrl: api.url, fetch: api.fetch, delay: async (ms) => void delays.push(ms), ...options });
}

/** The failure `call` rejects with, after checking it fits a CloudFormation reason and hides the token. */
async function failureOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (failure: { code: string; message: string; name: string }) => failure,
  );
  expect(error.name).toBe('CodedFailure');
  expect(error.message).not.toContain(token);
  expect(error.message).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(1000);
  return { code: error.code, message: error.message };
}

/** What the stand-in received while `work` ran. */
async function requestsDuring(work: () => Promise<unknown>) {
  const mark = api.requests.length;
  await work();
  return api.requests.slice(mark);
}

beforeAll(async () => {
  ca = createTestCa();
  api = await AltinityCloudApi.start({ ca, clock, applyAfterMs: TEN_MINUTES, deprovisionAfterMs: TEN_MINUTES });
  token = api.issueToken(ACCOUNT);
  request = await certificateRequest(ENV);
});

beforeEach(() => {
  delays = [];
  client = clientWith();
});

afterEach(() => {
  // A fault no request met would fail the next test's first request instead.
  expect(api.takeUnusedFaults()).toEqual([]);
});

afterAll(async () => {
  // Whatever each test sent, no private key ever left the client.
  expect(api.requests.length).toBeGreaterThan(0);
  expect(api.requests.filter((sent) => sent.body.includes('PRIVATE KEY'))).toEqual([]);
  await api.close();
  ca.remove();
});

describe('sign', () => {
  test('gets a certificate for the request, which makes the connector its file; only the request is sent, with no Content-Type', async () => {
    let certificatePem = '';
    const sent = await requestsDuring(async () => {
      certificatePem = await client.sign(ENV, request.csrPem);
    });
    expect(certificateBundle(ENV, certificatePem, request.privateKey)).toMatch(/-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----/);
    expect(sent).toEqual([{ method: 'POST', path: '/sign', contentType: undefined, body: request.csrPem }]);
  });

  test("refuses what /sign refuses, quoting Altinity's reason", async () => {
    const small = await certificateRequest(ENV, 2048);
    expect(await failureOf(client.sign(ENV, small.csrPem))).toEqual(
      expect.objectContaining({
        code: FAILURE.rejected,
        message: expect.stringMatching(/^Altinity.Cloud refused signing the certificate of acme-prod: HTTP 400 the key must be RSA of at least 4096 bits/),
      }),
    );
    const elsewhere = await certificateRequest('globex-prod', 2048);
    expect((await failureOf(client.sign('globex-prod', elsewhere.csrPem))).message).toMatch(/it must start with acme-/);
  });

  test('refuses an answer that is not a certificate', async () => {
    api.failNext({ status: 200, body: '<html>maintenance</html>' });
    expect(await failureOf(client.sign(ENV, request.csrPem))).toEqual({
      code: FAILURE.badAnswer,
      message: 'Altinity.Cloud answered signing the certificate of acme-prod with no PEM certificate: <html>maintenance</html>',
    });
  });

  test('signs again after a transient answer', async () => {
    api.failNext({ status: 503 });
    await expect(client.sign(ENV, request.csrPem)).resolves.toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(delays).toEqual([500]);
  });
});

describe('environments', () => {
  test('creates an environment reached through altinitycloud-connect, even when told otherwise, at revision 1', async () => {
    const name = freshName();
    const sent = await requestsDuring(async () => {
      await expect(client.createAwsEnv(name, { ...SPEC, cloudConnect: false } as AwsEnvCreateSpec)).resolves.toEqual({
        mutationId: expect.any(String),
        specRevision: 1,
      });
    });
    expect(api.environment(name)?.spec.cloudConnect).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0].contentType).toBe('application/json');
    expect(JSON.parse(sent[0].body)).toEqual({
      query: expect.stringMatching(/^mutation CreateAWSEnv\(/),
      variables: { input: { name, spec: { ...SPEC, cloudConnect: true } } },
    });
  });

  test('reads the environment back under the schema names, and null for one that does not exist or is not the account’s', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    expect(await client.awsEnv(name)).toEqual({
      name,
      specRevision: 1,
      spec: {
        awsAccountID: SPEC.awsAccountID,
        region: SPEC.region,
        cidr: SPEC.cidr,
        zones: SPEC.zones,
        NAT: false,
        cloudConnect: true,
        resourcePrefix: '',
        permissionsBoundaryPolicyArn: null,
        kmsKeyARN: null,
        nodeGroups: [
          { name: 't4g.large', nodeType: 't4g.large', zones: SPEC.zones, capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
          { name: 'm6i.large', nodeType: 'm6i.large', zones: SPEC.zones, capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
        ],
        loadBalancers: {
          public: { enabled: true, sourceIPRanges: ['0.0.0.0/0'], crossZone: true },
          internal: {
            enabled: false,
            sourceIPRanges: ['0.0.0.0/0'],
            crossZone: true,
            endpointServiceAllowedPrincipals: [],
            endpointServiceSupportedRegions: [],
          },
        },
        tags: SPEC.tags,
      },
    });
    expect(await client.awsEnv(freshName())).toBeNull();
    expect(await client.awsEnvStatus(freshName())).toBeNull();
    const otherAccount = clientWith({ token: api.issueToken('globex') });
    expect(await otherAccount.awsEnvStatus(name)).toBeNull();
  });

  test("creates the environment an environment file describes: the file's validated spec is what createAWSEnv takes", async () => {
    // The compiler holds the fields both declare to one type; the stand-in's schema refuses any field the API lacks.
    const fromFile = validateEnvironmentSpec({ tags: [{ key: 'team', value: 'data' }] }, { region: SPEC.region });
    const spec: AwsEnvCreateSpec = { ...fromFile, awsAccountID: SPEC.awsAccountID, region: SPEC.region };
    const name = freshName();
    await client.createAwsEnv(name, spec);
    const created = await client.awsEnv(name);
    expect(created?.spec).toMatchObject({
      cidr: fromFile.cidr,
      zones: fromFile.zones,
      NAT: fromFile.NAT,
      cloudConnect: true,
      nodeGroups: fromFile.nodeGroups,
      loadBalancers: fromFile.loadBalancers,
      tags: fromFile.tags,
    });
  });

  test('reads NOT_FOUND as an absent environment', async () => {
    api.failNext({ graphqlError: 'env not found', code: 'NOT_FOUND' });
    expect(await client.awsEnvStatus(freshName())).toBeNull();
  });

  test('follows the status to ready: DISCONNECTED, then K8S_DISCONNECTED, tolerated until the first revision applies; then errors fail', async () => {
    const name = freshName();
    const { specRevision } = await client.createAwsEnv(name, SPEC);
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toEqual({
      state: 'waiting',
      progress: "waiting for the environment's first connection (DISCONNECTED: the environment is not connected)",
    });
    clock.advance(TEN_MINUTES);
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toMatchObject({ state: 'waiting', progress: expect.stringMatching(/\(DISCONNECTED/) });
    api.connect(name);
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toMatchObject({ state: 'waiting', progress: expect.stringMatching(/\(K8S_DISCONNECTED/) });
    clock.advance(TEN_MINUTES);
    const status = await client.awsEnvStatus(name);
    expect(readiness(status, specRevision)).toEqual({ state: 'ready' });
    expect(status?.status.awsResources).toEqual([expect.objectContaining({ name: 'vpc' })]);
    api.disconnect(name);
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toEqual({ state: 'failed', reason: 'DISCONNECTED: the environment is not connected' });
    api.connect(name);
    api.failWith(name, 'CLOUD_PROVIDER_ACCESS_DENIED', 'not authorized to perform ec2:CreateVpc');
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toEqual({
      state: 'failed',
      reason: 'CLOUD_PROVIDER_ACCESS_DENIED: not authorized to perform ec2:CreateVpc',
    });
  });

  test('refuses a taken name, whichever account took it (CONFLICT "conflict")', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    const conflict = expect.objectContaining({ code: FAILURE.conflict, message: expect.stringMatching(/the name is taken.*\(CONFLICT: conflict\)$/) });
    expect(await failureOf(client.createAwsEnv(name, SPEC))).toEqual(conflict);
    expect(await failureOf(clientWith({ token: api.issueToken('globex') }).createAwsEnv(name, SPEC))).toEqual(conflict);
  });

  test('reports a validation error, which has no code, as rejected', async () => {
    expect(await failureOf(client.createAwsEnv(freshName(), { ...SPEC, zones: ['us-east-1a'] }))).toEqual({
      code: FAILURE.rejected,
      message: `Altinity.Cloud rejected createAWSEnv of ${ACCOUNT}-env${environments}: at least 2 zones required`,
    });
  });

  test('updates with MERGE to a new revision, which applies once connected long enough; what it leaves out stays', async () => {
    const name = freshName();
    const internal = { enabled: false, endpointServiceSupportedRegions: ['us-west-2'] };
    await client.createAwsEnv(name, { ...SPEC, loadBalancers: { ...SPEC.loadBalancers, internal } });
    api.connect(name);
    clock.advance(TEN_MINUTES);
    const change = { zones: [...(SPEC.zones ?? []), 'us-east-1c'], nodeGroups: SPEC.nodeGroups, loadBalancers: { internal: { enabled: true } } };
    let specRevision = 0;
    const sent = await requestsDuring(async () => {
      ({ specRevision } = await client.updateAwsEnv(name, change));
    });
    expect(specRevision).toBe(2);
    expect(JSON.parse(sent[0].body).variables).toEqual({ input: { name, spec: change, updateStrategy: 'MERGE' } });
    // MERGE: objects merged, lists replaced; what the change leaves out (set in the ACM, say) keeps its value.
    expect(api.environment(name)?.spec).toMatchObject({
      zones: change.zones,
      tags: SPEC.tags,
      loadBalancers: { public: { enabled: true }, internal: { enabled: true, endpointServiceSupportedRegions: ['us-west-2'] } },
    });
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toEqual({ state: 'waiting', progress: 'revision 2 pending, revision 1 applied' });
    clock.advance(TEN_MINUTES);
    expect(readiness(await client.awsEnvStatus(name), specRevision)).toEqual({ state: 'ready' });
  });

  test("an update made from an environment file's whole spec sends only what updateAWSEnv can change", async () => {
    const name = freshName();
    const fromFile = validateEnvironmentSpec({ tags: [{ key: 'team', value: 'data' }] }, { region: SPEC.region });
    await client.createAwsEnv(name, { ...fromFile, awsAccountID: SPEC.awsAccountID, region: SPEC.region });
    const sent = await requestsDuring(async () => {
      await client.updateAwsEnv(name, { ...fromFile, tags: [{ key: 'team', value: 'platform' }] });
    });
    // cidr, NAT and cloudConnect are not fields of the update's input: Altinity would refuse the whole document.
    expect(Object.keys(JSON.parse(sent[0].body).variables.input.spec)).toEqual(['zones', 'nodeGroups', 'loadBalancers', 'tags']);
    expect(api.environment(name)?.spec.tags).toEqual([{ key: 'team', value: 'platform' }]);
  });

  test("Altinity's schema, as the stand-in applies it, refuses an update document with a field fixed at creation (HTTP 400)", async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    const document = 'mutation U($input:UpdateAWSEnvInput!){updateAWSEnv(input:$input){mutationId specRevision}}';
    const answer = await api.fetch(`${api.url}/api/v1/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: document, variables: { input: { name, spec: { zones: SPEC.zones, cidr: '10.68.0.0/21' } } } }),
    });
    const errors = JSON.parse(await answer.text()).errors.map((error: { message: string }) => error.message);
    expect({ status: answer.status, errors }).toEqual({ status: 400, errors: [expect.stringContaining('unknown field "cidr"')] });
  });

  test('dropping a zone is refused; updating an environment that does not exist is not found', async () => {
    const name = freshName();
    await client.createAwsEnv(name, { ...SPEC, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
    expect((await failureOf(client.updateAwsEnv(name, { zones: ['us-east-1a', 'us-east-1c'], nodeGroups: SPEC.nodeGroups }))).message).toMatch(
      /zones can only be appended$/,
    );
    expect(await failureOf(client.updateAwsEnv(freshName(), { zones: SPEC.zones }))).toEqual(
      expect.objectContaining({ code: FAILURE.notFound, message: expect.stringMatching(/no such environment \(NOT_FOUND: env not found\)$/) }),
    );
  });
});

describe('deleteAwsEnv', () => {
  test('refuses while clusters exist unless told to destroy them; then deprovisions until the environment is gone', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    api.connect(name);
    clock.advance(TEN_MINUTES);
    api.addCluster(name);
    expect(await failureOf(client.deleteAwsEnv(name))).toEqual(
      expect.objectContaining({ code: FAILURE.clustersExist, message: expect.stringMatching(/ClickHouse or ZooKeeper clusters .*forceDestroyClusters=true/) }),
    );
    const sent = await requestsDuring(async () => {
      expect(await client.deleteAwsEnv(name, { forceDestroyClusters: true })).toEqual({ pendingMFA: false });
    });
    expect(JSON.parse(sent[0].body).variables).toEqual({ input: { name, force: false, forceDestroyClusters: true } });
    expect(deletion(await client.awsEnvStatus(name), false)).toEqual({ state: 'deleting', progress: 'deprovisioning, AWS resources left: 1' });
    clock.advance(TEN_MINUTES);
    expect(await client.awsEnvStatus(name)).toBeNull();
    expect(deletion(null, false)).toEqual({ state: 'deleted' });
  });

  test('waits for the MFA confirmation, which lapses after 5 minutes', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    api.connect(name);
    api.requireMfa(true);
    try {
      expect(await client.deleteAwsEnv(name)).toEqual({ pendingMFA: true });
      expect(deletion(await client.awsEnvStatus(name), true)).toEqual({ state: 'pending-mfa' });
      clock.advance(6 * 60_000);
      expect(() => api.confirmMfa(name)).toThrow(/no deletion .* awaits MFA confirmation/);
      expect(deletion(await client.awsEnvStatus(name), true, { mfaWaitOver: true })).toMatchObject({ state: 'failed' });
      expect(await client.deleteAwsEnv(name)).toEqual({ pendingMFA: true });
      api.confirmMfa(name);
      expect(deletion(await client.awsEnvStatus(name), true)).toMatchObject({ state: 'deleting' });
    } finally {
      api.requireMfa(false);
    }
  });

  test('force removes at once; an absent environment, or NOT_FOUND, is what was asked for', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    expect(await client.deleteAwsEnv(name, { force: true })).toEqual({ pendingMFA: false });
    expect(await client.awsEnv(name)).toBeNull();
    expect(await client.deleteAwsEnv(name)).toEqual({ pendingMFA: false });
    api.failNext({ graphqlError: 'env not found', code: 'NOT_FOUND' });
    expect(await client.deleteAwsEnv(name)).toEqual({ pendingMFA: false });
  });
});

describe('answers that decide nothing', () => {
  // Answers the stand-in's server cannot shape (a body cut off, errors on a 5xx), from a fetch of the test's own.
  const answering =
    (status: number, text: () => Promise<string>): Fetch =>
    async () => ({ status, text });
  const unknownOutcome = { code: FAILURE.outcomeUnknown, message: expect.stringContaining('whether Altinity.Cloud made the change is unknown') };

  test('a change whose answer was cut off, came without data, or was a 5xx listing errors: its outcome is unknown', async () => {
    const cutOff = answering(200, async () => {
      throw new TypeError('terminated', { cause: { code: 'UND_ERR_SOCKET' } });
    });
    expect(await failureOf(clientWith({ fetch: cutOff }).createAwsEnv(freshName(), SPEC))).toEqual(unknownOutcome);
    expect(await failureOf(clientWith({ fetch: answering(200, async () => '{}') }).createAwsEnv(freshName(), SPEC))).toEqual(unknownOutcome);
    const failedWithErrors = answering(503, async () => JSON.stringify({ errors: [{ message: 'conflict', extensions: { code: 'CONFLICT' } }] }));
    expect(await failureOf(clientWith({ fetch: failedWithErrors }).createAwsEnv(freshName(), SPEC))).toEqual(unknownOutcome);
  });

  test('a read whose answer was cut off is retried, as one that never came', async () => {
    let calls = 0;
    const cutOffOnce: Fetch = async (url, init) => {
      calls += 1;
      return calls === 1 ? { status: 200, text: () => Promise.reject(new TypeError('terminated')) } : api.fetch(url, init);
    };
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    expect((await clientWith({ fetch: cutOffOnce }).awsEnv(name))?.name).toBe(name);
    expect(delays).toEqual([500]);
  });

  test('a schema error that names forceDestroyClusters is not the clusters refusal, which is a CONFLICT', async () => {
    const schemaError = answering(400, async () =>
      JSON.stringify({ errors: [{ message: 'Field "forceDestroyClusters" is not defined by type "DeleteAWSEnvInput".' }] }),
    );
    expect((await failureOf(clientWith({ fetch: schemaError }).deleteAwsEnv(freshName(), { forceDestroyClusters: true }))).code).toBe(FAILURE.rejected);
  });

  test('refuses to send the token anywhere but over TLS, or to this machine', () => {
    expect(() => new AltinityApi({ token: 'a-token', baseUrl: 'http://anywhere.altinity.cloud' })).toThrow(
      'the Altinity.Cloud API URL must start with https://, or it would carry the API token in clear: http://anywhere.altinity.cloud',
    );
    expect(new AltinityApi({ token: 'a-token', baseUrl: 'http://127.0.0.1:8080/' }).baseUrl).toBe('http://127.0.0.1:8080');
  });
});

describe('failures', () => {
  const tokenHint = /make a new one in the Altinity Cloud Manager \(My Account > Anywhere API Access\)$/;

  test.each([
    ['an unknown token', () => 'anywhere-never-issued'],
    [
      'a revoked token',
      () => {
        const revoked = api.issueToken(ACCOUNT);
        api.revokeToken(revoked);
        return revoked;
      },
    ],
  ])('%s: HTTP 401 Invalid API token, for a read, a change and a signature alike, never retried', async (_, tokenOf) => {
    token = tokenOf();
    try {
      const refused = clientWith();
      for (const call of [refused.awsEnvStatus(ENV), refused.createAwsEnv(freshName(), SPEC), refused.sign(ENV, request.csrPem)]) {
        expect(await failureOf(call)).toEqual({ code: FAILURE.tokenRefused, message: expect.stringMatching(/\(HTTP 401 Invalid API token\): make a new one/) });
      }
      expect(delays).toEqual([]);
    } finally {
      token = api.issueToken(ACCOUNT);
    }
  });

  test.each([
    ['UNAUTHORIZED', { graphqlError: 'unauthorized', code: 'UNAUTHORIZED' }, FAILURE.tokenRefused, tokenHint],
    ['"Invalid API token" with no code', { graphqlError: 'Invalid API token' }, FAILURE.tokenRefused, tokenHint],
    [
      'FORBIDDEN',
      { graphqlError: 'forbidden', code: 'FORBIDDEN' },
      FAILURE.forbidden,
      /forbids awsEnv of acme-prod to the API token's account \(FORBIDDEN: forbidden\)$/,
    ],
    ['CONFLICT', { graphqlError: 'a change is under way', code: 'CONFLICT' }, FAILURE.conflict, /\(CONFLICT: a change is under way\)$/],
    [
      'another code',
      { graphqlError: 'database unavailable', code: 'INTERNAL' },
      FAILURE.rejected,
      /rejected awsEnv of acme-prod: INTERNAL: database unavailable$/,
    ],
    ['an answer that is not JSON', { status: 200, body: 'OK' }, FAILURE.badAnswer, /without its data: OK$/],
    ['JSON without the data', { status: 200, body: '{"data":{}}' }, FAILURE.badAnswer, /without its data: \{"data":\{\}\}$/],
    ['another HTTP status', { status: 400, body: 'bad request' }, FAILURE.rejected, /rejected awsEnv of acme-prod: HTTP 400 bad request$/],
    ['HTTP 500, not retried', { status: 500, body: 'oops' }, FAILURE.unreachable, /awsEnv of acme-prod: HTTP 500 oops from https:\/\/127\.0\.0\.1:\d+$/],
  ])('%s', async (_, fault, code, message) => {
    api.failNext(fault);
    expect(await failureOf(client.awsEnvStatus(ENV))).toEqual({ code, message: expect.stringMatching(message) });
    expect(delays).toEqual([]);
  });

  test("Altinity's texts are masked where they hold the token, put on one line and shortened", async () => {
    api.failNext({ graphqlError: `token ${token} is not valid for\r\nthis\u0007 ${'x'.repeat(2000)}`, code: 'BAD_REQUEST' });
    const { message } = await failureOf(client.awsEnvStatus(ENV));
    expect(message).toMatch(/^Altinity.Cloud rejected awsEnv of acme-prod: BAD_REQUEST: token \[API token\] is not valid for this x+…$/);
    expect(message.length).toBeLessThan(500);
  });

  test('the client itself shows no token when logged', () => {
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain(token);
    expect(JSON.stringify(client)).not.toContain(token);
  });
});

describe('retries', () => {
  test('a read is retried on 429, 502, 503 and 504, 3 times from 500 ms doubling', async () => {
    const name = freshName();
    await client.createAwsEnv(name, SPEC);
    api.failNext({ status: 429 }, { status: 502 }, { status: 503 });
    const sent = await requestsDuring(async () => expect(await client.awsEnv(name)).toMatchObject({ name }));
    expect(sent).toHaveLength(4);
    expect(delays).toEqual([500, 1000, 2000]);
  });

  test('a read that keeps failing fails after the retries', async () => {
    api.failNext({ status: 504 }, { status: 504 }, { status: 504 }, { status: 504 });
    expect(await failureOf(client.awsEnvStatus(ENV))).toEqual({
      code: FAILURE.unreachable,
      message: expect.stringMatching(/^awsEnv of acme-prod: HTTP 504 from https:\/\/127\.0\.0\.1:\d+ after 4 attempts$/),
    });
    expect(delays).toEqual([500, 1000, 2000]);
  });

  test('a read is retried after a dropped connection or a timeout', async () => {
    api.failNext('reset', 'hang');
    expect(await clientWith({ timeoutMs: 1000 }).awsEnv(freshName())).toBeNull();
    expect(delays).toEqual([500, 1000]);
    delays = [];
    api.failNext('hang', 'hang', 'hang', 'hang');
    expect((await failureOf(clientWith({ timeoutMs: 1000 }).awsEnv(ENV))).message).toMatch(/no answer \(timed out\) from .* after 4 attempts$/);
  });

  test('a read fails after the retries when nothing listens', async () => {
    const nowhere = clientWith({ baseUrl: 'https://127.0.0.1:1' });
    expect(await failureOf(nowhere.awsEnv(ENV))).toEqual({
      code: FAILURE.unreachable,
      message: 'awsEnv of acme-prod: no answer (ECONNREFUSED) from https://127.0.0.1:1 after 4 attempts',
    });
    expect(delays).toEqual([500, 1000, 2000]);
  });

  test.each([
    ['HTTP 503', { status: 503 }, /HTTP 503; whether Altinity.Cloud made the change is unknown/],
    ['a dropped connection', 'reset' as const, /no answer \(ECONNRESET\); whether Altinity.Cloud made the change is unknown/],
  ])('a change is never retried: after %s its outcome is unknown', async (_, fault, message) => {
    api.failNext(fault);
    const name = freshName();
    const sent = await requestsDuring(async () => {
      expect(await failureOf(client.createAwsEnv(name, SPEC))).toEqual({ code: FAILURE.outcomeUnknown, message: expect.stringMatching(message) });
    });
    expect(sent).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('a change turned away with 429 was not made, and is not retried either', async () => {
    api.failNext({ status: 429, body: 'slow down' });
    expect(await failureOf(client.deleteAwsEnv(freshName()))).toEqual({
      code: FAILURE.unreachable,
      message: expect.stringMatching(/HTTP 429 slow down from /),
    });
    expect(delays).toEqual([]);
  });
});

describe('with Node’s own fetch', () => {
  test('defaults to Altinity.Cloud itself, with the token as bearer', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const recording: Fetch = async (url, init) => {
      calls.push({ url, init });
      return { status: 200, text: async () => '{"data":{"awsEnv":null}}' };
    };
    const production = new AltinityApi({ token, fetch: recording });
    expect(production.baseUrl).toBe(DEFAULT_ALTINITY_URL);
    expect(await production.awsEnv(ENV)).toBeNull();
    expect(calls).toEqual([
      {
        url: 'https://anywhere.altinity.cloud/api/v1/graphql',
        init: expect.objectContaining({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }),
      },
    ]);
  });

  test('signs and reads over TLS the process trusts through NODE_EXTRA_CA_CERTS, sending the request with no Content-Type', async () => {
    const script = `
      const { AltinityApi } = require(${JSON.stringify(path.resolve(__dirname, '../../../lambda/altinity-api/client.ts'))});
      const api = new AltinityApi({ token: process.env.ALTINITY_TOKEN, baseUrl: process.env.ALTINITY_URL });
      Promise.all([api.sign('acme-prod', process.env.CSR), api.awsEnv('acme-none')]).then(
        ([certificate, environment]) => process.stdout.write(JSON.stringify({ certificate, environment })),
        (error) => { process.stderr.write(error.message); process.exitCode = 1; },
      );`;
    const tsx = require.resolve('tsx/cjs');
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca.caFile, ALTINITY_TOKEN: token, ALTINITY_URL: api.url, CSR: request.csrPem };
    let answer = { certificate: '', environment: undefined };
    const sent = await requestsDuring(async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--require', tsx, '--eval', script], { env });
      answer = JSON.parse(stdout);
    });
    expect(answer.environment).toBeNull();
    expect(() => certificateBundle(ENV, answer.certificate, request.privateKey)).not.toThrow();
    expect(sent.map(({ path, contentType }) => ({ path, contentType }))).toEqual(
      expect.arrayContaining([
        { path: '/sign', contentType: undefined },
        { path: '/api/v1/graphql', contentType: 'application/json' },
      ]),
    );
  });
});
