import type { Stack, StackEvent, StackResource, StackStatus } from '@aws-sdk/client-cloudformation';

/**
 * Stack histories shaped as real CloudFormation reports them: moto emits no resource events and
 * never fails a stack, so the status command's failure paths are checked on these.
 */
export const STACK_NAME = 'altinity-connect-acme';
export const STACK_ID = `arn:aws:cloudformation:eu-west-1:111122223333:stack/${STACK_NAME}/6b2f1a10-0000-4000-8000-000000000001`;
export const INSTANCE_ID = 'i-0123456789abcdef0';
export const T0 = Date.parse('2026-11-25T10:00:00Z');

export type EventSpec = [second: number, logicalId: string, status: string, reason?: string, physicalId?: string];

const TYPES: Record<string, string> = {
  Host: 'AWS::EC2::Instance',
  HostRole: 'AWS::IAM::Role',
  HostInstanceProfile: 'AWS::IAM::InstanceProfile',
  HostSecurityGroup: 'AWS::EC2::SecurityGroup',
  ConnectSecrets: 'Custom::ConnectSecrets',
  BreakGlassRole: 'AWS::IAM::Role',
  HostGroup: 'AWS::AutoScaling::AutoScalingGroup',
};

/** Events from oldest-first specs, returned newest first as DescribeStackEvents lists them. */
export function history(...specs: EventSpec[]): StackEvent[] {
  return specs
    .map(([second, logicalId, status, reason, physicalId]): StackEvent => {
      const stackLevel = logicalId === STACK_NAME;
      return {
        StackId: STACK_ID,
        StackName: STACK_NAME,
        // Derived from the content, so that the same event in two snapshots has the same id, as in AWS.
        EventId: `${logicalId}-${status}-${second}`,
        LogicalResourceId: logicalId,
        PhysicalResourceId: stackLevel ? STACK_ID : (physicalId ?? ''),
        ResourceType: stackLevel ? 'AWS::CloudFormation::Stack' : TYPES[logicalId],
        Timestamp: new Date(T0 + second * 1000),
        ResourceStatus: status as StackEvent['ResourceStatus'],
        ResourceStatusReason: reason,
      };
    })
    .reverse();
}

export function stack(status: StackStatus, extra: Partial<Stack> = {}): Stack {
  return {
    StackId: STACK_ID,
    StackName: STACK_NAME,
    StackStatus: status,
    CreationTime: new Date(T0),
    Parameters: [{ ParameterKey: 'BreakGlass', ParameterValue: 'disabled' }],
    ...extra,
  };
}

export function resources(...specs: Array<[logicalId: string, status: string, physicalId?: string]>): StackResource[] {
  return specs.map(([logicalId, status, physicalId]) => ({
    StackId: STACK_ID,
    StackName: STACK_NAME,
    LogicalResourceId: logicalId,
    PhysicalResourceId: physicalId,
    ResourceType: TYPES[logicalId],
    ResourceStatus: status as StackResource['ResourceStatus'],
    Timestamp: new Date(T0),
  }));
}

/** The bootstrap sends its one-line reason as the signal's UniqueId (lib/host/bootstrap.sh). */
export const TOKEN_REJECTED = 'Received FAILURE signal with UniqueId [login-failed] Error: token rejected';

/** A console create whose host was refused by Altinity.Cloud, then rolled back. */
export const rejectedTokenCreate = history(
  [0, STACK_NAME, 'CREATE_IN_PROGRESS', 'User Initiated'],
  [2, 'HostRole', 'CREATE_IN_PROGRESS'],
  [2, 'HostSecurityGroup', 'CREATE_IN_PROGRESS'],
  [3, 'HostRole', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', 'altinity-connect-acme-HostRole-1'],
  [8, 'HostSecurityGroup', 'CREATE_COMPLETE', undefined, 'sg-0abc'],
  [20, 'HostRole', 'CREATE_COMPLETE', undefined, 'altinity-connect-acme-HostRole-1'],
  [40, 'ConnectSecrets', 'CREATE_COMPLETE', undefined, '/altinity-connect/acme/token'],
  [41, 'Host', 'CREATE_IN_PROGRESS'],
  [43, 'Host', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', INSTANCE_ID],
  [44, 'BreakGlassRole', 'CREATE_IN_PROGRESS'],
  [190, 'BreakGlassRole', 'CREATE_FAILED', 'Resource creation cancelled', 'altinity-connect-acme-BreakGlassRole-1'],
  [190, 'Host', 'CREATE_FAILED', TOKEN_REJECTED, INSTANCE_ID],
  [191, STACK_NAME, 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [BreakGlassRole, Host]. Rollback requested by user.'],
  [192, 'Host', 'DELETE_IN_PROGRESS', undefined, INSTANCE_ID],
  [250, 'Host', 'DELETE_COMPLETE', undefined, INSTANCE_ID],
  [262, STACK_NAME, 'ROLLBACK_COMPLETE'],
);
