import {
  CloudFormationClient,
  CloudFormationServiceException,
  type DescribeStackEventsCommandOutput,
  type DescribeStackResourcesCommandOutput,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { EC2Client, EC2ServiceException, type DescribeInstancesCommandOutput } from '@aws-sdk/client-ec2';
import { runStatus } from '../../lib/status/cli';
import type { StatusClients } from '../../lib/status/fetch';
import { history, INSTANCE_ID, rejectedTokenCreate, resources, stack, STACK_NAME, TOKEN_REJECTED } from '../support/stack-histories';

/**
 * What moto_server cannot produce: AWS refusing (access denied, throttling, expired session) and a
 * stack that failed. The real SDK clients run with a middleware that answers in AWS's place, before
 * any request leaves; everything from the client's `send` on is the real code.
 */

type Answer = Record<string, unknown> | Error;
type Answers = Record<string, (call: number) => Answer>;

/** A client whose commands are answered by `answers[commandName]`, given how often it was called. */
function answering<T extends CloudFormationClient | EC2Client>(client: T, answers: Answers): T {
  const calls = new Map<string, number>();
  (client.middlewareStack as CloudFormationClient['middlewareStack']).add(
    (_next: unknown, context: { commandName?: string }) => async (args: { input: object }) => {
      const command = context.commandName ?? '?';
      // These stacks run on a connection token: the environment's other stacks do not exist, as AWS says of any stack.
      const asked = (args.input as { StackName?: string }).StackName;
      if (command === 'DescribeStacksCommand' && asked !== undefined && !asked.includes(STACK_NAME)) {
        throw new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: {},
          message: `Stack with id ${asked} does not exist`,
        });
      }
      const call = calls.get(command) ?? 0;
      calls.set(command, call + 1);
      const answer = answers[command]?.(call);
      if (!answer) throw new Error(`no answer for ${command}`);
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...answer } as never, response: {} };
    },
    { step: 'initialize', name: 'answerInPlaceOfAws' },
  );
  return client;
}

const settings = { region: 'eu-west-1', credentials: { accessKeyId: 'stub', secretAccessKey: 'stub' } };

function clients(cloudFormation: Answers, ec2: Answers = { DescribeInstancesCommand: () => ({ Reservations: [] }) }): () => StatusClients {
  return () => ({
    cloudFormation: answering(new CloudFormationClient(settings), cloudFormation),
    ec2: answering(new EC2Client(settings), ec2),
  });
}

async function status(argv: string[], createClients: () => StatusClients) {
  let stdout = '';
  let stderr = '';
  const code = await runStatus(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    createClients,
    sleep: async () => undefined,
  });
  return { code, stdout, stderr };
}

const refusal = (name: string, message: string) => new CloudFormationServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 403 } });

describe('AWS refusing to answer: exit 5 and one line, never a stack trace', () => {
  test.each([
    [
      'access denied',
      refusal('AccessDenied', 'User: arn:aws:iam::111122223333:user/ops is not authorized to perform: cloudformation:DescribeStacks'),
      'error: AWS denied the request: your identity needs cloudformation:DescribeStacks, cloudformation:DescribeStackEvents and cloudformation:DescribeStackResources on the stack (User: arn:aws:iam::111122223333:user/ops is not authorized to perform: cloudformation:DescribeStacks)\n',
    ],
    [
      'throttling',
      refusal('Throttling', 'Rate exceeded'),
      'error: AWS is throttling CloudFormation requests in this account and region, even after retries: wait a minute and try again (with --wait, use a longer --interval)\n',
    ],
    [
      'an expired session',
      refusal('ExpiredToken', 'The security token included in the request is expired'),
      'error: your AWS session has expired: sign in again (for example aws sso login) and retry\n',
    ],
    [
      'rejected keys',
      refusal('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      'error: AWS did not accept your credentials (InvalidClientTokenId): check the access key, or sign in again\n',
    ],
  ])('%s', async (_case, error, explanation) => {
    const run = await status(['--env', 'acme'], clients({ DescribeStacksCommand: () => error }));
    expect(run).toEqual({ code: 5, stdout: '', stderr: explanation });
  });

  test('an error nobody anticipated still takes one line', async () => {
    const run = await status(['--env', 'acme'], clients({ DescribeStacksCommand: () => refusal('ServiceUnavailable', 'Service is\nunavailable') }));
    expect(run).toEqual({ code: 5, stdout: '', stderr: 'error: AWS request failed: ServiceUnavailable: Service is unavailable\n' });
  });
});

describe('a stack whose creation failed', () => {
  const failedCreate = clients(
    {
      DescribeStacksCommand: () => ({ Stacks: [stack('ROLLBACK_COMPLETE')] }),
      DescribeStackEventsCommand: () => ({ StackEvents: rejectedTokenCreate }) satisfies Partial<DescribeStackEventsCommandOutput>,
      DescribeStackResourcesCommand: () => ({ StackResources: resources(['Host', 'DELETE_COMPLETE', INSTANCE_ID]) }),
    },
    {
      DescribeInstancesCommand: () =>
        ({ Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'terminated' } }] }] }) satisfies Partial<DescribeInstancesCommandOutput>,
    },
  );

  test("exits 1 and names the host's reason first, with the hint and how to read the host's log", async () => {
    const run = await status(['--env', 'acme'], failedCreate);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    const cause = lines.indexOf('Cause (root cause first):');
    expect(lines.slice(cause + 1, cause + 5)).toEqual([
      `  1. Host (AWS::EC2::Instance) CREATE_FAILED at 10:03:10 UTC`,
      `     ${TOKEN_REJECTED}`,
      '     The host reported: [login-failed] Error: token rejected',
      expect.stringMatching(/^ {5}Hint: Altinity.Cloud refused the connection token/),
    ]);
    expect(run.stdout).toContain(`Host:         ${INSTANCE_ID} (terminated)\n`);
    expect(run.stdout).toContain(`aws ec2 get-console-output --instance-id ${INSTANCE_ID} --region eu-west-1 --output text`);
  });

  test('--json carries the same diagnosis for scripts', async () => {
    const run = await status(['--env', 'acme', '--json'], failedCreate);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.failures[0]).toMatchObject({ logicalId: 'Host', hostReported: '[login-failed] Error: token rejected', hint: { cause: 'login-failed' } });
    expect(report.cancelled).toEqual(['BreakGlassRole']);
  });
});

