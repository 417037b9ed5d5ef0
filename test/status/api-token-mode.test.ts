import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, CloudFormationServiceException, CreateStackCommand, type StackEvent, type StackStatus } from '@aws-sdk/client-cloudformation';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AltinityApi, type AwsEnvCreateSpec } from '../../lambda/altinity-api/client';
import { CLOUD_LOGICAL_IDS, CLOUD_RESOURCE_TYPES, readySliceId } from '../../lib/shared/cloud-stack-contract';
import { ENVIRONMENT_FAILURES } from '../../lib/shared/failures';
import { runStatus, type StatusIo } from '../../lib/status/cli';
import type { StatusClients } from '../../lib/status/fetch';
import type { StatusReport } from '../../lib/status/report';
import { AltinityCloudApi, ManualClock } from '../support/altinity-cloud-api';
import { forTheEmulator, idleFunctionResources } from '../support/emulator-template';
import { startMotoServer, TEST_REGION, type MotoServer } from '../support/moto-server';
import { consoleModeTemplate } from '../support/templates';
import { createTestCa, type TestCa } from '../support/test-ca';

/**
 * The status command on an environment that the stacks created from an Anywhere API token: its
 * three stacks, and the environment as Altinity.Cloud reports it. moto_server stands in for
 * CloudFormation and EC2: the connect stack is the console template's, as in
 * on-the-emulator.test.ts, and the cloud and ready stacks are stand-ins with their names and one
 * custom resource each, of their types, which the test answers as their function would. The stand-in
 * of Altinity.Cloud's API (support/altinity-cloud-api.ts) answers over real TLS, with a certificate
 * of the test CA (support/test-ca.ts, for the public CA of Altinity.Cloud's certificate) that the
 * command trusts through the stand-in's fetch, and `npm run status` through NODE_EXTRA_CA_CERTS; its
 * environments move on its manual clock. moto never fails a stack, nor refuses a request: a
 * middleware on the real CloudFormation client answers for those, and passes every other request to
 * moto_server.
 */

const AMI_PARAMETER = '/test/status/ubuntu-ami';
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const ACCOUNT = 'acme';
const TEN_MINUTES = 10 * 60_000;
const SPEC: AwsEnvCreateSpec = {
  awsAccountID: '123456789012',
  region: TEST_REGION,
  cidr: '10.67.0.0/21',
  zones: ['us-east-1a', 'us-east-1b'],
  nodeGroups: [
    { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
    { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
  ],
};

let moto: MotoServer;
let cloudFormation: CloudFormationClient;
let subnetId: string;
let vpcId: string;
let ca: TestCa;
let api: AltinityCloudApi;
const clock = new ManualClock();
let token: string;
let environments = 0;

beforeAll(async () => {
  moto = await startMotoServer();
  Object.assign(process.env, moto.env);
  cloudFormation = new CloudFormationClient({});
  await new SSMClient({}).send(new PutParameterCommand({ Name: AMI_PARAMETER, Type: 'String', Value: 'ami-12c6146b' }));
  const [subnet] = (await new EC2Client({}).send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  subnetId = subnet.SubnetId!;
  vpcId = subnet.VpcId!;
  ca = createTestCa();
  api = await AltinityCloudApi.start({ ca, clock, applyAfterMs: TEN_MINUTES, deprovisionAfterMs: TEN_MINUTES });
  token = api.issueToken(ACCOUNT);
});

afterEach(() => {
  expect(api.takeUnusedFaults()).toEqual([]);
});

afterAll(async () => {
  await api?.close();
  ca?.remove();
  await moto?.stop();
});

/** A name no test used yet, so that each test has its stacks and environment to itself. */
const freshName = () => `${ACCOUNT}-t${++environments}`;

/** What the user's shell holds: the token, and the stand-in's URL in place of Altinity.Cloud's. */
const withToken = () => ({ ALTINITYCLOUD_API_TOKEN: token, ALTINITYCLOUD_API_URL: api.url });

/** Altinity.Cloud's client, as the cloud stack's function uses it, to make the environments the tests read. */
const altinity = () => new AltinityApi({ token, baseUrl: api.url, fetch: api.fetch });

async function createStack(stackName: string, template: object, parameters: Record<string, string> = {}): Promise<string> {
  const created = await cloudFormation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    }),
  );
  return created.StackId!;
}

