import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSubnetsCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { runStatus, type StatusIo } from '../../lib/status/cli';
import type { StatusReport } from '../../lib/status/report';
import { startMotoServer, TEST_REGION, type MotoServer } from '../support/moto-server';
import { forTheEmulator } from '../support/emulator-template';
import { consoleModeTemplate } from '../support/templates';

/**
 * The status command against real stacks in moto_server, built from the console template. moto
 * cannot run the template's Lambda, so a stack stays in progress until the test answers for the
 * custom resource, as the function would; moto never fails a stack (see report.test.ts and
 * refusals-and-failures.test.ts).
 */
const AMI_PARAMETER = '/test/status/ubuntu-ami';
const REPO_ROOT = path.resolve(__dirname, '..', '..');

let moto: MotoServer;
let cloudFormation: CloudFormationClient;
let subnetId: string;
let vpcId: string;

beforeAll(async () => {
  moto = await startMotoServer();
  Object.assign(process.env, moto.env);
  cloudFormation = new CloudFormationClient({});
  await new SSMClient({}).send(new PutParameterCommand({ Name: AMI_PARAMETER, Type: 'String', Value: 'ami-12c6146b' }));
  const [subnet] = (await new EC2Client({}).send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  subnetId = subnet.SubnetId!;
  vpcId = subnet.VpcId!;
});

afterAll(async () => {
  await moto?.stop();
});

/** Creates altinity-connect-<envName> from the console template; it waits on its custom resource. */
async function createConnectStack(envName: string, parameters: Record<string, string> = {}): Promise<string> {
  const template = forTheEmulator(consoleModeTemplate(), AMI_PARAMETER);
  const values = { EnvName: envName, Token: 'test-token', VpcId: vpcId, SubnetIds: subnetId, ...parameters };
  const created = await cloudFormation.send(
    new CreateStackCommand({
      StackName: `altinity-connect-${envName}`,
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    }),
  );
  return created.StackId!;
}

/** Answers CloudFormation for the ConnectSecrets custom resource, as its Lambda function would. */
async function completeSecretsResource(stackId: string): Promise<void> {
  const response = await fetch(`${moto.endpoint}/cloudformation_${TEST_REGION}/cfnresponse?stack=${encodeURIComponent(stackId)}`, {
    method: 'PUT',
    body: JSON.stringify({
      Status: 'SUCCESS',
      StackId: stackId,
      LogicalResourceId: 'ConnectSecrets',
      RequestId: 'test-request',
      PhysicalResourceId: 'test',
      Data: {},
    }),
  });
  expect(response.ok).toBe(true);
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function status(argv: string[], io: Partial<StatusIo> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runStatus(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    ...io,
  });
  return { code, stdout, stderr };
}

test('a stack that does not exist: exit 4, where it looked, and how to create it', async () => {
  const run = await status(['--env', 'nobody']);
  expect(run.code).toBe(4);
  expect(run.stdout).toContain('Stack altinity-connect-nobody (us-east-1): not found');
  expect(run.stdout).toContain('cdk deploy -c env=nobody -c token=<connection token>');
  expect(run.stderr).toBe('');
});

test('a stack waiting for its host: exit 3, the host, and not to click PROCEED yet', async () => {
  await createConnectStack('waiting');
  const run = await status(['--env', 'waiting']);
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/^Stack altinity-connect-waiting \(us-east-1\): CREATE_IN_PROGRESS \(being created, for \d+ s so far\)/);
  expect(run.stdout).toMatch(/Progress: +\[-+\] 0\/\d+ resources done; in progress: /);
  expect(run.stdout).toMatch(/Host: +i-[0-9a-f]+ \(running\), starting: installing altinitycloud-connect/);
  expect(run.stdout).toContain('Do not click PROCEED');
});

test('--wait follows the stack to completion, then says to click PROCEED, with the break-glass ARNs: exit 0', async () => {
  const stackId = await createConnectStack('follow', { BreakGlass: 'enabled' });
  let polls = 0;
  const run = await status(['--env', 'follow', '--wait', '--interval', '5'], {
    // Time passes only when the command sleeps between polls: then the Lambda "answers".
    sleep: async () => {
      polls++;
      if (polls === 1) await completeSecretsResource(stackId);
    },
  });
  expect(run.code).toBe(0);
  expect(polls).toBe(1);
  expect(run.stdout).toMatch(/\d\d:\d\d:\d\d {2}altinity-connect-follow +CREATE_IN_PROGRESS +User Initiated\n/);
  expect(run.stdout).toMatch(/\d\d:\d\d:\d\d {2}altinity-connect-follow +CREATE_COMPLETE/);
  const report = run.stdout.slice(run.stdout.indexOf('\n\nStack ') + 2);
  expect(report).toMatch(/^Stack altinity-connect-follow \(us-east-1\): CREATE_COMPLETE \(created, after \d+ s\)/);
  const instanceArn = report.match(/Instance ARN: (arn:aws:ec2:us-east-1:123456789012:instance\/i-[0-9a-f]+)/)?.[1];
  expect(instanceArn).toBeDefined();
  expect(report).toMatch(/Break glass: +enabled, role arn:aws:iam::123456789012:role\/\S+/);
  expect(report).toContain('click PROCEED in the connection wizard of environment follow');
  expect(report).toContain(`send Altinity support the instance ARN ${instanceArn}`);
  expect(report).toContain('Before deleting this stack, delete the environment follow in the Altinity Cloud Manager');
});

