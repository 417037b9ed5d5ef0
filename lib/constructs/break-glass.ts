import { Aws, type CfnCondition, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { arnOf } from './arns';

export interface BreakGlassAccessProps {
  /** The principal Altinity support acts as. */
  readonly trustedPrincipalArn: string;
  /**
   * The external id the principal must present (`sts:ExternalId`): Altinity support's principal serves
   * every customer, and the id is what tells this customer's role from another's.
   */
  readonly externalId: string;
  /** Break glass is on while this holds; the role exists only then. */
  readonly condition: CfnCondition;
}

/**
 * The break-glass role of the provisioning guide: Altinity support assumes it, presenting the
 * external id, and opens an SSM session (plain shell, or SSH over SSM with `AWS-StartSSHSession`) on
 * the stack's hosts, and on nothing else. Guarantees: sessions only on instances that carry the tag CloudFormation puts on
 * every instance of this stack, the single host's and the group's alike (`aws:` tags cannot be set
 * by anyone else); no other permission; removing the role (disabling break glass) revokes access.
 * The role's logical id is `BreakGlassRole`, readable in the stack's events: one per stack.
 */
export class BreakGlassAccess extends Construct {
  /** The role Altinity support assumes. */
  readonly role: iam.CfnRole;

  constructor(scope: Construct, id: string, props: BreakGlassAccessProps) {
    super(scope, id);
    this.role = new iam.CfnRole(this, 'Role', {
      description: 'Altinity support break-glass access to the altinitycloud-connect hosts over SSM',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: props.trustedPrincipalArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': props.externalId } },
          },
        ],
      },
      policies: [
        {
          policyName: 'StartSessionOnHosts',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'ssm:StartSession',
                Resource: arnOf('ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
                Condition: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': Aws.STACK_ID } },
              },
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
    this.role.overrideLogicalId('BreakGlassRole');
    this.role.cfnOptions.condition = props.condition;

    const findings = Validations.of(this.role);
    findings.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
      reason:
        "A group replaces its hosts, so their ids are not known in advance; the condition on the stack-id tag CloudFormation sets on the stack's instances limits sessions to this stack's hosts.",
    });
    findings.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/AWS-StartSSHSession]',
      reason: 'AWS-StartSSHSession is an AWS-owned document: its ARN has no account, which only a wildcard matches.',
    });
    findings.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:*:*:session/<!aws:userid>-*]',
      reason: "Session ids are generated per session; ${aws:userid} limits terminate and resume to the caller's own sessions.",
    });
  }
}