/** A stack with a function and one custom resource that waits for it: what the cloud and ready stacks are to the report. */
function standInTemplate(logicalId: string, type: string): object {
  return {
    Resources: {
      ...idleFunctionResources(),
      [logicalId]: { Type: type, Properties: { ServiceToken: { 'Fn::GetAtt': ['Function', 'Arn'] } } },
    },
  };
}

/** Answers CloudFormation for a custom resource, as its function would. */
async function answer(stackId: string, logicalId: string): Promise<void> {
  const response = await fetch(`${moto.endpoint}/cloudformation_${TEST_REGION}/cfnresponse?stack=${encodeURIComponent(stackId)}`, {
    method: 'PUT',
    body: JSON.stringify({
      Status: 'SUCCESS',
      StackId: stackId,
      LogicalResourceId: logicalId,
      RequestId: 'test-request',
      PhysicalResourceId: logicalId,
      Data: {},
    }),
  });
  expect(response.ok).toBe(true);
}

interface Stacks {
  readonly cloud: string;
  readonly connect: string;
  readonly ready: string;
}

/**
 * The environment's stacks as `cdk deploy --all` leaves them: each complete, unless named in
 * `waiting`, which then waits for its custom resource.
 */
async function deployStacks(envName: string, waiting: readonly (keyof Stacks)[] = []): Promise<Stacks> {
  const cloud = await createStack(`altinity-cloud-${envName}`, standInTemplate(CLOUD_LOGICAL_IDS.environment, CLOUD_RESOURCE_TYPES.environment));
  if (!waiting.includes('cloud')) await answer(cloud, CLOUD_LOGICAL_IDS.environment);
  const connectTemplate = forTheEmulator(consoleModeTemplate(), AMI_PARAMETER);
  const connect = await createStack(`altinity-connect-${envName}`, connectTemplate, {
    EnvName: envName,
    Token: 'test-token',
    VpcId: vpcId,
    SubnetIds: subnetId,
  });
  if (!waiting.includes('connect')) await answer(connect, 'ConnectSecrets');
  const ready = await createStack(`altinity-ready-${envName}`, standInTemplate(readySliceId(1), CLOUD_RESOURCE_TYPES.ready));
  if (!waiting.includes('ready')) await answer(ready, readySliceId(1));
  return { cloud, connect, ready };
}

/** The environment in Altinity.Cloud, its hosts connected, and its first revision applied. */
async function readyEnvironment(envName: string): Promise<void> {
  await altinity().createAwsEnv(envName, SPEC);
  api.connect(envName);
  clock.advance(TEN_MINUTES);
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command with `variables` as the process's environment and Altinity.Cloud's stand-in trusted; the token must show nowhere. */
async function status(argv: string[], variables: Record<string, string> = {}, io: Partial<StatusIo> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runStatus(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    variables,
    fetch: api.fetch,
    sleep: async () => undefined,
    ...io,
  });
  expect(`${stdout}${stderr}`).not.toContain(token);
  return { code, stdout, stderr };
}

const reportOf = (run: Run) => JSON.parse(run.stdout) as StatusReport;

/** The stand-in's requests made while `work` ran. */
async function requestsDuring(work: () => Promise<unknown>) {
  const mark = api.requests.length;
  await work();
  return api.requests.slice(mark);
}

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type Shaped = (command: string, input: { readonly StackName?: string }) => Record<string, unknown> | Error | undefined;