test('--wait prints each event once, in order, through a rollback, and exits 1 when it ends', async () => {
  const rollingBack = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [43, 'Host', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', INSTANCE_ID],
    [190, 'Host', 'CREATE_FAILED', TOKEN_REJECTED, INSTANCE_ID],
    [191, STACK_NAME, 'ROLLBACK_IN_PROGRESS'],
  );
  const polls: Array<{ status: 'CREATE_IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_COMPLETE'; events: typeof rollingBack }> = [
    { status: 'CREATE_IN_PROGRESS', events: rollingBack.slice(2) },
    { status: 'ROLLBACK_IN_PROGRESS', events: rollingBack },
    { status: 'ROLLBACK_COMPLETE', events: rejectedTokenCreate },
  ];
  const run = await status(
    ['--env', 'acme', '--wait'],
    clients({
      DescribeStacksCommand: (call) => ({ Stacks: [stack(polls[call].status)] }) satisfies Partial<DescribeStacksCommandOutput>,
      DescribeStackEventsCommand: (call) => ({ StackEvents: polls[call].events }),
      DescribeStackResourcesCommand: () => ({ StackResources: [] }) satisfies Partial<DescribeStackResourcesCommandOutput>,
    }),
  );
  expect(run.code).toBe(1);
  const log = run.stdout.slice(0, run.stdout.indexOf('\n\n')).split('\n');
  expect(log[0]).toBe('10:00:00  altinity-connect-acme    CREATE_IN_PROGRESS    User Initiated');
  expect(log.filter((line) => line.includes('Host') && line.includes('CREATE_FAILED'))).toHaveLength(1);
  expect(log.at(-1)).toMatch(/^10:04:22 {2}altinity-connect-acme +ROLLBACK_COMPLETE$/);
  expect(log).toHaveLength(rejectedTokenCreate.length);
  expect(run.stdout).toContain('Stack altinity-connect-acme (eu-west-1): ROLLBACK_COMPLETE');
});

test('EC2 refusing leaves the report intact and says why the instance state is missing', async () => {
  const run = await status(
    ['--env', 'acme'],
    clients(
      {
        DescribeStacksCommand: () => ({ Stacks: [stack('CREATE_COMPLETE', { Outputs: [{ OutputKey: 'InstanceId', OutputValue: INSTANCE_ID }] })] }),
        DescribeStackEventsCommand: () => ({ StackEvents: [] }),
        DescribeStackResourcesCommand: () => ({ StackResources: [] }),
      },
      {
        DescribeInstancesCommand: () =>
          new EC2ServiceException({
            name: 'UnauthorizedOperation',
            message: 'You are not authorized to perform this operation.',
            $fault: 'client',
            $metadata: {},
          }),
      },
    ),
  );
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Host:         ${INSTANCE_ID}`);
  expect(run.stdout).toContain('(EC2 state unknown: your identity may not call ec2:DescribeInstances)');
  expect(run.stdout).toContain('click PROCEED');
});
