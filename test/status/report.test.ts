import type { Stack, StackStatus } from '@aws-sdk/client-cloudformation';
import { hostReportedReason } from '../../lib/status/events';
import { hintFor } from '../../lib/status/hints';
import { formatDuration, renderText } from '../../lib/status/render';
import { buildStatusReport, type StackSnapshot } from '../../lib/status/report';
import { STACK_STATES } from '../../lib/status/stack-states';
import { history, INSTANCE_ID, rejectedTokenCreate, resources, stack, STACK_NAME, T0, TOKEN_REJECTED } from '../support/stack-histories';

function report(snapshot: StackSnapshot, now = new Date(T0 + 3600_000)) {
  return buildStatusReport({ envName: 'acme', stackName: STACK_NAME, now }, snapshot);
}

describe('a failed create', () => {
  const failed = report({
    stack: stack('ROLLBACK_COMPLETE', { StackStatusReason: 'The following resource(s) failed to create: [BreakGlassRole, Host].' }),
    events: rejectedTokenCreate,
    resources: resources(['Host', 'DELETE_COMPLETE', INSTANCE_ID], ['HostRole', 'DELETE_COMPLETE']),
  });

  test("is failed and settled, timed from the user's request to the end of the rollback", () => {
    expect(failed).toMatchObject({ outcome: 'failed', settled: true, stackStatus: 'ROLLBACK_COMPLETE', region: 'eu-west-1' });
    expect(failed.operation?.seconds).toBe(262);
  });

  test("names the host's refusal as the root cause, before the cancellation it caused", () => {
    expect(failed.failures.map((failure) => failure.logicalId)).toEqual(['Host']);
    expect(failed.failures[0]).toMatchObject({ status: 'CREATE_FAILED', reason: TOKEN_REJECTED, hostReported: '[login-failed] Error: token rejected' });
    expect(failed.failures[0].hint?.cause).toBe('login-failed');
    expect(failed.cancelled).toEqual(['BreakGlassRole']);
  });

  test('keeps the id of the terminated host, and says how to read what it did', () => {
    expect(failed.host).toMatchObject({ kind: 'instance', state: 'terminated' });
    expect(failed.host.instances).toEqual([{ instanceId: INSTANCE_ID, instanceArn: `arn:aws:ec2:eu-west-1:111122223333:instance/${INSTANCE_ID}` }]);
    expect(failed.nextSteps.join('\n')).toContain(`aws ec2 get-console-output --instance-id ${INSTANCE_ID} --region eu-west-1`);
  });

  test('tells the user to delete the stack and create it again, since a failed create cannot be updated', () => {
    expect(failed.nextSteps.join('\n')).toMatch(
      /cannot be updated: delete it .*aws cloudformation delete-stack --stack-name altinity-connect-acme --region eu-west-1.*then create it again/,
    );
  });

  test('renders the root cause first, with what the host reported and the hint', () => {
    const text = renderText(failed);
    expect(text).toContain(
      'Stack altinity-connect-acme (eu-west-1): ROLLBACK_COMPLETE (creation failed; CloudFormation removed what it created, after 4 min 22 s)',
    );
    const cause = text.indexOf('1. Host (AWS::EC2::Instance) CREATE_FAILED at 10:03:10 UTC');
    expect(cause).toBeGreaterThan(0);
    expect(text.indexOf('The host reported: [login-failed] Error: token rejected')).toBeGreaterThan(cause);
    expect(text).toContain('Hint: Altinity.Cloud refused the connection token');
    expect(text).toContain('Cancelled as a consequence: BreakGlassRole');
    expect(text).not.toMatch(/\d\. BreakGlassRole/);
  });
});