/** Clients of moto_server whose CloudFormation requests `shaped` may answer instead. */
function answeringFirst(shaped: Shaped): () => StatusClients {
  return () => {
    const client = new CloudFormationClient({});
    client.middlewareStack.add(
      ((next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: object }) => {
        const answer = shaped(context.commandName ?? '', args.input);
        if (answer instanceof Error) throw answer;
        return answer ? { output: { $metadata: {}, ...answer }, response: {} } : next(args);
      }) as never,
      { step: 'initialize', name: 'answerInPlaceOfAws' },
    );
    return { cloudFormation: client, ec2: new EC2Client({}) };
  };
}

/** AWS refusing to describe `stackName`, as it does when the identity's policy covers only other stacks. */
function refusing(stackName: string): () => StatusClients {
  return answeringFirst((command, input) =>
    command === 'DescribeStacksCommand' && input.StackName === stackName
      ? new CloudFormationServiceException({
          name: 'AccessDenied',
          message: `User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/${stackName}/*`,
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        })
      : undefined,
  );
}

type EventSpec = [second: number, status: string, reason?: string, logicalId?: string];

/** The stack `stackId` as CloudFormation shows it after `history` (oldest first), which moto cannot produce: failed. */
function failedStack(stackId: string, history: readonly EventSpec[]): () => StatusClients {
  const stackName = stackId.split('/')[1];
  const t0 = Date.parse('2026-11-25T10:00:00Z');
  const events: StackEvent[] = history
    .map(([second, status, reason, logicalId]) => ({
      StackId: stackId,
      StackName: stackName,
      EventId: `${logicalId ?? stackName}-${status}-${second}`,
      LogicalResourceId: logicalId ?? stackName,
      PhysicalResourceId: logicalId ? '' : stackId,
      ResourceType: logicalId ? CLOUD_RESOURCE_TYPES.ready : 'AWS::CloudFormation::Stack',
      Timestamp: new Date(t0 + second * 1000),
      ResourceStatus: status as StackEvent['ResourceStatus'],
      ResourceStatusReason: reason,
    }))
    .reverse();
  const stack = { StackId: stackId, StackName: stackName, StackStatus: history.at(-1)![1] as StackStatus, CreationTime: new Date(t0) };
  return answeringFirst((command, input) => {
    if (input.StackName !== stackName && input.StackName !== stackId) return undefined;
    if (command === 'DescribeStacksCommand') return { Stacks: [stack] };
    if (command === 'DescribeStackEventsCommand') return { StackEvents: events };
    if (command === 'DescribeStackResourcesCommand') return { StackResources: [] };
    return undefined;
  });
}

describe('an environment that runs on a connection token (no cloud stack)', () => {
  test('reports as before, the token set or not, and Altinity.Cloud is never asked', async () => {
    const envName = freshName();
    const connect = await createStack(`altinity-connect-${envName}`, forTheEmulator(consoleModeTemplate(), AMI_PARAMETER), {
      EnvName: envName,
      Token: 'test-token',
      VpcId: vpcId,
      SubnetIds: subnetId,
    });
    await answer(connect, 'ConnectSecrets');
    const runs: Run[] = [];
    const sent = await requestsDuring(async () => {
      for (const variables of [{}, withToken()]) runs.push(await status(['--env', envName], variables), await status(['--env', envName, '--json'], variables));
    });
    expect(sent).toEqual([]);
    const [text, json, textWithToken, jsonWithToken] = runs;
    expect(textWithToken).toEqual(text);
    expect(jsonWithToken).toEqual(json);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/altinity-cloud|altinity-ready|Environment:|ALTINITYCLOUD/);
    expect(reportOf(json).environment).toBeUndefined();
  });
});

