import { CfnCondition, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface BreakGlassAccessProps {
  /** The principal Altinity support acts as. */
  readonly trustedPrincipalArn: string;
  /** ARN of the host instance support may open sessions on. */
  readonly instanceArn: string;
  /** When given, every resource here exists only while the condition holds. */
  readonly condition?: CfnCondition;
}

/**
 * The break-glass role of the provisioning guide: Altinity support assumes it and opens an SSM
 * session (plain shell, or SSH over SSM with `AWS-StartSSHSession`) on this host, and on nothing
 * else. Guarantees: no other permission; removing the role (disabling break glass) revokes access.
 */
export class BreakGlassAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BreakGlassAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ArnPrincipal(props.trustedPrincipalArn),
      description: 'Altinity support break-glass access to the altinitycloud-connect host over SSM',
      inlinePolicies: {
        StartSessionOnConnectHost: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['ssm:StartSession'],
              resources: [
                props.instanceArn,
                `arn:${stack.partition}:ssm:${stack.region}:*:document/AWS-StartSSHSession`,
                `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:document/SSM-SessionManagerRunShell`,
              ],
            }),
            new iam.PolicyStatement({
              actions: ['ssm:TerminateSession', 'ssm:ResumeSession'],
              resources: [`arn:${stack.partition}:ssm:*:*:session/\${aws:userid}-*`],
            }),
          ],
        }),
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/AWS-StartSSHSession]',
      reason: 'AWS-StartSSHSession is an AWS-owned document: its ARN has no account, which only a wildcard matches.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:*:*:session/<aws:userid>-*]',
      reason: "Session ids are generated per session; ${aws:userid} limits terminate and resume to the caller's own sessions.",
    });
    if (props.condition) {
      const condition = props.condition;
      for (const child of this.node.findAll()) {
        if (child instanceof CfnResource) child.cfnOptions.condition = condition;
      }
    }
  }
}
