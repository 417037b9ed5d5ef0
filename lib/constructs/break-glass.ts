import { CfnCondition, Fn, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { arnOf } from './arns';

/** Hosts support may open sessions on: one instance, or the instances of an Auto Scaling group. */
export type SessionTarget = { readonly instanceArn: string } | { readonly autoScalingGroupName: string };

export interface BreakGlassAccessProps {
  /** The principal Altinity support acts as. */
  readonly trustedPrincipalArn: string;
  /**
   * An external id the principal must present (`sts:ExternalId`), required while `condition` holds.
   * @default - none required
   */
  readonly externalId?: { readonly value: string; readonly condition: CfnCondition };
  /**
   * The hosts, each under the condition in which they exist (the single host or the host group, as
   * the template's parameters choose).
   */
  readonly targets: ReadonlyArray<{ readonly target: SessionTarget; readonly condition: CfnCondition }>;
  /** Break glass is on while this holds; every resource here exists only then. */
  readonly condition: CfnCondition;
}

/**
 * The break-glass role of the provisioning guide: Altinity support assumes it and opens an SSM
 * session (plain shell, or SSH over SSM with `AWS-StartSSHSession`) on the connect hosts, and on
 * nothing else. Guarantees: no other permission; removing the role (disabling break glass) revokes
 * access.
 */
export class BreakGlassAccess extends Construct {
  readonly role: iam.CfnRole;

  constructor(scope: Construct, id: string, props: BreakGlassAccessProps) {
    super(scope, id);
    this.role = new iam.CfnRole(this, 'Role', {
      description: 'Altinity support break-glass access to the altinitycloud-connect host over SSM',
      assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [trustStatement(props)] },
      policies: [
        {
          policyName: 'StartSessionDocuments',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'ssm:StartSession',
                Resource: [
                  arnOf('ssm:${AWS::Region}:*:document/AWS-StartSSHSession'),
                  arnOf('ssm:${AWS::Region}:${AWS::AccountId}:document/SSM-SessionManagerRunShell'),
                ],
              },
              {
                Effect: 'Allow',
                Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
                // ${!...} is how Fn::Sub writes a literal ${...}, here the IAM policy variable.
                Resource: arnOf('ssm:*:*:session/${!aws:userid}-*'),
              },
            ],
          },
        },
      ],
    });
    this.role.cfnOptions.condition = props.condition;

    // One policy per layout, each under its own condition: a Fn::If inside one policy document would
    // leave a hole that not every CloudFormation engine removes.
    for (const { target, condition } of props.targets) {
      const layout = 'instanceArn' in target ? 'Host' : 'HostGroup';
      const policy = new iam.CfnPolicy(this, `StartSessionOn${layout}`, {
        policyName: `StartSessionOn${layout}`,
        roles: [this.role.ref],
        policyDocument: { Version: '2012-10-17', Statement: [sessionStatement(target)] },
      });
      if (layout === 'HostGroup') {
        Validations.of(policy).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
          reason: 'The group replaces its hosts, so their ids are not known in advance; the condition on the group-name tag Auto Scaling sets limits sessions to its hosts.',
        });
      }
      policy.cfnOptions.condition = new CfnCondition(this, `EnabledOn${layout}`, {
        expression: Fn.conditionAnd(props.condition, condition),
      });
    }

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/AWS-StartSSHSession]',
      reason: 'AWS-StartSSHSession is an AWS-owned document: its ARN has no account, which only a wildcard matches.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:*:*:session/<!aws:userid>-*]',
      reason: "Session ids are generated per session; ${aws:userid} limits terminate and resume to the caller's own sessions.",
    });
  }
}

/** Who may assume the role: the principal, with the external id when one is required. */
function trustStatement(props: BreakGlassAccessProps): object {
  const trust = { Effect: 'Allow', Principal: { AWS: props.trustedPrincipalArn }, Action: 'sts:AssumeRole' };
  if (!props.externalId) return trust;
  // The whole statement is chosen, not a condition inside it: a hole in a policy survives in some engines.
  const withExternalId = { ...trust, Condition: { StringEquals: { 'sts:ExternalId': props.externalId.value } } };
  return Fn.conditionIf(props.externalId.condition.logicalId, withExternalId, trust);
}

function sessionStatement(target: SessionTarget): object {
  if ('instanceArn' in target) return { Effect: 'Allow', Action: 'ssm:StartSession', Resource: target.instanceArn };
  return {
    Effect: 'Allow',
    Action: 'ssm:StartSession',
    Resource: arnOf('ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
    // Auto Scaling tags every instance it launches with its group's name.
    Condition: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': target.autoScalingGroupName } },
  };
}