describe('without ALTINITYCLOUD_API_TOKEN', () => {
  test('reports the three stacks, and in one line how to see the environment', async () => {
    const envName = freshName();
    await deployStacks(envName, ['ready']);
    const sent = await requestsDuring(async () => {
      const run = await status(['--env', envName]);
      expect(run.code).toBe(3);
      expect(run.stderr).toBe('');
      const lines = run.stdout.split('\n');
      const block = lines.findIndex((line) => line.startsWith(`Stack altinity-cloud-${envName}`));
      expect(lines[block - 1]).toBe('');
      expect(lines.slice(block, block + 4)).toEqual([
        expect.stringMatching(new RegExp(`^Stack altinity-cloud-${envName} \\(us-east-1\\): CREATE_COMPLETE \\(created, after \\d+ s\\)$`)),
        expect.stringMatching(new RegExp(`^Stack altinity-ready-${envName} \\(us-east-1\\): CREATE_IN_PROGRESS \\(being created, for \\d+ s so far\\)$`)),
        expect.stringMatching(/^Progress: +\[[#-]+\] \d\/3 resources done; in progress: .*Ready01$/),
        `Environment:  set ALTINITYCLOUD_API_TOKEN to an Anywhere API token of your Altinity.Cloud account to see ${envName} as Altinity.Cloud reports it`,
      ]);
      expect(lines.slice(block + 4, block + 6)).toEqual(['', 'Next:']);
      expect(run.stdout).toMatch(new RegExp(`^Stack altinity-connect-${envName} \\(us-east-1\\): CREATE_COMPLETE`));
    });
    expect(sent).toEqual([]);
  });

  test('a cloud stack that AWS refuses to describe counts as absent: a connection-token user may not read it', async () => {
    const envName = freshName();
    await deployStacks(envName);
    const denied = refusing(`altinity-cloud-${envName}`);
    const without = await status(['--env', envName], {}, { createClients: denied });
    expect(without.code).toBe(0);
    expect(without.stdout).not.toMatch(/altinity-cloud|Environment:/);
    // With the token, the user expects the environment: the refusal is the AWS error it is.
    const withIt = await status(['--env', envName], withToken(), { createClients: denied });
    expect(withIt).toEqual({
      code: 5,
      stdout: '',
      stderr: expect.stringMatching(/^error: AWS denied the request: .*not authorized to perform: cloudformation:DescribeStacks on .*altinity-cloud-/),
    });
  });
});

describe('with ALTINITYCLOUD_API_TOKEN, the environment as Altinity.Cloud reports it', () => {
  test('while the hosts first connect: provisioning, waiting for the first connection; exit 3', async () => {
    const envName = freshName();
    await deployStacks(envName, ['ready']);
    await altinity().createAwsEnv(envName, SPEC);
    const run = await status(['--env', envName], withToken());
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      `Environment:  ${envName} in Altinity.Cloud: provisioning (waiting for the environment's first connection (DISCONNECTED: the environment is not connected))\n` +
        'Resources:    none in AWS, as Altinity reports them\n',
    );
  });

  test('ready: the revision applied and the AWS resources Altinity reports; exit 0 once every stack is complete', async () => {
    const envName = freshName();
    await deployStacks(envName);
    await readyEnvironment(envName);
    const run = await status(['--env', envName], withToken());
    expect(run.code).toBe(0);
    // No wizard to click through in this mode: what to do next is cdk deploy --all and cdk destroy --all.
    expect(run.stdout).not.toContain('PROCEED');
    expect(run.stdout).toContain('  - The environment is ready: create ClickHouse clusters in the Altinity Cloud Manager.');
    expect(run.stdout).toContain(`  - To delete: npx cdk destroy --all -c env=${envName} -c environment=<file>.`);
    expect(run.stdout).toContain(
      `Environment:  ${envName} in Altinity.Cloud: ready (spec revision 1 applied)\n` +
        `Resources:    1 in AWS, as Altinity reports them: vpc (vpc-${envName})\n`,
    );
    const report = reportOf(await status(['--env', envName, '--json'], withToken()));
    expect(report.environment).toEqual({
      stacks: [
        expect.objectContaining({ stackName: `altinity-cloud-${envName}`, outcome: 'complete', stackStatus: 'CREATE_COMPLETE', failures: [] }),
        expect.objectContaining({ stackName: `altinity-ready-${envName}`, outcome: 'complete', stackStatus: 'CREATE_COMPLETE', failures: [] }),
      ],
      altinity: {
        state: 'ready',
        detail: 'spec revision 1 applied',
        specRevision: 1,
        appliedSpecRevision: 1,
        pendingDelete: false,
        errors: [],
        awsResources: [{ id: `vpc-${envName}`, arn: `arn:aws:ec2:us-east-1:123456789012:vpc/vpc-${envName}`, name: 'vpc' }],
      },
    });
  });

  test('an update Altinity has not applied yet: provisioning, the revision pending beside the one applied; exit 3', async () => {
    const envName = freshName();
    await deployStacks(envName);
    await readyEnvironment(envName);
    await altinity().updateAwsEnv(envName, { tags: [{ key: 'team', value: 'data' }] });
    const run = await status(['--env', envName], withToken());
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`Environment:  ${envName} in Altinity.Cloud: provisioning (revision 2 pending, revision 1 applied)\n`);
  });

  test("Altinity's errors: failed, each with its code; exit 1", async () => {
    const envName = freshName();
    await deployStacks(envName);
    await readyEnvironment(envName);
    api.failWith(envName, 'CLOUD_PROVIDER_QUOTA_EXCEEDED', 'vCPU limit reached');
    api.failWith(envName, 'CLOUD_PROVIDER_ACCESS_DENIED', 'not authorized to perform ec2:CreateNatGateway');
    const run = await status(['--env', envName], withToken());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `Environment:  ${envName} in Altinity.Cloud: failed (spec revision 1 applied)\n` +
        'Errors:       CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached\n' +
        '              CLOUD_PROVIDER_ACCESS_DENIED: not authorized to perform ec2:CreateNatGateway\n',
    );
    expect(reportOf(await status(['--env', envName, '--json'], withToken())).environment?.altinity).toMatchObject({
      state: 'failed',
      errors: [
        { code: 'CLOUD_PROVIDER_QUOTA_EXCEEDED', message: 'vCPU limit reached' },
        { code: 'CLOUD_PROVIDER_ACCESS_DENIED', message: 'not authorized to perform ec2:CreateNatGateway' },
      ],
    });
  });

  test('a deletion under way: deleting, with what is left; exit 3, then 4 once Altinity has deprovisioned it', async () => {
    const envName = freshName();
    await deployStacks(envName);
    await readyEnvironment(envName);
    await altinity().deleteAwsEnv(envName);
    const run = await status(['--env', envName], withToken());
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`Environment:  ${envName} in Altinity.Cloud: deleting (deprovisioning, AWS resources left: 1)\n`);
    expect(reportOf(await status(['--env', envName, '--json'], withToken())).environment?.altinity).toMatchObject({ state: 'deleting', pendingDelete: true });

    clock.advance(TEN_MINUTES);
    const gone = await status(['--env', envName], withToken());
    expect(gone.code).toBe(4);
    expect(gone.stdout).toContain(`Environment:  ${envName}: not found in Altinity.Cloud\n`);
  });
});