test('a rollback that fails too lists both causes, the original one first', () => {
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [43, 'Host', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', INSTANCE_ID],
    [950, 'Host', 'CREATE_FAILED', 'Failed to receive 1 resource signal(s) within the specified duration', INSTANCE_ID],
    [951, STACK_NAME, 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [Host].'],
    [
      1000,
      'ConnectSecrets',
      'DELETE_FAILED',
      'Received response status [FAILED] from custom resource. Message returned: AccessDeniedException: not authorized to perform ssm:DeleteParameters',
    ],
    [1001, STACK_NAME, 'ROLLBACK_FAILED'],
  );
  const failed = report({ stack: stack('ROLLBACK_FAILED'), events, resources: [] });
  expect(failed.failures.map((failure) => [failure.logicalId, failure.status, failure.hint?.cause])).toEqual([
    ['Host', 'CREATE_FAILED', 'no-signal'],
    ['ConnectSecrets', 'DELETE_FAILED', 'permission-denied'],
  ]);
  expect(failed.nextSteps.join('\n')).toContain('offers to retain it');
});

test('a token rotation whose rollback stops at the secret store: continue the rollback without it, which keeps the rotated token', () => {
  const staged = 'altinity-connect/acme/staged/0123456789abcdef0123456789abcdef';
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [200, STACK_NAME, 'CREATE_COMPLETE'],
    [5000, STACK_NAME, 'UPDATE_IN_PROGRESS', 'User Initiated'],
    [5010, 'ConnectSecrets', 'UPDATE_COMPLETE'],
    [
      5020,
      'HostSecurityGroup',
      'UPDATE_FAILED',
      'Security group sg-0abc and subnet subnet-0def belong to different networks. (Service: Ec2, Status Code: 400)',
    ],
    [5021, STACK_NAME, 'UPDATE_ROLLBACK_IN_PROGRESS'],
    [
      5030,
      'ConnectSecrets',
      'UPDATE_FAILED',
      `Received response status [FAILED] from custom resource. Message returned: [staged-token-missing] the staged token ${staged} does not exist, so the token was not changed. Run cdk deploy again with the token (ALTINITY_CONNECT_TOKEN=... npx cdk deploy -c env=...). (log stream x)`,
    ],
    [5031, STACK_NAME, 'UPDATE_ROLLBACK_FAILED'],
  );
  const failed = report({ stack: stack('UPDATE_ROLLBACK_FAILED'), events, resources: resources(['Host', 'UPDATE_COMPLETE', INSTANCE_ID]) });
  expect(failed.failures.map((failure) => [failure.logicalId, failure.status, failure.hint?.cause])).toEqual([
    ['HostSecurityGroup', 'UPDATE_FAILED', 'subnet-not-in-vpc'],
    ['ConnectSecrets', 'UPDATE_FAILED', 'staged-token-missing'],
  ]);
  expect(failed.failures.map((failure) => failure.duringRollback)).toEqual([false, true]);
  expect(failed.nextSteps.at(-1)).toMatch(/^Then continue the rollback without ConnectSecrets, which keeps the token the update stored/);
  // The command ends the line, so that a copy of it holds the resource's name and nothing after it.
  expect(failed.nextSteps.at(-1)).toMatch(
    / aws cloudformation continue-update-rollback --stack-name altinity-connect-acme --region eu-west-1 --resources-to-skip ConnectSecrets$/,
  );
  expect(failed.failures[1].hint?.advice).toContain('In the rollback of an update that changed the token');
});

test('a staged token missing in the update itself, then a rollback that fails elsewhere: nothing to skip that AWS would refuse', () => {
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [200, STACK_NAME, 'CREATE_COMPLETE'],
    [5000, STACK_NAME, 'UPDATE_IN_PROGRESS', 'User Initiated'],
    [
      5010,
      'ConnectSecrets',
      'UPDATE_FAILED',
      'Received response status [FAILED] from custom resource. Message returned: [staged-token-missing] the staged token x does not exist',
    ],
    [5011, STACK_NAME, 'UPDATE_ROLLBACK_IN_PROGRESS'],
    [
      5020,
      'HostSecurityGroup',
      'UPDATE_FAILED',
      'Security group sg-0abc and subnet subnet-0def belong to different networks. (Service: Ec2, Status Code: 400)',
    ],
    [5021, STACK_NAME, 'UPDATE_ROLLBACK_FAILED'],
  );
  const failed = report({ stack: stack('UPDATE_ROLLBACK_FAILED'), events, resources: resources(['Host', 'UPDATE_COMPLETE', INSTANCE_ID]) });
  expect(failed.failures.map((failure) => [failure.logicalId, failure.duringRollback])).toEqual([
    ['ConnectSecrets', false],
    ['HostSecurityGroup', true],
  ]);
  expect(failed.nextSteps.join('\n')).not.toContain('--resources-to-skip');
  expect(failed.nextSteps.at(-1)).toContain('aws cloudformation continue-update-rollback --stack-name altinity-connect-acme --region eu-west-1.');
});