test('--json gives scripts the same report, with the instance state EC2 reports', async () => {
  const stackId = await createConnectStack('scripted');
  await completeSecretsResource(stackId);
  const first = await status(['--env', 'scripted', '--json']);
  expect(first.code).toBe(0);
  const running = JSON.parse(first.stdout) as StatusReport;
  expect(running).toMatchObject({ outcome: 'complete', stackStatus: 'CREATE_COMPLETE', breakGlass: { enabled: false }, failures: [] });
  expect(running.host.instances).toHaveLength(1);
  const [instance] = running.host.instances;
  expect(instance).toMatchObject({ state: 'running', instanceArn: `arn:aws:ec2:us-east-1:123456789012:instance/${instance.instanceId}` });

  await new EC2Client({}).send(new StopInstancesCommand({ InstanceIds: [instance.instanceId] }));
  const stopped = JSON.parse((await status(['--env', 'scripted', '--json'])).stdout) as StatusReport;
  expect(stopped.host.instances[0].state).toBe('stopped');
});

test('several hosts: the group and the ARN of each of its instances', async () => {
  const stackId = await createConnectStack('group', { Replicas: '2', BreakGlass: 'enabled' });
  await completeSecretsResource(stackId);
  const run = await status(['--env', 'group']);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/Hosts: +Auto Scaling group altinity-connect-group-HostGroup-\S+/);
  const arns = [...run.stdout.matchAll(/ {14}i-[0-9a-f]+ {2}running +(arn:aws:ec2:us-east-1:123456789012:instance\/i-[0-9a-f]+)/g)].map((match) => match[1]);
  expect(arns).toHaveLength(2);
  expect(run.stdout).toContain(`send Altinity support the ARNs of the hosts (${arns.join(', ')})`);
});

test('--wait on a stack deleted meanwhile follows it by id to DELETE_COMPLETE: exit 4', async () => {
  await createConnectStack('leaving');
  const run = await status(['--env', 'leaving', '--wait', '--interval', '1'], {
    sleep: () => cloudFormation.send(new DeleteStackCommand({ StackName: 'altinity-connect-leaving' })).then(() => undefined),
  });
  expect(run.code).toBe(4);
  expect(run.stdout).toContain('Stack altinity-connect-leaving (us-east-1): DELETE_COMPLETE (deleted');
  expect(run.stdout).toContain('The stack is deleted');
});

describe('credentials from a profile', () => {
  let awsDir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    awsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'status-profile-'));
    fs.writeFileSync(path.join(awsDir, 'config'), `[profile operator]\nregion = ${TEST_REGION}\n[profile regionless]\n`);
    const keys = 'aws_access_key_id = operator\naws_secret_access_key = operator\n';
    fs.writeFileSync(path.join(awsDir, 'credentials'), `[operator]\n${keys}[regionless]\n${keys}`);
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete process.env[key];
    Object.assign(process.env, { AWS_CONFIG_FILE: path.join(awsDir, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials') });
  });

  afterEach(() => {
    process.env = { ...saved };
    fs.rmSync(awsDir, { recursive: true, force: true });
  });

  test('--profile supplies the credentials and the region', async () => {
    const run = await status(['--env', 'nobody', '--profile', 'operator']);
    expect(run).toMatchObject({ code: 4, stderr: '' });
    expect(run.stdout).toContain('altinity-connect-nobody (us-east-1): not found');
  });

  test('an unknown profile is one line naming it: exit 5', async () => {
    const run = await status(['--env', 'nobody', '--profile', 'missing', '--region', TEST_REGION]);
    expect(run.code).toBe(5);
    expect(run.stderr).toBe(
      'error: no AWS credentials for profile "missing": check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile missing)\n',
    );
    expect(run.stdout).toBe('');
  });

  test('no region anywhere is one line saying where to give one: exit 5', async () => {
    const run = await status(['--env', 'nobody', '--profile', 'regionless']);
    expect(run.code).toBe(5);
    expect(run.stderr).toBe('error: no AWS region: pass --region <region>, set AWS_REGION, or give your profile a region\n');
  });
});

test('npm run status runs the command, with its exit code and without SDK warnings', () => {
  // As a user's shell has it: without the variable that quiets the SDK's notices in the test processes.
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _quiet, ...usersEnvironment } = process.env;
  const run = spawnSync('npm', ['run', 'status', '--', '--env', 'nobody'], {
    cwd: REPO_ROOT,
    env: { ...usersEnvironment, ...moto.env },
    encoding: 'utf8',
  });
  expect(run.status).toBe(4);
  expect(run.stdout).toContain('Stack altinity-connect-nobody (us-east-1): not found');
  expect(run.stderr).toBe('');
});

test('wrong arguments: exit 2 with the usage, which documents the exit codes', async () => {
  const run = await status(['--env', 'Not_Valid']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('error: --env Not_Valid is not an environment name');
  expect(run.stderr).toContain('Exit codes:\n  0  complete');
  expect((await status(['--wait'])).code).toBe(2);
  expect((await status(['--env', 'a', '--interval', '0'])).code).toBe(2);
  expect(await status(['--help'])).toMatchObject({ code: 0, stderr: '' });
});