describe('Altinity.Cloud not answering: the AWS part intact, the variable named, exit 6', () => {
  test('a refused token, as Altinity.Cloud words it and says what to do', async () => {
    const envName = freshName();
    await deployStacks(envName);
    const revoked = api.issueToken(ACCOUNT);
    api.revokeToken(revoked);
    const variables = { ...withToken(), ALTINITYCLOUD_API_TOKEN: revoked };
    const run = await status(['--env', envName], variables);
    expect(run.code).toBe(6);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^Stack altinity-connect-${envName} \\(us-east-1\\): CREATE_COMPLETE .*\nHost: +i-[0-9a-f]+ \\(running\\)`));
    expect(run.stdout).toContain(`Stack altinity-ready-${envName} (us-east-1): CREATE_COMPLETE`);
    expect(run.stdout).toContain(
      `Environment:  unknown: could not ask Altinity.Cloud (ALTINITYCLOUD_API_URL=${api.url}) with ALTINITYCLOUD_API_TOKEN: ` +
        `Altinity.Cloud refused the API token for awsEnv of ${envName} (HTTP 401 Invalid API token): ` +
        'make a new one in the Altinity Cloud Manager (My Account > Anywhere API Access)\n',
    );
    const json = await status(['--env', envName, '--json'], variables);
    expect(json.code).toBe(6);
    expect(reportOf(json).environment?.altinity).toEqual({ state: 'unknown', error: { code: 'altinity-token-refused', message: expect.any(String) } });
    expect(json.stdout).not.toContain(revoked);
    expect(run.stdout).not.toContain(revoked);
  });

  test('no answer, after the retries of a read; while a stack is still in progress too', async () => {
    const envName = freshName();
    await deployStacks(envName, ['ready']);
    const closed = `https://127.0.0.1:${await closedPort()}`;
    const delays: number[] = [];
    const run = await status(['--env', envName], { ...withToken(), ALTINITYCLOUD_API_URL: closed }, { sleep: async (ms) => void delays.push(ms) });
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(
      `Environment:  unknown: could not ask Altinity.Cloud (ALTINITYCLOUD_API_URL=${closed}) with ALTINITYCLOUD_API_TOKEN: ` +
        `awsEnv of ${envName}: no answer (ECONNREFUSED) from ${closed} after 4 attempts\n`,
    );
    expect(delays).toEqual([500, 1000, 2000]);
  });

  test('an API URL without TLS, refused before the token is sent', async () => {
    const envName = freshName();
    await deployStacks(envName);
    const run = await status(['--env', envName], { ...withToken(), ALTINITYCLOUD_API_URL: 'http://anywhere.example.com' });
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(
      'Environment:  unknown: could not ask Altinity.Cloud (ALTINITYCLOUD_API_URL=http://anywhere.example.com) with ALTINITYCLOUD_API_TOKEN: ' +
        'the Altinity.Cloud API URL must start with https://, or it would carry the API token in clear: http://anywhere.example.com\n',
    );
  });
});