test('a failed update reports only the latest operation, and that the host keeps its previous settings', () => {
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [100, 'Host', 'CREATE_FAILED', 'an old failure of an earlier attempt', INSTANCE_ID],
    [200, STACK_NAME, 'CREATE_COMPLETE'],
    [5000, STACK_NAME, 'UPDATE_IN_PROGRESS', 'User Initiated'],
    [
      5010,
      'HostSecurityGroup',
      'UPDATE_FAILED',
      'Security group sg-0abc and subnet subnet-0def belong to different networks. (Service: Ec2, Status Code: 400)',
    ],
    [5011, STACK_NAME, 'UPDATE_ROLLBACK_IN_PROGRESS'],
    [5090, STACK_NAME, 'UPDATE_ROLLBACK_COMPLETE'],
  );
  const failed = report({
    stack: stack('UPDATE_ROLLBACK_COMPLETE', { Outputs: [{ OutputKey: 'InstanceId', OutputValue: INSTANCE_ID }] }),
    events,
    resources: resources(['Host', 'UPDATE_COMPLETE', INSTANCE_ID]),
  });
  expect(failed.failures.map((failure) => failure.logicalId)).toEqual(['HostSecurityGroup']);
  expect(failed.failures[0].hint?.cause).toBe('subnet-not-in-vpc');
  expect(failed.operation?.seconds).toBe(90);
  expect(failed.host).toMatchObject({ state: 'updated', instances: [{ instanceId: INSTANCE_ID }] });
  expect(failed.nextSteps.join('\n')).toContain('keeps running with its previous settings');
  expect(failed.nextSteps.join('\n')).not.toContain('get-console-output');
});

describe('a stack being created', () => {
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [40, 'ConnectSecrets', 'CREATE_COMPLETE', undefined, '/altinity-connect/acme/token'],
    [43, 'Host', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', INSTANCE_ID],
  );
  const inProgress = report(
    {
      stack: stack('CREATE_IN_PROGRESS', { Parameters: [{ ParameterKey: 'BreakGlass', ParameterValue: 'enabled' }] }),
      events,
      resources: resources(['ConnectSecrets', 'CREATE_COMPLETE'], ['HostRole', 'CREATE_COMPLETE'], ['Host', 'CREATE_IN_PROGRESS', INSTANCE_ID]),
    },
    new Date(T0 + 130_000),
  );

  test('shows how long it has been running, the progress, and that the stack waits for the host', () => {
    expect(inProgress).toMatchObject({ outcome: 'in-progress', settled: false, progress: { done: 2, total: 3, inProgress: ['Host'] } });
    const text = renderText(inProgress);
    expect(text).toContain('CREATE_IN_PROGRESS (being created, for 2 min 10 s so far)');
    expect(text).toContain('[#############-------] 2/3 resources done; in progress: Host');
    expect(text).toContain(`Host:         ${INSTANCE_ID}, starting: installing altinitycloud-connect and logging in to Altinity.Cloud`);
    expect(text).toContain(`Instance ARN: arn:aws:ec2:eu-west-1:111122223333:instance/${INSTANCE_ID}`);
  });

  test('says not to click PROCEED yet', () => {
    expect(inProgress.nextSteps[0]).toMatch(/^Do not click PROCEED/);
    expect(inProgress.nextSteps[1]).toBe('Follow it with: npm run status -- --env acme --region eu-west-1 --wait');
  });
});