test("a failed ready stack: its root cause under its headline, beside Altinity's errors; exit 1, which an unreachable Altinity.Cloud does not hide", async () => {
  const envName = freshName();
  const { ready } = await deployStacks(envName);
  await readyEnvironment(envName);
  api.failWith(envName, 'CLOUD_PROVIDER_QUOTA_EXCEEDED', 'vCPU limit reached');
  // As the ready stack's function words it.
  const reason = `[${ENVIRONMENT_FAILURES.environmentFailed}] Altinity.Cloud reports CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached`;
  const failed = failedStack(ready, [
    [0, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [1, 'CREATE_IN_PROGRESS', undefined, readySliceId(1)],
    [90, 'CREATE_FAILED', reason, readySliceId(1)],
    [91, 'ROLLBACK_IN_PROGRESS'],
    [93, 'DELETE_COMPLETE', undefined, readySliceId(1)],
    [95, 'ROLLBACK_COMPLETE'],
  ]);
  const run = await status(['--env', envName], withToken(), { createClients: failed });
  expect(run.code).toBe(1);
  const lines = run.stdout.split('\n');
  const headline = lines.findIndex((line) => line.startsWith(`Stack altinity-ready-${envName}`));
  expect(lines.slice(headline, headline + 7)).toEqual([
    `Stack altinity-ready-${envName} (us-east-1): ROLLBACK_COMPLETE (creation failed; CloudFormation removed what it created, after 1 min 35 s)`,
    'Cause (root cause first):',
    `  1. Ready01 (${CLOUD_RESOURCE_TYPES.ready}) CREATE_FAILED at 10:01:30 UTC`,
    `     ${reason}`,
    expect.stringMatching(/^ {5}Hint: Altinity.Cloud reports the error that follows the code/),
    `Environment:  ${envName} in Altinity.Cloud: failed (spec revision 1 applied)`,
    'Errors:       CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached',
  ]);
  expect(reportOf(await status(['--env', envName, '--json'], withToken(), { createClients: failed })).environment?.stacks[1]).toMatchObject({
    outcome: 'failed',
    failures: [{ logicalId: 'Ready01', status: 'CREATE_FAILED', reason }],
  });

  const unreachable = await status(
    ['--env', envName],
    { ...withToken(), ALTINITYCLOUD_API_URL: `https://127.0.0.1:${await closedPort()}` },
    { createClients: failed },
  );
  expect(unreachable.code).toBe(1);
  expect(unreachable.stdout).toContain('Environment:  unknown: could not ask Altinity.Cloud');
});

test('--wait follows the ready stack once the connect stack is done, then reports the environment ready: exit 0', async () => {
  const envName = freshName();
  const { ready } = await deployStacks(envName, ['ready']);
  await altinity().createAwsEnv(envName, SPEC);
  let polls = 0;
  const run = await status(['--env', envName, '--wait', '--interval', '30'], withToken(), {
    // Between two polls, the hosts connect, Altinity applies the revision and the ready stack sees it.
    sleep: async () => {
      polls++;
      api.connect(envName);
      clock.advance(TEN_MINUTES);
      await answer(ready, readySliceId(1));
    },
  });
  expect(run.code).toBe(0);
  expect(polls).toBe(1);
  const [log, report] = [run.stdout.slice(0, run.stdout.indexOf('\n\nStack ')), run.stdout.slice(run.stdout.indexOf('\n\nStack ') + 2)];
  for (const stack of ['connect', 'cloud', 'ready']) expect(log).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d {2}altinity-${stack}-${envName} +CREATE_COMPLETE`));
  expect(log.match(new RegExp(`altinity-ready-${envName} +CREATE_IN_PROGRESS`, 'g'))).toHaveLength(1);
  expect(report).toMatch(new RegExp(`^Stack altinity-connect-${envName} \\(us-east-1\\): CREATE_COMPLETE`));
  expect(report).toContain(`Stack altinity-ready-${envName} (us-east-1): CREATE_COMPLETE`);
  expect(report).toContain(`Environment:  ${envName} in Altinity.Cloud: ready (spec revision 1 applied)\n`);
});

test('npm run status reads the token from its environment, over TLS that Node.js trusts', async () => {
  const envName = freshName();
  await deployStacks(envName);
  await readyEnvironment(envName);
  // As a user's shell has it, with the test CA among the CAs Node.js trusts, as the public one that signs Altinity.Cloud's certificate is.
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _quiet, ...usersEnvironment } = process.env;
  const env = { ...usersEnvironment, ...moto.env, ...withToken(), NODE_EXTRA_CA_CERTS: ca.caFile };
  const run = await promisify(execFile)('npm', ['run', '-s', 'status', '--', '--env', envName], { cwd: REPO_ROOT, env });
  expect(run.stdout).toContain(`Environment:  ${envName} in Altinity.Cloud: ready (spec revision 1 applied)\n`);
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toContain(token);
});

test('--help names the variables, and no option takes the token', async () => {
  const help = await status(['--help']);
  expect(help.stdout).toContain('  ALTINITYCLOUD_API_TOKEN  your Anywhere API token, to read the environment from Altinity.Cloud;');
  expect(help.stdout).toContain("  ALTINITYCLOUD_API_URL    Altinity.Cloud's API (default https://anywhere.altinity.cloud)");
  expect(help.stdout).toContain('  6  could not ask Altinity.Cloud');
  const run = await status(['--env', 'acme', '--api-token', 'a-token']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: Unknown option '--api-token'/);
  expect(run.stderr).not.toContain('a-token');
});