describe('a created stack', () => {
  const created = (breakGlass: 'enabled' | 'disabled') =>
    report({
      stack: stack('CREATE_COMPLETE', {
        Parameters: [{ ParameterKey: 'BreakGlass', ParameterValue: breakGlass }],
        Outputs: [
          { OutputKey: 'InstanceId', OutputValue: INSTANCE_ID },
          { OutputKey: 'InstanceArn', OutputValue: `arn:aws:ec2:eu-west-1:111122223333:instance/${INSTANCE_ID}` },
          ...(breakGlass === 'enabled' ? [{ OutputKey: 'BreakGlassRoleArn', OutputValue: 'arn:aws:iam::111122223333:role/bg' }] : []),
        ],
      }),
      events: history([0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'], [251, STACK_NAME, 'CREATE_COMPLETE']),
      resources: resources(['Host', 'CREATE_COMPLETE', INSTANCE_ID]),
    });

  test('says to click PROCEED, and to delete the Altinity environment before the stack', () => {
    const complete = created('disabled');
    expect(complete).toMatchObject({ outcome: 'complete', settled: true, breakGlass: { enabled: false }, failures: [] });
    expect(complete.nextSteps[0]).toContain('click PROCEED');
    expect(complete.nextSteps.at(-1)).toMatch(/^Before deleting this stack, delete the environment acme in the Altinity Cloud Manager/);
    expect(renderText(complete)).toContain('CREATE_COMPLETE (created, after 4 min 11 s)');
    expect(renderText(complete)).toContain('Break glass:  disabled');
  });

  test('with break glass on, gives the instance ARN to send to Altinity and the role, and how to revoke', () => {
    const complete = created('enabled');
    expect(complete.breakGlass).toEqual({ enabled: true, roleArn: 'arn:aws:iam::111122223333:role/bg' });
    expect(complete.nextSteps[1]).toContain(`send Altinity support the instance ARN arn:aws:ec2:eu-west-1:111122223333:instance/${INSTANCE_ID}`);
    expect(complete.nextSteps[1]).toContain('BreakGlass=disabled');
    expect(renderText(complete)).toContain('Break glass:  enabled, role arn:aws:iam::111122223333:role/bg');
  });
});

test('every stack status has a meaning and next steps, and only the complete ones count as success', () => {
  for (const [status, state] of Object.entries(STACK_STATES)) {
    const built = report({ stack: stack(status as StackStatus), events: [], resources: [] });
    expect(built.nextSteps.length).toBeGreaterThan(0);
    expect(built.outcome === 'complete').toBe(status.endsWith('_COMPLETE') && !/ROLLBACK|DELETE/.test(status));
    expect(state.settled).toBe(!status.endsWith('_IN_PROGRESS') || status === 'REVIEW_IN_PROGRESS');
  }
});

test('an absent stack explains where it was looked for and how the IAM acknowledgement blocks a create', () => {
  const absent = buildStatusReport({ envName: 'acme', stackName: STACK_NAME, region: 'us-east-2', now: new Date() }, undefined);
  expect(absent.outcome).toBe('not-found');
  expect(absent.nextSteps[0]).toContain('no stack altinity-connect-acme in us-east-2');
  expect(absent.nextSteps.join('\n')).toContain('--capabilities CAPABILITY_IAM');
});

describe('the reason the host reported', () => {
  test.each([
    [`Received FAILURE signal with UniqueId ${INSTANCE_ID}: login failed: token rejected`, 'login failed: token rejected'],
    [`Received FAILURE signal with UniqueId ${INSTANCE_ID} cannot reach the download location`, 'cannot reach the download location'],
    [
      'Received FAILURE signal with UniqueId cannot read parameter /altinity-connect/x/token: AccessDenied',
      'cannot read parameter /altinity-connect/x/token: AccessDenied',
    ],
    [`Received FAILURE signal with UniqueId ${INSTANCE_ID}`, undefined],
    ['Failed to receive 1 resource signal(s) within the specified duration', undefined],
  ])('in %j is %j', (statusReason, reported) => {
    expect(hostReportedReason(statusReason)).toBe(reported);
  });
});

describe('hints for the usual causes', () => {
  // Every code's hint: test/status/failure-codes.test.ts. Here, reasons as they reach the status command.
  test.each([
    ['[login-failed] Error: token rejected', 'login-failed'],
    ['[download-failed] cannot reach github.com through the proxy proxy.corp.example:3128', 'download-failed'],
    ['[ssm-denied] read token: AccessDeniedException', 'ssm-denied'],
    ['[no-network] cannot reach ssm.eu-west-1.amazonaws.com through the p', 'no-network'],
    [
      'Received response status [FAILED] from custom resource. Message returned: [environment-renamed] EnvName cannot change (RequestId: 1)',
      'environment-renamed',
    ],
    [
      'Received response status [FAILED] from custom resource. Message returned: [aws-error] AccessDeniedException: not authorized to perform kms:Decrypt',
      'key-access-denied',
    ],
    ['Failed to receive 1 resource signal(s) within the specified duration', 'no-signal'],
    ["The subnet ID 'subnet-0123' does not exist (Service: Ec2, Status Code: 400)", 'subnet-not-in-vpc'],
    ['Requires capabilities : [CAPABILITY_IAM]', 'missing-capability-iam'],
    ['Your requested instance type (t3.micro) is not supported in your requested Availability Zone (us-east-1e).', 'instance-type-unavailable'],
    ['User: arn:aws:iam::1:user/x is not authorized to perform: iam:CreateRole', 'permission-denied'],
    // The deployer's own KMS refusals are the deployer's: the key advice is for the function's.
    ['Resource handler returned message: "User: arn:aws:iam::1:user/x is not authorized to perform: kms:CreateKey"', 'permission-denied'],
    ['Resource handler returned message: "sg-0123 already exists"', 'name-taken'],
    // A sentence without a code, as a host of an earlier version signalled it, gets no hint.
    ['login failed: token rejected', undefined],
    ['[no-such-code] something', undefined],
    ['something nobody anticipated', undefined],
  ])('%j is %j', (reason, cause) => {
    expect(hintFor(reason)?.cause).toBe(cause);
  });
});

test('durations read naturally', () => {
  expect([formatDuration(42), formatDuration(185), formatDuration(3720)]).toEqual(['42 s', '3 min 05 s', '1 h 02 min']);
});

describe("EC2's view of the hosts", () => {
  const createdWith = (extra: Partial<StackSnapshot>, outputs: Stack['Outputs'], parameters: Stack['Parameters'] = []) =>
    report({
      stack: stack('CREATE_COMPLETE', { Outputs: outputs, Parameters: [{ ParameterKey: 'BreakGlass', ParameterValue: 'enabled' }, ...parameters] }),
      events: history([0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'], [200, STACK_NAME, 'CREATE_COMPLETE']),
      resources: [],
      ...extra,
    });

  test('shows that a host created long ago has been stopped since', () => {
    const stopped = createdWith({ instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'stopped' } }] }, [
      { OutputKey: 'InstanceId', OutputValue: INSTANCE_ID },
    ]);
    expect(stopped.host.instances[0].state).toBe('stopped');
    expect(renderText(stopped)).toContain(`Host:         ${INSTANCE_ID} (stopped)`);
  });

  test('lists every host of a group with the ARN to send to Altinity', () => {
    const group = createdWith(
      {
        instances: [
          { InstanceId: 'i-0aaaaaaaaaaaaaaaa', State: { Name: 'running' } },
          { InstanceId: 'i-0bbbbbbbbbbbbbbbb', State: { Name: 'pending' } },
        ],
      },
      [{ OutputKey: 'HostGroupName', OutputValue: 'altinity-connect-acme-HostGroup-ABC' }],
    );
    expect(group.host).toMatchObject({ kind: 'group', groupName: 'altinity-connect-acme-HostGroup-ABC' });
    const text = renderText(group);
    expect(text).toContain('Hosts:        Auto Scaling group altinity-connect-acme-HostGroup-ABC');
    expect(text).toContain('i-0aaaaaaaaaaaaaaaa  running       arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa');
    expect(group.nextSteps[1]).toContain(
      'send Altinity support the ARNs of the hosts (arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa, arn:aws:ec2:eu-west-1:111122223333:instance/i-0bbbbbbbbbbbbbbbb)',
    );
  });

  test("shows each host's connection to Altinity.Cloud, as its watch last recorded it in the instance's tag", () => {
    const single = createdWith(
      {
        instances: [
          { InstanceId: INSTANCE_ID, State: { Name: 'running' }, Tags: [{ Key: 'altinity:connect/state', Value: 'disconnected since 2026-11-26T03:00:00Z' }] },
        ],
      },
      [{ OutputKey: 'InstanceId', OutputValue: INSTANCE_ID }],
    );
    expect(single.host.instances[0].connection).toBe('disconnected since 2026-11-26T03:00:00Z');
    expect(renderText(single)).toContain('Connection:   disconnected since 2026-11-26T03:00:00Z (as the host last recorded it)');
    const group = createdWith(
      {
        instances: [
          { InstanceId: 'i-0aaaaaaaaaaaaaaaa', State: { Name: 'running' }, Tags: [{ Key: 'altinity:connect/state', Value: 'connected' }] },
          { InstanceId: 'i-0bbbbbbbbbbbbbbbb', State: { Name: 'running' } },
        ],
      },
      [{ OutputKey: 'HostGroupName', OutputValue: 'altinity-connect-acme-HostGroup-ABC' }],
    );
    const text = renderText(group);
    expect(text).toContain('i-0aaaaaaaaaaaaaaaa  running       arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa  (connected)');
    expect(text).toMatch(/i-0bbbbbbbbbbbbbbbb {2}running {7}arn:aws:ec2:eu-west-1:111122223333:instance\/i-0bbbbbbbbbbbbbbbb\n/);
  });

  test('says when EC2 could not be asked, and still reports the rest', () => {
    const unknown = createdWith({ instanceLookupError: 'your identity may not call ec2:DescribeInstances' }, [
      { OutputKey: 'InstanceId', OutputValue: INSTANCE_ID },
    ]);
    expect(unknown.outcome).toBe('complete');
    expect(renderText(unknown)).toContain('(EC2 state unknown: your identity may not call ec2:DescribeInstances)');
  });
});

test('a group whose hosts failed gives the reason a host signalled before the group failed', () => {
  const events = history(
    [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
    [50, 'HostGroup', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', 'altinity-connect-acme-HostGroup-ABC'],
    [
      180,
      'HostGroup',
      'CREATE_IN_PROGRESS',
      'Received FAILURE signal with UniqueId i-0aaaaaaaaaaaaaaaa: [download-failed] cannot reach example.com',
      'altinity-connect-acme-HostGroup-ABC',
    ],
    [
      200,
      'HostGroup',
      'CREATE_FAILED',
      'Received 1 FAILURE signal(s) out of 2. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement',
      'altinity-connect-acme-HostGroup-ABC',
    ],
    [201, STACK_NAME, 'ROLLBACK_IN_PROGRESS'],
  );
  const failed = report({ stack: stack('ROLLBACK_IN_PROGRESS'), events, resources: [] });
  expect(failed).toMatchObject({ outcome: 'failed', settled: false, host: { kind: 'group' } });
  expect(failed.failures[0]).toMatchObject({ logicalId: 'HostGroup', hostReported: '[download-failed] cannot reach example.com' });
  expect(failed.failures[0].hint?.cause).toBe('download-failed');
});
